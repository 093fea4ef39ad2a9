/** The report page's stylesheet, inlined so the file needs nothing else to display. */
export const REPORT_CSS = `
:root { --fg: #1d2129; --muted: #68707d; --line: #dde1e6; --bg: #fff; --soft: #f5f6f8; --accent: #ffb000; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { padding: 16px 24px 8px; max-width: 1600px; }
h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 20px 0 8px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.meta, .muted { color: var(--muted); }
.meta { overflow-wrap: anywhere; }
.small { font-size: 12.5px; }
.top { border-bottom: 1px solid var(--line); padding-bottom: 8px; margin-bottom: 12px; }
.summary { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; max-width: 560px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 120px; background: var(--soft); }
.card-title { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.card-value { font-size: 24px; font-weight: 650; }
.chart-box { min-width: 300px; }
.chart { max-width: 100%; height: auto; }
.chart-label { font-size: 13px; fill: var(--fg); }
.chart-pct { font-size: 11px; fill: #fff; font-weight: 600; }
.legend { border-collapse: collapse; margin-top: 8px; font-size: 13px; }
.legend td, .legend th { padding: 2px 10px 2px 0; text-align: left; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.notes { background: #fff8e1; border: 1px solid #f3e0a0; border-radius: 6px; padding: 8px 12px 8px 28px; }
.headline { font-size: 17px; font-weight: 650; padding: 8px 12px; border-radius: 6px; margin: 0 0 12px; }
.headline.worse { background: #fdecee; color: #8a1022; }
.headline.better { background: #e7f6ec; color: #17602f; }
.headline.same { background: var(--soft); }
table.compare, table.flip-table, table.tests { border-collapse: collapse; }
table.compare th, table.compare td { border-bottom: 1px solid var(--line); padding: 5px 12px 5px 0; text-align: left; vertical-align: top; }
.flip-down { color: #a3132b; }
.flip-up { color: #17602f; }
details.flips { margin: 10px 0; }
details.flips summary { cursor: pointer; }
.flip-table td, .flip-table th { padding: 3px 10px 3px 0; border-bottom: 1px solid var(--line); text-align: left; font-size: 13px; }
.flip-row { cursor: pointer; }
.flip-row:hover, .flip-row:focus { background: #fff4d6; outline: none; }
.why { max-width: 640px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.badge { display: inline-block; color: #fff; border-radius: 4px; padding: 0 6px; font-size: 12px; line-height: 18px; white-space: nowrap; }
.explorer { margin-top: 8px; }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 6px; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { border: 1px solid var(--line); background: #fff; border-radius: 14px; padding: 2px 10px 2px 6px; cursor: pointer; font: inherit; font-size: 13px; }
.chip[aria-pressed="false"] { opacity: .45; text-decoration: line-through; }
.chip .swatch { margin-right: 5px; }
button.plain, .details-head button { border: 1px solid var(--line); background: #fff; border-radius: 6px; padding: 2px 10px; cursor: pointer; font: inherit; font-size: 13px; }
#search { min-width: 280px; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
select { font: inherit; padding: 3px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
#counts { margin: 4px 0 6px; }
#grid-scroll { overflow: auto; border: 1px solid var(--line); border-radius: 6px; position: relative; }
#grid-sizer { position: relative; }
#grid { position: sticky; top: 0; display: block; cursor: pointer; }
#grid:focus { outline: none; }
#grid:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; }
#details { position: fixed; top: 0; right: 0; bottom: 0; width: min(1100px, 70vw); background: #fff; border-left: 1px solid var(--line);
  box-shadow: -8px 0 24px rgba(0,0,0,.12); overflow: auto; z-index: 10; }
.details-head { position: sticky; top: 0; background: #fff; border-bottom: 1px solid var(--line); padding: 10px 16px; display: flex; gap: 8px; align-items: center; z-index: 1; }
.details-head h2 { margin: 0; flex: 1; font-size: 16px; }
.details-body { padding: 4px 16px 24px; }
.run-detail + .run-detail { border-top: 2px solid var(--line); margin-top: 16px; }
.task-text { background: var(--soft); border-radius: 6px; padding: 8px 10px; white-space: pre-wrap; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; margin: 4px 0 8px; font-size: 13px; }
.flip-note { font-weight: 650; padding: 4px 8px; border-radius: 4px; display: inline-block; margin: 6px 0; }
.flip-note.down { background: #fdecee; color: #8a1022; }
.flip-note.up { background: #e7f6ec; color: #17602f; }
.program { display: grid; grid-template-columns: auto 1fr; border: 1px solid var(--line); border-radius: 6px; background: #fbfbfc; overflow: auto; max-height: 480px; }
.program pre { margin: 0; padding: 8px 10px; line-height: 1.45; }
.program .gutter { color: #9aa1ab; text-align: right; user-select: none; border-right: 1px solid var(--line); background: var(--soft); }
.program .src { white-space: pre; }
.src .k { color: #a626a4; font-weight: 600; } .src .m { color: #986801; } .src .b { color: #0184bc; }
.src .f { color: #4078f2; font-weight: 600; } .src .s { color: #50a14f; } .src .c { color: #a0a1a7; font-style: italic; }
.src .n { color: #c18401; } .src .d { color: #e45649; }
pre.stream, pre.load { background: #1e2227; color: #e6e6e6; padding: 8px 10px; border-radius: 6px; white-space: pre-wrap; word-break: break-word; max-height: 300px; overflow: auto; margin: 4px 0; }
pre.load { background: #fdecee; color: #5b0b18; }
table.tests { width: 100%; font-size: 12.5px; table-layout: fixed; }
table.tests th, table.tests td { border-bottom: 1px solid var(--line); padding: 3px 6px 3px 0; text-align: left; vertical-align: top; }
table.tests td.mono { white-space: pre-wrap; word-break: break-word; }
table.tests tr.fail td { background: #fff6f6; }
table.tests col.c-id { width: 72px; } table.tests col.c-out { width: 120px; } table.tests col.c-t { width: 64px; }
footer { color: var(--muted); font-size: 12px; padding: 12px 24px 24px; }
@media (max-width: 900px) { #details { width: 100vw; } }
`;
