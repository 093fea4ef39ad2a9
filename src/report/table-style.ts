/**
 * The look of every terminal table (cli-table3): no colour codes where they would end up as
 * text — stdout not a terminal (a pipe, a file) or NO_COLOR set (no-color.org) — and never red
 * headers, which read as an error. On a terminal, headers are bold; borders are never coloured.
 * cli-table3 draws the bold through @colors/colors, which also leaves it out where TERM is
 * `dumb` or a CI variable is set (CI logs are rarely terminals).
 */

/** cli-table3's `style` option for a table printed on `stream` (default stdout). */
export function tableStyle(stream: { isTTY?: boolean } = process.stdout): { head: string[]; border: string[] } {
  return { head: colourAllowed(stream) ? ["bold"] : [], border: [] };
}

/** Whether colour codes may be written to `stream`: a terminal, and NO_COLOR unset or empty. */
export function colourAllowed(stream: { isTTY?: boolean }): boolean {
  const noColor = process.env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === "");
}
