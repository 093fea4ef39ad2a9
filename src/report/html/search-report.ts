import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../../core/errors.js";
import { readSearchRun, type SearchRunModel } from "../../pipelines/search-manifest.js";
import { VERSION } from "../../version.js";
import { escapeHtml } from "./escape-html.js";
import { pageHead } from "./page-head.js";
import { highlightPython } from "./python-highlight.js";
import { embedJson } from "./render-html.js";
import { renderTreeSvg, valueColor } from "./search-tree-svg.js";
import { SEARCH_TREE_SCRIPT } from "./search-tree-script.js";
import { REPORT_CSS } from "./styles.js";

/** One task's stored tree (src/search/tree-summary.ts), as the search run's reader hands it over. */
type TreeSummary = SearchRunModel["trees"][number];

/**
 * `verdict report SEARCH_RUN --html`: a self-contained page with every task's search tree
 * (per model), nodes sized by visits and coloured by value; a click on a node shows its step
 * text, its program and each test's outcome. The same Content-Security-Policy as the run
 * report: only the page's own script runs, nothing is fetched.
 */

/** A node as the page's script reads it. */
interface PageNode {
  id: number;
  depth: number;
  step: string;
  action: number | null;
  n: number;
  w: number;
  q: number | null;
  prior: number | null;
  samples: number;
  terminal: string | null;
  reward: number | null;
  compiles: boolean | null;
  passed: number | null;
  total: number | null;
  correct: boolean | null;
  tests: TreeSummary["nodes"][number]["tests"];
  program: string | null;
}

/** One tree as the page's script reads it. */
interface PageTree {
  model: string;
  task: string;
  header: string;
  solved: boolean;
  finished: boolean;
  rollouts: number;
  nodes: PageNode[];
  dropped: { parent: number; reward: number; passed: number; total: number; program: string }[];
}

/** The rendered page and what it holds. */
export interface SearchHtmlReport {
  html: string;
  notes: string[];
  tasks: number;
  nodes: number;
}

const TREE_CSS = `
.tree-view { overflow: auto; border: 1px solid var(--line); border-radius: 6px; padding: 4px; margin-top: 8px; }
.tree-view h3 { margin: 4px 6px 0; }
svg.tree { display: block; }
svg.tree line { stroke: #b9bec6; stroke-width: 1.2; }
svg.tree circle { stroke: #fff; stroke-width: 1; cursor: pointer; }
svg.tree circle.code { stroke: #8a1022; stroke-width: 2; stroke-dasharray: 3 2; }
svg.tree circle.code.correct { stroke: #111; stroke-width: 3; stroke-dasharray: none; }
svg.tree circle.end { stroke: #68707d; stroke-width: 1.5; }
svg.tree circle.selected, svg.tree circle:focus { stroke: #ffb000; stroke-width: 4; outline: none; }
.scale { display: inline-block; width: 160px; height: 12px; border-radius: 3px; vertical-align: -2px; margin: 0 6px;
  background: linear-gradient(to right, ${valueColor(0)}, ${valueColor(0.5)}, ${valueColor(1)}); }
table.node-facts { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
table.node-facts th { text-align: left; color: var(--muted); font-weight: 500; padding: 1px 14px 1px 0; }
pre.step, pre.src { background: var(--soft); border-radius: 6px; padding: 8px 10px; white-space: pre-wrap; word-break: break-word; }
`;

/** Builds the tree view of a search run directory. */
export function createSearchTreeReport(runDir: string, options: { now?: Date } = {}): SearchHtmlReport {
  const { manifest, models } = readSearchRun(runDir);
  const trees: PageTree[] = [];
  const svgs: string[] = [];
  const notes: string[] = [];
  for (const m of models) {
    if (m.trees.length === 0) notes.push(`${m.name}: no tree written yet`);
    m.trees.forEach((t, i) => {
      svgs.push(renderTreeSvg(t, String(trees.length)));
      trees.push(pageTree(m.name, t, m.programs[i] ?? new Map()));
    });
  }
  if (manifest.status !== "complete") notes.push(`the search is ${manifest.status}: unfinished trees are shown as far as they got`);
  const s = manifest.config.search;
  const choices = trees.map((t, i) => `<option value="${i}">${escapeHtml(`${t.model} · task ${t.task}${t.solved ? " ✓ solved" : ""} (${t.nodes.length} nodes${t.finished ? "" : ", unfinished"})`)}</option>`);
  const views = trees.map(
    (t, i) =>
      `<section class="tree-view" data-key="${i}" hidden><h3>${escapeHtml(`${t.model} · task ${t.task}`)} <span class="muted small">${escapeHtml(`${t.rollouts} rollouts, ${t.solved ? "solved" : "not solved"}`)}</span></h3>` +
      (svgs[i] ?? "") +
      `</section>`,
  );
  const perModel = models.map((m) => `<li>${escapeHtml(`${m.name} (${m.model}): ${m.trees.filter((t) => t.solved).length} of ${m.trees.length} tasks solved, ${m.trees.reduce((a, t) => a + t.nodes.length, 0)} nodes`)}</li>`);
  const summary =
    `<div class="top"><h1>${escapeHtml(`verdict search: ${manifest.run_id} (${manifest.benchmark} / ${manifest.split})`)}</h1>` +
    `<p class="meta">${escapeHtml(`status ${manifest.status} · ${s.rollouts} rollouts, depth ≤ ${s.max_depth}, n = ${s.n}, ${s.selection.toUpperCase()} c = ${s.c}, α = ${s.alpha}, seed ${s.seed}`)}</p>` +
    `<ul>${perModel.join("")}</ul>` +
    (notes.length > 0 ? `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>` : "") +
    `</div>`;
  const html = renderPage(`verdict search: ${manifest.run_id}`, summary, choices, views, trees, options.now ?? new Date());
  return { html, notes, tasks: trees.length, nodes: trees.reduce((a, t) => a + t.nodes.length, 0) };
}

function pageTree(model: string, t: TreeSummary, programs: Map<string, string>): PageTree {
  return {
    model,
    task: t.task_id,
    header: t.header,
    solved: t.solved,
    finished: t.finished,
    rollouts: t.rollouts,
    nodes: t.nodes.map((n) => ({
      id: n.id,
      depth: n.depth,
      step: n.step,
      action: n.action,
      n: n.n,
      w: n.w,
      q: n.q,
      prior: n.prior,
      samples: n.samples,
      terminal: n.terminal,
      reward: n.reward,
      compiles: n.compiles,
      passed: n.passed,
      total: n.total,
      correct: n.correct,
      tests: n.tests,
      program: n.terminal === "code" ? (programs.get(String(n.id)) ?? "") : null,
    })),
    dropped: t.dropped.map((d, i) => ({ parent: d.parent, reward: d.reward, passed: d.passed, total: d.total, program: programs.get(`d${i}`) ?? "" })),
  };
}

function renderPage(title: string, summaryHtml: string, options: string[], views: string[], trees: PageTree[], now: Date): string {
  const script = `(function () {\n${highlightPython.toString()}\n${SEARCH_TREE_SCRIPT}\n})();`;
  return `${pageHead(title, script, REPORT_CSS + TREE_CSS)}
<body class="search">
<main>
${summaryHtml}
<section class="explorer">
<h2>Trees</h2>
<div class="toolbar"><label>tree <select id="tree-select">${options.join("")}</select></label>
<span class="small muted">Q <span class="scale" title="value Q: 0 red, 0.5 yellow, 1 green"></span> 0 → 1 · grey: never visited · size: visits N · outlined: code (black: every test passed)</span></div>
<div id="trees">${views.join("\n")}</div>
${trees.length === 0 ? `<p class="muted">No tree to show.</p>` : `<p class="muted small">Click a node (or focus it and press Enter) for its step, program and test outcomes.</p>`}
<noscript><p>The trees are drawn without JavaScript; a node's details need it.</p></noscript>
</section>
</main>
<aside id="details" hidden aria-labelledby="details-title">
<div class="details-head"><h2 id="details-title"></h2>
<button type="button" id="details-close" title="close (Esc)">close</button></div>
<div class="details-body"></div>
</aside>
<footer>Generated by verdict ${escapeHtml(VERSION)} on ${escapeHtml(now.toISOString().slice(0, 19).replace("T", " "))} UTC. This file is self-contained: it loads nothing from the network.</footer>
<script type="application/json" id="search-data">${embedJson({ trees })}</script>
<script>${script}</script>
</body>
</html>
`;
}

/** `verdict report SEARCH_RUN`: writes the tree view (default: report.html in the run) and returns the exit code. */
export async function writeSearchTreeReport(dirs: readonly string[], htmlPath: string | undefined, io: { stdout(text: string): void; stderr(text: string): void }): Promise<number> {
  const [dir] = dirs;
  if (dir === undefined || dirs.length !== 1) throw new InputError("a search run's report takes that one run alone (search runs are not compared with verdict report)");
  const report = createSearchTreeReport(dir);
  const file = htmlPath ?? join(dir, "report.html");
  await writeFile(file, report.html);
  for (const note of report.notes) io.stderr(`note: ${note}\n`);
  const kib = Math.round(Buffer.byteLength(report.html) / 1024);
  io.stdout(`wrote ${file} (${kib.toLocaleString("en")} KiB; ${report.tasks} trees, ${report.nodes} nodes)\n`);
  return 0;
}
