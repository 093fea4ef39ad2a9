/**
 * The report page script's second half (see client-script.ts, which it is appended to, in one
 * scope): a task's details parsed on demand, the sample panel (program, output, tests) and
 * the hook scripts drive the page with. Kept free of backticks and dollar-brace for the same
 * template literal.
 */
export const DETAILS_SCRIPT = String.raw`
// ---- details, parsed on demand
var taskCache = new Map(), runCache = new Map();
function taskDetail(t) {
  if (!data.taskDetails[t]) return null;
  if (!taskCache.has(t)) taskCache.set(t, JSON.parse(data.taskDetails[t]));
  return taskCache.get(t);
}
function runDetail(r, t) {
  var key = r * T + t;
  if (!runCache.has(key)) {
    var text = RUNS[r].details[t];
    var blob = text ? JSON.parse(text) : null;
    if (blob) { blob.byIndex = new Map(); blob.s.forEach(function (s) { blob.byIndex.set(s.i, s); }); }
    runCache.set(key, blob);
  }
  return runCache.get(key);
}
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function badge(code) {
  var b = el("span", "badge", OUT[code] ? OUT[code].label : "?");
  if (OUT[code]) b.style.background = OUT[code].color;
  return b;
}
function unRunLength(s) {
  var out = [], re = /([a-z])(\d*)/g, m;
  while ((m = re.exec(s))) {
    var n = m[2] ? parseInt(m[2], 10) : 1;
    for (var i = 0; i < n; i++) out.push(m[1].charCodeAt(0) - 97);
  }
  return out;
}
function seconds(s) {
  if (s === undefined || s === null) return "";
  if (s < 0.001) return "<1 ms";
  if (s < 1) return Math.round(s * 1000) + " ms";
  return s.toFixed(s < 10 ? 2 : 1) + " s";
}

var panel = document.getElementById("details");
var panelBody = panel.querySelector(".details-body");
var panelTitle = document.getElementById("details-title");
document.getElementById("details-close").addEventListener("click", closeDetails);
document.getElementById("details-prev").addEventListener("click", function () { step(-1); });
document.getElementById("details-next").addEventListener("click", function () { step(1); });
document.addEventListener("keydown", function (ev) { if (ev.key === "Escape" && !panel.hidden) closeDetails(); });
function closeDetails() { panel.hidden = true; current = null; draw(); canvas.focus(); }
function step(dir) {
  if (!current) return;
  var i = rows.indexOf(current.t), c = current.c;
  while (i >= 0 && i < rows.length) {
    c += dir;
    if (c < 0 || c >= W) { i += dir; if (i < 0 || i >= rows.length) return; c = dir > 0 ? -1 : W; continue; }
    if (visible[rows[i] * W + c]) { revealRow(i); openDetails(rows[i], c); return; }
  }
}

function openDetails(t, c) {
  current = { t: t, c: c };
  draw();
  panel.hidden = false;
  panelTitle.textContent = "Task " + data.taskIds[t] + " \u00b7 sample " + c;
  panelBody.textContent = "";
  var td = taskDetail(t);
  if (td && td.text) panelBody.appendChild(el("div", "task-text", td.text));
  var f = flipAt(t, c);
  if (f < 0) panelBody.appendChild(el("div", "flip-note down", "Regression: passed in A, fails in B"));
  else if (f > 0) panelBody.appendChild(el("div", "flip-note up", "Improvement: failed in A, passes in B"));
  for (var r = 0; r < NR; r++) panelBody.appendChild(sampleView(r, t, c, td));
  panel.scrollTop = 0;
}

function sampleView(r, t, c, td) {
  var sec = el("section", "run-detail");
  sec.dataset.run = RUNS[r].label || "run";
  sec.appendChild(el("h3", "", (CMP ? RUNS[r].label + ": " : "") + RUNS[r].runId));
  var blob = runDetail(r, t);
  var s = blob ? blob.byIndex.get(c) : null;
  if (!s) { sec.appendChild(el("p", "muted", "This run has no sample " + c + " of this task.")); return sec; }
  var facts = el("div", "facts");
  var st = badge(s.st);
  st.classList.add("status");
  facts.appendChild(st);
  if (s.bs !== undefined) { facts.appendChild(el("span", "", "base")); facts.appendChild(badge(s.bs)); }
  if (s.ps !== undefined) { facts.appendChild(el("span", "", "plus")); facts.appendChild(badge(s.ps)); }
  facts.appendChild(el("span", "muted", seconds(s.sec)));
  if (s.c) facts.appendChild(el("span", "muted", "from the verdict cache"));
  if (s.wk) facts.appendChild(el("span", "muted", "weak pass: an assert ran inside the untrusted process"));
  facts.appendChild(el("span", "muted mono", "sha256 " + s.h + "\u2026"));
  sec.appendChild(facts);
  if (s.ld) { sec.appendChild(el("h4", "", "Load error")); sec.appendChild(el("pre", "load", s.ld)); }
  sec.appendChild(el("h4", "", "Program"));
  if (s.p !== undefined && blob.p[s.p] !== undefined) sec.appendChild(programView(blob.p[s.p]));
  else sec.appendChild(el("p", "muted small", "The program was not kept with this run (no samples.jsonl in the run directory)."));
  sec.appendChild(testsView(blob, s, td));
  if (s.out) { sec.appendChild(el("h4", "", "stdout")); sec.appendChild(el("pre", "stream stdout", s.out)); }
  if (s.err) { sec.appendChild(el("h4", "", "stderr")); sec.appendChild(el("pre", "stream stderr", s.err)); }
  return sec;
}

function programView(source) {
  var box = el("div", "program");
  var lines = source.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  var nums = [];
  for (var i = 1; i <= lines.length; i++) nums.push(String(i));
  box.appendChild(el("pre", "gutter", nums.join("\n")));
  var code = el("pre", "src");
  code.innerHTML = highlightPython(source);
  box.appendChild(code);
  return box;
}

var MANY_TESTS = 40;
function testsView(blob, s, td) {
  var ids = s.x ? s.x.map(function (i) { return blob.t[i]; }) : blob.t;
  var codes = unRunLength(s.o);
  var wrap = el("div", "tests-wrap");
  var failing = codes.filter(function (o) { return o !== PASS; }).length;
  wrap.appendChild(el("h4", "", "Tests: " + (codes.length - failing) + " of " + codes.length + " passed"));
  var table = el("table", "tests");
  var cols = el("colgroup");
  ["c-id", "c-in", "c-exp", "c-act", "c-out", "c-t"].forEach(function (k) { cols.appendChild(el("col", k)); });
  table.appendChild(cols);
  var head = el("tr");
  ["test", "input", "expected", "actual", "outcome", "time"].forEach(function (h) { head.appendChild(el("th", "", h)); });
  var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
  var body = el("tbody");
  table.appendChild(body);
  var shownPasses = 0, hidden = 0;
  for (var i = 0; i < codes.length; i++) {
    var o = codes[i];
    if (codes.length > MANY_TESTS && o === PASS) {
      if (shownPasses >= 10) { hidden++; continue; }
      shownPasses++;
    }
    body.appendChild(testRow(i, ids[i], o, s, td));
  }
  wrap.appendChild(table);
  if (hidden > 0) {
    var more = el("button", "plain", "Show all " + codes.length + " tests");
    more.type = "button";
    more.addEventListener("click", function () {
      body.textContent = "";
      for (var j = 0; j < codes.length; j++) body.appendChild(testRow(j, ids[j], codes[j], s, td));
      more.remove();
    });
    wrap.appendChild(more);
  }
  return wrap;
}

function testRow(i, id, o, s, td) {
  var tr = el("tr", o === PASS ? "ok" : "fail");
  tr.appendChild(el("td", "mono", id));
  var shown = td && td.tests ? td.tests[id] : undefined;
  tr.appendChild(el("td", "mono", shown === undefined ? "\u2014" : shown));
  var d = s.d ? s.d[i] : undefined;
  if (Array.isArray(d)) {
    tr.appendChild(el("td", "mono", d[0]));
    tr.appendChild(el("td", "mono", d[1]));
  } else {
    var why = el("td", "mono", d === undefined ? "" : d);
    why.colSpan = 2;
    tr.appendChild(why);
  }
  var oc = el("td");
  oc.appendChild(badge(o));
  if (s.w && s.w.indexOf(i) >= 0) oc.appendChild(el("span", "muted small", " weak"));
  tr.appendChild(oc);
  var ts = s.ts ? s.ts[i] : undefined;
  tr.appendChild(el("td", "num", seconds(ts)));
  return tr;
}

// Rows of the flips tables open the sample they name.
document.querySelectorAll(".flip-row").forEach(function (tr) {
  function open() {
    var t = taskIndex.get(tr.dataset.task);
    if (t !== undefined) openDetails(t, parseInt(tr.dataset.sample, 10));
  }
  tr.addEventListener("click", open);
  tr.addEventListener("keydown", function (ev) { if (ev.key === "Enter") open(); });
});

/** For scripts driving the page (and people in the console): where a sample's cell is on screen. */
window.verdictReport = {
  cellCenter: function (taskId, sample) {
    var t = taskIndex.get(String(taskId));
    if (t === undefined) return null;
    var i = rows.indexOf(t);
    if (i < 0 || !visible[t * W + sample]) return null;
    scroller.scrollIntoView({ block: "nearest" });
    scroller.scrollTop = Math.max(0, i * rh - Math.floor(viewH / 2));
    draw();
    var rect = canvas.getBoundingClientRect();
    return { x: rect.left + LW + sample * cw + cw / 2, y: rect.top + i * rh - scroller.scrollTop + rh / 2 };
  },
  shown: function () { return { tasks: rows.length, samples: shownSamples }; },
};

recompute();
document.body.dataset.ready = "1";
window.verdictReport.readyMs = performance.now();
`;
