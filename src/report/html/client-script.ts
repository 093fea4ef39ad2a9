import { DETAILS_SCRIPT } from "./client-details.js";

/**
 * The report page's script (plain browser JavaScript, run inside a function that also holds
 * `highlightPython`). It reads the embedded ReportData (see report-data.ts), draws only the
 * grid rows in view on a canvas, recomputes filters over compact cell strings, and parses a
 * task's details only when one of its samples is opened. Untrusted text (programs, output,
 * details) is only ever set with textContent or through the escaping highlighter.
 *
 * Kept free of backticks and dollar-brace so it can live in this template literal. The grid is
 * here; the sample details panel, in the same script scope, is in client-details.ts.
 */
export const CLIENT_SCRIPT = String.raw`
"use strict";
var data = JSON.parse(document.getElementById("report-data").textContent);
var OUT = data.outcomes;
var T = data.taskIds.length, W = data.width, RUNS = data.runs, NR = RUNS.length, CMP = NR === 2;
var PASS = OUT.findIndex(function (o) { return o.name === "pass"; });
var taskIndex = new Map();
data.taskIds.forEach(function (id, i) { taskIndex.set(id, i); });

var selected = OUT.map(function () { return true; });
var terms = [];
var flipMode = "all";
var sortMode = "id";
var rows = [];
var visible = new Uint8Array(T * W);
var current = null;
var shownSamples = 0;

function cell(r, t, c) { return RUNS[r].cells.charCodeAt(t * W + c) - 97; }
function flipAt(t, c) {
  if (!CMP) return 0;
  var a = cell(0, t, c), b = cell(1, t, c);
  if (a < 0 || b < 0) return 0;
  if (a === PASS && b !== PASS) return -1;
  if (a !== PASS && b === PASS) return 1;
  return 0;
}

// Per-task facts that do not depend on filters, computed once.
var passN = [], sampleN = [], regress = new Int32Array(T), improve = new Int32Array(T);
var outcomeTotals = RUNS.map(function () { return OUT.map(function () { return 0; }); });
var totalTasks = 0, totalSamples = 0;
(function () {
  for (var r = 0; r < NR; r++) { passN.push(new Int32Array(T)); sampleN.push(new Int32Array(T)); }
  for (var t = 0; t < T; t++) {
    var any = false;
    for (var c = 0; c < W; c++) {
      var present = false;
      for (var r2 = 0; r2 < NR; r2++) {
        var x = cell(r2, t, c);
        if (x < 0) continue;
        present = true;
        sampleN[r2][t]++;
        if (x === PASS) passN[r2][t]++;
        outcomeTotals[r2][x]++;
      }
      if (present) { any = true; totalSamples++; }
      var f = flipAt(t, c);
      if (f < 0) regress[t]++; else if (f > 0) improve[t]++;
    }
    if (any) totalTasks++;
  }
})();

function recompute() {
  var list = [];
  shownSamples = 0;
  for (var t = 0; t < T; t++) {
    var text = data.search[t];
    var textOk = true;
    for (var k = 0; k < terms.length; k++) if (text.indexOf(terms[k]) < 0) { textOk = false; break; }
    var any = false;
    for (var c = 0; c < W; c++) {
      var v = 0;
      if (textOk) {
        var present = false, match = false;
        for (var r = 0; r < NR; r++) {
          var x = cell(r, t, c);
          if (x >= 0) { present = true; if (selected[x]) match = true; }
        }
        if (present && match) {
          v = 1;
          if (flipMode !== "all") {
            var f = flipAt(t, c);
            if (flipMode === "regressions") v = f < 0 ? 1 : 0;
            else if (flipMode === "improvements") v = f > 0 ? 1 : 0;
            else v = f !== 0 ? 1 : 0;
          }
        }
      }
      visible[t * W + c] = v;
      if (v) { any = true; shownSamples++; }
    }
    if (any) list.push(t);
  }
  var last = NR - 1;
  if (sortMode === "worst") {
    list.sort(function (a, b) { return rate(last, a) - rate(last, b) || a - b; });
  } else if (sortMode === "regressions") {
    list.sort(function (a, b) { return regress[b] - regress[a] || improve[b] - improve[a] || a - b; });
  }
  rows = list;
  document.getElementById("count-tasks").textContent = rows.length.toLocaleString("en");
  document.getElementById("count-samples").textContent = shownSamples.toLocaleString("en");
  document.getElementById("grid-empty").hidden = rows.length > 0;
  layout();
  draw();
}
function rate(r, t) { return sampleN[r][t] ? passN[r][t] / sampleN[r][t] : 2; }

// ---- the grid: a canvas as tall as the view, redrawn for the rows scrolled into it
var scroller = document.getElementById("grid-scroll");
var sizer = document.getElementById("grid-sizer");
var canvas = document.getElementById("grid");
var ctx = canvas.getContext("2d");
var FONT = "12px system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
var LW = 60, RW = CMP ? 70 : 48, cw = 8, rh = CMP ? 20 : 16, viewH = 0;
(function () {
  ctx.font = FONT;
  var widest = 0;
  for (var t = 0; t < T; t++) widest = Math.max(widest, ctx.measureText(data.taskIds[t]).width);
  LW = Math.ceil(Math.min(220, Math.max(48, widest + 14)));
})();

function layout() {
  var avail = Math.max(0, scroller.clientWidth - LW - RW - 4);
  cw = Math.max(3, Math.min(24, Math.floor(avail / Math.max(W, 1))));
  var contentW = LW + W * cw + RW;
  var totalH = rows.length * rh;
  viewH = Math.min(totalH, Math.max(160, Math.floor(window.innerHeight * 0.7)));
  scroller.style.height = (viewH + 2) + "px";
  sizer.style.width = contentW + "px";
  sizer.style.height = totalH + "px";
  var dpr = window.devicePixelRatio || 1;
  canvas.style.width = contentW + "px";
  canvas.style.height = viewH + "px";
  canvas.width = Math.max(1, Math.round(contentW * dpr));
  canvas.height = Math.max(1, Math.round(viewH * dpr));
  if (scroller.scrollTop > Math.max(0, totalH - viewH)) scroller.scrollTop = Math.max(0, totalH - viewH);
}

function draw() {
  var dpr = window.devicePixelRatio || 1;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = FONT;
  ctx.textBaseline = "middle";
  var top = scroller.scrollTop;
  var first = Math.floor(top / rh);
  var gap = cw >= 6 ? 1 : 0;
  var w = cw - gap;
  for (var i = first; i < rows.length; i++) {
    var y = i * rh - top;
    if (y >= viewH) break;
    var t = rows[i];
    if (CMP && regress[t] > 0) ctx.fillStyle = "#fdecee";
    else if (CMP && improve[t] > 0) ctx.fillStyle = "#eaf7ef";
    else ctx.fillStyle = i % 2 ? "#f7f8fa" : "#ffffff";
    ctx.fillRect(0, y, LW + W * cw + RW, rh);
    ctx.fillStyle = "#1d2129";
    ctx.save();
    ctx.beginPath(); ctx.rect(0, y, LW - 6, rh); ctx.clip();
    ctx.fillText(data.taskIds[t], 6, y + rh / 2);
    ctx.restore();
    for (var c = 0; c < W; c++) {
      var x = LW + c * cw;
      var on = visible[t * W + c] === 1;
      if (!CMP) {
        var o = cell(0, t, c);
        if (o < 0) continue;
        ctx.fillStyle = on ? OUT[o].color : "#e2e4e8";
        ctx.fillRect(x, y + 2, w, rh - 4);
      } else {
        var a = cell(0, t, c), b = cell(1, t, c);
        var half = (rh - 4) / 2;
        if (a >= 0) { ctx.fillStyle = on ? OUT[a].color : "#e2e4e8"; ctx.fillRect(x, y + 2, w, half); }
        if (b >= 0) { ctx.fillStyle = on ? OUT[b].color : "#e2e4e8"; ctx.fillRect(x, y + 2 + half, w, half); }
        var f = flipAt(t, c);
        if (f !== 0 && on) {
          ctx.strokeStyle = f < 0 ? "#000000" : "#0b5d2a";
          ctx.lineWidth = cw >= 6 ? 1.5 : 1;
          ctx.strokeRect(x + 0.5, y + 1.5, Math.max(1, w - 1), rh - 3);
        }
      }
    }
    ctx.fillStyle = "#68707d";
    var rx = LW + W * cw + 6;
    if (CMP) {
      var note = (regress[t] ? "\u25bc" + regress[t] + " " : "") + (improve[t] ? "\u25b2" + improve[t] : "");
      ctx.fillText(note, rx, y + rh / 2);
    } else if (sampleN[0][t]) {
      ctx.fillText(Math.round(100 * passN[0][t] / sampleN[0][t]) + "%", rx, y + rh / 2);
    }
  }
  if (current) {
    var ri = rows.indexOf(current.t);
    if (ri >= 0) {
      ctx.strokeStyle = "#ffb000";
      ctx.lineWidth = 2;
      ctx.strokeRect(LW + current.c * cw - 1, ri * rh - top + 1, cw + 1, rh - 2);
    }
  }
}

var pending = false;
function scheduleDraw() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(function () { pending = false; draw(); });
}
scroller.addEventListener("scroll", scheduleDraw);
window.addEventListener("resize", function () { layout(); draw(); });

function hit(ev) {
  var rect = canvas.getBoundingClientRect();
  var x = ev.clientX - rect.left, y = ev.clientY - rect.top;
  var i = Math.floor((y + scroller.scrollTop) / rh);
  if (i < 0 || i >= rows.length) return null;
  var t = rows[i];
  if (x < LW) return { t: t, c: firstSample(t), label: true };
  var c = Math.floor((x - LW) / cw);
  if (c < 0 || c >= W) return null;
  for (var r = 0; r < NR; r++) if (cell(r, t, c) >= 0) return { t: t, c: c };
  return null;
}
function firstSample(t) {
  for (var c = 0; c < W; c++) if (visible[t * W + c]) return c;
  return 0;
}
function describe(t, c) {
  var parts = ["Task " + data.taskIds[t], "sample " + c];
  for (var r = 0; r < NR; r++) {
    var o = cell(r, t, c);
    parts.push((CMP ? RUNS[r].label + ": " : "") + (o >= 0 ? OUT[o].label : "absent"));
  }
  var f = flipAt(t, c);
  if (f < 0) parts.push("regression"); else if (f > 0) parts.push("improvement");
  return parts.join(" \u00b7 ");
}
canvas.addEventListener("mousemove", function (ev) {
  var h = hit(ev);
  canvas.title = h ? describe(h.t, h.c) : "";
});
canvas.addEventListener("click", function (ev) {
  var h = hit(ev);
  if (h) openDetails(h.t, h.c);
});
canvas.addEventListener("keydown", function (ev) {
  if (!rows.length) return;
  var cur = current && rows.indexOf(current.t) >= 0 ? current : { t: rows[0], c: firstSample(rows[0]) };
  var i = rows.indexOf(cur.t), c = cur.c;
  if (ev.key === "ArrowDown") i = Math.min(rows.length - 1, i + 1);
  else if (ev.key === "ArrowUp") i = Math.max(0, i - 1);
  else if (ev.key === "ArrowRight") c = Math.min(W - 1, c + 1);
  else if (ev.key === "ArrowLeft") c = Math.max(0, c - 1);
  else if (ev.key !== "Enter") return;
  ev.preventDefault();
  revealRow(i);
  openDetails(rows[i], c);
});
function revealRow(i) {
  var y = i * rh;
  if (y < scroller.scrollTop) scroller.scrollTop = y;
  else if (y + rh > scroller.scrollTop + viewH) scroller.scrollTop = y + rh - viewH;
}

// ---- filters
var chips = document.getElementById("outcome-filters");
OUT.forEach(function (o, code) {
  var counts = outcomeTotals.map(function (tot) { return tot[code]; });
  if (!counts.some(function (n) { return n > 0; })) return;
  var b = document.createElement("button");
  b.type = "button";
  b.className = "chip";
  b.dataset.outcome = o.name;
  b.setAttribute("aria-pressed", "true");
  var sw = document.createElement("span");
  sw.className = "swatch";
  sw.style.background = o.color;
  b.appendChild(sw);
  var text = o.label + " " + (CMP ? "A " + counts[0].toLocaleString("en") + " \u00b7 B " + counts[1].toLocaleString("en") : counts[0].toLocaleString("en"));
  b.appendChild(document.createTextNode(text));
  b.addEventListener("click", function () {
    selected[code] = !selected[code];
    b.setAttribute("aria-pressed", String(selected[code]));
    recompute();
  });
  chips.appendChild(b);
});
function setAll(on) {
  for (var i = 0; i < selected.length; i++) selected[i] = on;
  chips.querySelectorAll(".chip").forEach(function (b) { b.setAttribute("aria-pressed", String(on)); });
  recompute();
}
document.getElementById("outcomes-all").addEventListener("click", function () { setAll(true); });
document.getElementById("outcomes-none").addEventListener("click", function () { setAll(false); });
var searchBox = document.getElementById("search");
var searchTimer = 0;
searchBox.addEventListener("input", function () {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(function () {
    terms = searchBox.value.toLowerCase().split(/\s+/).filter(Boolean);
    recompute();
  }, 120);
});
var flipSelect = document.getElementById("flip-filter");
if (flipSelect) flipSelect.addEventListener("change", function () { flipMode = flipSelect.value; recompute(); });
var sortSelect = document.getElementById("sort");
sortSelect.addEventListener("change", function () { sortMode = sortSelect.value; scroller.scrollTop = 0; recompute(); });
document.getElementById("total-tasks").textContent = totalTasks.toLocaleString("en");
document.getElementById("total-samples").textContent = totalSamples.toLocaleString("en");
` + DETAILS_SCRIPT;
