import { PyBytes, PyDict, PyDigest, PySet, PySurrogateStr, PyTuple, type PyValue } from "../core/py-value.js";

/**
 * Python's `repr(x)` digits for a float: the shortest round-tripping digits (as JS), but
 * scientific notation when the decimal exponent is < -4 or >= 16, and a mandatory ".0"
 * on integral values unless `addDot0` is false (complex parts print `1`, not `1.0`).
 */
export function pyFloatRepr(x: number, addDot0 = true): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return (Object.is(x, -0) ? "-0" : "0") + (addDot0 ? ".0" : "");
  const [mantissa, expText] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const exp = Number(expText);
  const sign = x < 0 ? "-" : "";
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${e < 10 ? "0" : ""}${e}`;
  }
  let body: string;
  if (exp < 0) body = `0.${"0".repeat(-exp - 1)}${digits}`;
  else if (digits.length > exp + 1) body = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  else body = digits + "0".repeat(exp + 1 - digits.length) + (addDot0 ? ".0" : "");
  return sign + body;
}

function complexRepr(re: number, im: number): string {
  const imText = pyFloatRepr(im, false);
  // Python drops the real part only when it is +0.0.
  if (re === 0 && !Object.is(re, -0)) return `${imText}j`;
  const signed = imText.startsWith("-") ? imText : `+${imText}`;
  return `(${pyFloatRepr(re, false)}${signed}j)`;
}

// What str.isprintable() rejects: control, format, surrogate, private-use, unassigned and
// separator characters, except the ASCII space.
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** Python's repr of a str, choosing quotes and escapes as CPython does. */
export function pyStrRepr(s: string | PySurrogateStr): string {
  const points = typeof s === "string" ? Array.from(s, (ch) => ch.codePointAt(0) as number) : s.codePoints;
  return codePointsRepr(points);
}

function codePointsRepr(points: readonly number[]): string {
  const quote = points.includes(0x27) && !points.includes(0x22) ? '"' : "'";
  let out = quote;
  for (const cp of points) {
    // A surrogate code point stays one character here (String.fromCodePoint would not pair it).
    const ch = cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || cp === 0x7f) out += "\\x" + hex(cp, 2);
    else if (cp < 0x7f || (ch !== " " && !NON_PRINTABLE.test(ch))) out += ch;
    else if (cp <= 0xff) out += "\\x" + hex(cp, 2);
    else if (cp <= 0xffff) out += "\\u" + hex(cp, 4);
    else out += "\\U" + hex(cp, 8);
  }
  return out + quote;
}

function bytesRepr(data: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const b of data) {
    if (b === 0x27) hasSingle = true;
    else if (b === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = "b" + quote;
  for (const b of data) {
    const ch = String.fromCharCode(b);
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (b < 0x20 || b >= 0x7f) out += "\\x" + hex(b, 2);
    else out += ch;
  }
  return out + quote;
}

/** Accumulates repr text and stops once it has more than it will ever show. */
class Writer {
  text = "";
  constructor(readonly budget: number) {}
  get full(): boolean {
    return this.text.length > this.budget;
  }
  put(s: string): void {
    if (!this.full) this.text += s;
  }
}

function writeSeq(w: Writer, open: string, items: readonly PyValue[], close: string): void {
  w.put(open);
  for (let i = 0; i < items.length && !w.full; i++) {
    if (i > 0) w.put(", ");
    write(w, items[i] as PyValue);
  }
  w.put(close);
}

/** Digits beyond which an int is described, not printed: decimal conversion is quadratic. */
const MAX_INT_DIGITS = 4300;

/** `repr(int)`, or `<int of N bits>` for one too large to print cheaply (as Python 3.11 refuses to). */
function intRepr(v: bigint): string {
  const hexDigits = (v < 0n ? -v : v).toString(16).length; // linear, unlike decimal
  if (hexDigits * 4 > MAX_INT_DIGITS * 3.33) return `<int of ~${hexDigits * 4} bits>`;
  return v.toString();
}

function write(w: Writer, v: PyValue): void {
  if (w.full) return;
  if (v === null) return w.put("None");
  switch (typeof v) {
    case "boolean":
      return w.put(v ? "True" : "False");
    case "bigint":
      return w.put(intRepr(v));
    case "number":
      return w.put(pyFloatRepr(v));
    case "string":
      // A huge string only needs its head.
      return w.put(pyStrRepr(v.length > w.budget + 2 ? v.slice(0, w.budget + 2) : v));
  }
  if (Array.isArray(v)) return writeSeq(w, "[", v, "]");
  if (v instanceof PyTuple) return writeSeq(w, "(", v.items, v.items.length === 1 ? ",)" : ")");
  if (v instanceof PyBytes) return w.put(bytesRepr(v.data.length > w.budget ? v.data.subarray(0, w.budget) : v.data));
  if (v instanceof PyDict) {
    w.put("{");
    v.entries.forEach(([k, x], i) => {
      if (w.full) return;
      if (i > 0) w.put(", ");
      write(w, k);
      w.put(": ");
      write(w, x);
    });
    return w.put("}");
  }
  if (v instanceof PySet) {
    if (v.items.length === 0) return w.put(v.frozen ? "frozenset()" : "set()");
    if (v.frozen) w.put("frozenset(");
    writeSeq(w, "{", v.items, "}");
    if (v.frozen) w.put(")");
    return;
  }
  if (v instanceof PyDigest) {
    return w.put(`<value of ${v.length} repr chars${v.nan ? " holding a NaN" : ""}, sha256 ${v.sha256.slice(0, 12)}…>`);
  }
  if (v instanceof PySurrogateStr) {
    const points = v.codePoints.length > w.budget + 2 ? v.codePoints.slice(0, w.budget + 2) : v.codePoints;
    return w.put(codePointsRepr(points));
  }
  w.put(complexRepr(v.re, v.im));
}

/** Python-style `repr(v)` for reports, cut to `maxChars` characters ending in "…" when longer. */
export function pyRepr(v: PyValue, maxChars = 200): string {
  const w = new Writer(maxChars);
  write(w, v);
  const text = w.text;
  if (text.length <= maxChars) return text;
  let cut = Math.max(0, maxChars - 1);
  // Never split a surrogate pair.
  if (cut > 0 && /[\uD800-\uDBFF]/.test(text[cut - 1] as string)) cut--;
  return text.slice(0, cut) + "…";
}
