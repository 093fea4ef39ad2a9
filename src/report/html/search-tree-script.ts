/**
 * The tree view's script (plain browser JavaScript, run inside a function that also holds
 * `highlightPython`). It reads the embedded trees (see search-report.ts), shows the tree the
 * select names, and opens a node's details on a click or Enter: its statistics, its step
 * text (the root: the prompt), its program and each test's outcome. Untrusted text is only
 * ever set with textContent or through the escaping highlighter.
 *
 * Kept free of backticks and dollar-brace so it can live in this template literal.
 */
export const SEARCH_TREE_SCRIPT = String.raw`
"use strict";
var data = JSON.parse(document.getElementById("search-data").textContent);
var select = document.getElementById("tree-select");
var views = Array.prototype.slice.call(document.querySelectorAll(".tree-view"));
var panel = document.getElementById("details");
var body = panel.querySelector(".details-body");
var selected = null;

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function num(v, digits) { return v === null || v === undefined ? "–" : (Number.isInteger(v) ? String(v) : v.toFixed(digits)); }

function showTree(key) {
  views.forEach(function (v) { v.hidden = v.getAttribute("data-key") !== key; });
  if (select.value !== key) select.value = key;
  closeDetails();
}

function closeDetails() {
  panel.hidden = true;
  if (selected) selected.classList.remove("selected");
  selected = null;
}

function facts(tree, node) {
  var table = el("table", "node-facts");
  var rows = [
    ["visits N", num(node.n, 0)], ["value W", num(node.w, 4)], ["Q = W / N", num(node.q, 4)],
    ["depth", node.depth], ["action", node.action === null ? "–" : node.action],
    ["prior", num(node.prior, 4)], ["samples merged", node.samples],
    ["terminal", node.terminal === null ? "no" : node.terminal.replace("_", " ")],
  ];
  if (node.reward !== null) rows.push(["reward", num(node.reward, 4)]);
  if (node.total !== null) rows.push(["tests passed", node.passed + " of " + node.total + (node.compiles === false ? " (does not compile)" : "")]);
  rows.forEach(function (r) {
    var tr = el("tr");
    tr.appendChild(el("th", "", r[0]));
    tr.appendChild(el("td", "num", r[1]));
    table.appendChild(tr);
  });
  return table;
}

function testsTable(tests) {
  var table = el("table", "tests");
  var head = el("tr");
  ["test", "outcome", "detail"].forEach(function (h) { head.appendChild(el("th", "", h)); });
  table.appendChild(head);
  tests.forEach(function (t) {
    var tr = el("tr", t.outcome === "pass" ? "pass" : "fail");
    tr.setAttribute("data-outcome", t.outcome);
    tr.appendChild(el("td", "mono", t.id));
    tr.appendChild(el("td", "", t.outcome.replace(/_/g, " ")));
    tr.appendChild(el("td", "mono", t.detail || ""));
    table.appendChild(tr);
  });
  return table;
}

function programBlock(source) {
  var pre = el("pre", "src");
  pre.innerHTML = highlightPython(source);
  return pre;
}

function openNode(key, id) {
  var tree = data.trees[Number(key)];
  var node = tree && tree.nodes[id];
  if (!node) return;
  if (selected) selected.classList.remove("selected");
  selected = document.querySelector("svg[data-tree='" + key + "'] circle[data-node='" + id + "']");
  if (selected) selected.classList.add("selected");
  document.getElementById("details-title").textContent = tree.model + " · task " + tree.task + " · node " + id + (id === 0 ? " (root)" : "");
  body.textContent = "";
  body.setAttribute("data-node", String(id));
  body.appendChild(facts(tree, node));
  body.appendChild(el("h3", "", id === 0 ? "Prompt" : "Step " + node.depth));
  body.appendChild(el("pre", "step", id === 0 ? tree.header : node.step));
  if (node.program !== null) {
    body.appendChild(el("h3", "", "Program"));
    body.appendChild(programBlock(node.program));
  }
  if (node.tests && node.tests.length > 0) {
    body.appendChild(el("h3", "", "Tests"));
    body.appendChild(testsTable(node.tests));
  }
  var dropped = tree.dropped.filter(function (d) { return d.parent === id; });
  if (dropped.length > 0) {
    body.appendChild(el("h3", "", "Code steps left out (a better one of the same expansion was kept)"));
    dropped.forEach(function (d) {
      body.appendChild(el("p", "muted small", "reward " + num(d.reward, 4) + ", " + d.passed + " of " + d.total + " tests"));
      body.appendChild(programBlock(d.program));
    });
  }
  panel.hidden = false;
  panel.scrollTop = 0;
}

select.addEventListener("change", function () { showTree(select.value); });
document.getElementById("trees").addEventListener("click", function (e) {
  var c = e.target.closest ? e.target.closest("circle[data-node]") : null;
  if (!c) return;
  openNode(c.closest("svg").getAttribute("data-tree"), Number(c.getAttribute("data-node")));
});
document.getElementById("trees").addEventListener("keydown", function (e) {
  var c = e.target.closest ? e.target.closest("circle[data-node]") : null;
  if (!c || (e.key !== "Enter" && e.key !== " ")) return;
  e.preventDefault();
  openNode(c.closest("svg").getAttribute("data-tree"), Number(c.getAttribute("data-node")));
});
document.getElementById("details-close").addEventListener("click", closeDetails);
document.addEventListener("keydown", function (e) { if (e.key === "Escape") closeDetails(); });
if (views.length > 0) showTree(views[0].getAttribute("data-key"));
document.body.setAttribute("data-ready", "1");
`;
