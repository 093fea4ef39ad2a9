import { createHash } from "node:crypto";
import { VERSION } from "../../version.js";
import { escapeHtml } from "./escape-html.js";

/**
 * The head every self-contained report page shares. Its Content-Security-Policy allows only
 * the page's own script (by its sha256; none when `script` is null) and inline styles and no connections at all, so the
 * file works offline, and a program or output that slipped markup past the escaping still could
 * not run script or reach the network.
 */
export function pageHead(title: string, script: string | null, css: string): string {
  // A page without script (null) gets no script-src: default-src 'none' then forbids every script.
  const scriptSrc = script === null ? [] : [`script-src 'sha256-${createHash("sha256").update(script, "utf8").digest("base64")}'`];
  const csp = ["default-src 'none'", ...scriptSrc, "style-src 'unsafe-inline'", "img-src data:", "base-uri 'none'", "form-action 'none'"].join("; ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="verdict ${escapeHtml(VERSION)}">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>`;
}
