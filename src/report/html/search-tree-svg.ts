import type { SearchRunModel } from "../../pipelines/search-manifest.js";

/** One task's stored tree (src/search/tree-summary.ts), as the search run's reader hands it over. */
type TreeSummary = SearchRunModel["trees"][number];

/**
 * One search tree drawn as an SVG for the report's tree view: a node per circle, its area
 * proportional to its visits N (the root's is the largest), its fill the value Q on a
 * red → yellow → green scale (grey: never visited), code steps outlined (black: every test
 * passed). Leaves sit side by side in depth-first order and a parent above the middle of its
 * children, so a path reads top to bottom. Every circle carries its node id, N and Q as
 * data attributes: the page's script opens the node's details on a click.
 */

/** Horizontal room per leaf and vertical room per depth, in SVG units (pixels at scale 1). */
const LEAF_DX = 30;
const DEPTH_DY = 64;
const MARGIN = 20;
/** Radius of a node never visited, and of the root (the most visited). */
export const MIN_RADIUS = 4;
export const MAX_RADIUS = 14;

/** Where a node is drawn. */
export interface NodePlace {
  id: number;
  x: number;
  y: number;
  r: number;
}

/** The radius of a node with `n` visits in a tree whose root has `rootN`: area grows with N. */
export function nodeRadius(n: number, rootN: number): number {
  if (rootN <= 0 || n <= 0) return MIN_RADIUS;
  return MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * Math.sqrt(Math.min(1, n / rootN));
}

const STOPS: [number, [number, number, number]][] = [
  [0, [0xd1, 0x49, 0x5b]],
  [0.5, [0xf2, 0xc1, 0x4e]],
  [1, [0x2e, 0x9e, 0x5b]],
];

/** The fill of a node of value `q` (null: never visited): red at 0, yellow at 0.5, green at 1, as #rrggbb. */
export function valueColor(q: number | null): string {
  if (q === null || !Number.isFinite(q)) return "#c4c9d0";
  const v = Math.max(0, Math.min(1, q));
  const i = v <= 0.5 ? 0 : 1;
  const [a, ca] = STOPS[i] as [number, [number, number, number]];
  const [b, cb] = STOPS[i + 1] as [number, [number, number, number]];
  const t = (v - a) / (b - a);
  return `#${ca.map((c, k) => Math.round(c + ((cb[k] ?? c) - c) * t).toString(16).padStart(2, "0")).join("")}`;
}

/** Places every node: leaves left to right in depth-first order, parents centred over their children. */
export function layoutTree(tree: Pick<TreeSummary, "nodes">): { places: NodePlace[]; width: number; height: number } {
  const rootN = tree.nodes[0]?.n ?? 0;
  const x = new Array<number>(tree.nodes.length).fill(0);
  let leaves = 0;
  let maxDepth = 0;
  // Iterative post-order: a deep tree cannot overflow the stack.
  const stack: { id: number; done: boolean }[] = tree.nodes.length > 0 ? [{ id: 0, done: false }] : [];
  while (stack.length > 0) {
    const top = stack.pop() as { id: number; done: boolean };
    const node = tree.nodes[top.id];
    if (node === undefined) continue;
    maxDepth = Math.max(maxDepth, node.depth);
    if (node.children.length === 0) {
      x[top.id] = MARGIN + LEAF_DX / 2 + LEAF_DX * leaves++;
    } else if (top.done) {
      const xs = node.children.map((c) => x[c] ?? 0);
      x[top.id] = (Math.min(...xs) + Math.max(...xs)) / 2;
    } else {
      stack.push({ id: top.id, done: true });
      for (const c of [...node.children].reverse()) stack.push({ id: c, done: false });
    }
  }
  const places = tree.nodes.map((n) => ({ id: n.id, x: x[n.id] ?? 0, y: MARGIN + MAX_RADIUS + n.depth * DEPTH_DY, r: nodeRadius(n.n, rootN) }));
  return { places, width: 2 * MARGIN + Math.max(1, leaves) * LEAF_DX, height: 2 * (MARGIN + MAX_RADIUS) + maxDepth * DEPTH_DY };
}

const fmt = (v: number): string => (Math.round(v * 10) / 10).toString();

/** The SVG of one tree; `key` names it for the page's script (model and task index). */
export function renderTreeSvg(tree: TreeSummary, key: string): string {
  const { places, width, height } = layoutTree(tree);
  const edges: string[] = [];
  const circles: string[] = [];
  for (const node of tree.nodes) {
    const p = places[node.id] as NodePlace;
    if (node.parent !== null) {
      const q = places[node.parent] as NodePlace;
      edges.push(`<line x1="${fmt(q.x)}" y1="${fmt(q.y)}" x2="${fmt(p.x)}" y2="${fmt(p.y)}"/>`);
    }
    const cls = ["node", node.terminal === "code" ? (node.correct ? "code correct" : "code") : "", node.terminal === "depth_limit" || node.terminal === "dead_end" ? "end" : ""].filter(Boolean).join(" ");
    const q = node.q === null ? "" : String(node.q);
    const label = `node ${node.id}: N ${node.n}, Q ${node.q === null ? "–" : node.q.toFixed(3)}`;
    circles.push(
      `<circle class="${cls}" data-node="${node.id}" data-n="${node.n}" data-q="${q}" cx="${fmt(p.x)}" cy="${fmt(p.y)}" r="${fmt(p.r)}" fill="${valueColor(node.q)}" tabindex="0" role="button" aria-label="${label}"><title>${label}</title></circle>`,
    );
  }
  return (
    `<svg class="tree" data-tree="${key}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<g class="edges">${edges.join("")}</g><g class="nodes">${circles.join("")}</g></svg>`
  );
}
