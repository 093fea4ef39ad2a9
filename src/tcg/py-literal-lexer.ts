/**
 * The tokens of Python literal syntax (numbers, strings, bytes, names, brackets, signs), read
 * from untrusted model text without evaluating anything. The parser in py-literal.ts builds
 * values from them. Anything outside this vocabulary (operators like `*`, `.`, `=`, `@`,
 * f-strings, non-ASCII whitespace) is an error here, so it can never reach a value.
 */

/** Why a text is not a literal, with the character offset where reading stopped. */
export class LiteralError extends Error {
  override name = "LiteralError";
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} at offset ${offset}`);
  }
}

/** The punctuation a literal may use. */
export type Punct = "(" | ")" | "[" | "]" | "{" | "}" | "," | ":" | "+" | "-";

/** One token; `pos` is its character offset in the text. */
export type Token =
  | { kind: "int"; value: bigint; pos: number }
  | { kind: "float"; value: number; pos: number }
  | { kind: "imag"; value: number; pos: number }
  /** A str as its code points: Python's `'\\ud83d\\ude00'` is two of them, which a JS string would merge into one. */
  | { kind: "str"; value: number[]; pos: number }
  | { kind: "bytes"; value: number[]; pos: number }
  | { kind: "name"; value: string; pos: number }
  | { kind: "punct"; value: Punct; pos: number }
  | { kind: "end"; pos: number };

/** CPython 3.11's default `sys.get_int_max_str_digits()`: longer decimal literals do not compile. */
export const MAX_DECIMAL_DIGITS = 4300;

const PUNCT = new Set<string>(["(", ")", "[", "]", "{", "}", ",", ":", "+", "-"]);
const NAME = /[\p{ID_Start}_][\p{ID_Continue}]*/uy;
const ID_CONTINUE = /[\p{ID_Continue}]/u;
const NUMBER = /(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?[jJ]?/y;
const RADIX_INT = /0(?:[xX](?:_?[0-9a-fA-F])+|[oO](?:_?[0-7])+|[bB](?:_?[01])+)/y;
const DECIMAL_INT = /^(?:[1-9](?:_?\d)*|0(?:_?0)*)$/;
/** String prefixes Python accepts, lower-cased; the f-string ones are refused with their own reason. */
const STRING_PREFIXES = new Set(["", "r", "u", "b", "br", "rb"]);
const FSTRING_PREFIXES = new Set(["f", "fr", "rf"]);

const SIMPLE_ESCAPES: Record<string, number> = {
  "\\": 0x5c,
  "'": 0x27,
  '"': 0x22,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
};

/** Reads tokens one at a time from text whose line ends are already `\n`. */
export class Lexer {
  private pos = 0;
  private peeked: Token | undefined;

  constructor(private readonly text: string) {}

  /** The next token without consuming it. */
  peek(): Token {
    this.peeked ??= this.read();
    return this.peeked;
  }

  /** Consumes and returns the next token. */
  next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  private skipSpace(): void {
    const s = this.text;
    while (this.pos < s.length) {
      const c = s[this.pos] as string;
      if (c === " " || c === "\t" || c === "\f" || c === "\n") this.pos++;
      else if (c === "\\" && s[this.pos + 1] === "\n") this.pos += 2; // explicit line joining
      else if (c === "#") {
        const eol = s.indexOf("\n", this.pos);
        this.pos = eol < 0 ? s.length : eol;
      } else return;
    }
  }

  private read(): Token {
    this.skipSpace();
    const s = this.text;
    const pos = this.pos;
    if (pos >= s.length) return { kind: "end", pos };
    const c = s[pos] as string;
    if (PUNCT.has(c)) {
      this.pos++;
      return { kind: "punct", value: c as Punct, pos };
    }
    if (c === "'" || c === '"') return this.string("", pos);
    if ((c >= "0" && c <= "9") || (c === "." && /\d/.test(s[pos + 1] ?? ""))) return this.number(pos);
    NAME.lastIndex = pos;
    const m = NAME.exec(s);
    if (m) {
      const word = m[0];
      const after = s[pos + word.length];
      if (after === "'" || after === '"') {
        const prefix = word.toLowerCase();
        if (FSTRING_PREFIXES.has(prefix)) throw new LiteralError("an f-string is not a literal", pos);
        if (STRING_PREFIXES.has(prefix)) return this.string(prefix, pos);
      }
      this.pos = pos + word.length;
      return { kind: "name", value: word, pos };
    }
    throw new LiteralError(`${JSON.stringify(c)} has no place in a literal`, pos);
  }

  private number(pos: number): Token {
    const s = this.text;
    RADIX_INT.lastIndex = pos;
    let m = RADIX_INT.exec(s);
    let token: Token;
    if (m) {
      const digits = m[0].replace(/_/g, "");
      const radix = digits[1]?.toLowerCase();
      const body = digits.slice(2);
      // BigInt() parses each radix in linear time; decimal is the one CPython caps.
      token = { kind: "int", value: BigInt(`0${radix}${body}`), pos };
    } else {
      NUMBER.lastIndex = pos;
      m = NUMBER.exec(s);
      if (!m) throw new LiteralError("invalid number", pos);
      token = this.decimal(m[0], pos);
    }
    this.pos = pos + m[0].length;
    const after = s[this.pos];
    if (after !== undefined && (ID_CONTINUE.test(after) || after === ".")) throw new LiteralError("invalid number", pos);
    return token;
  }

  private decimal(text: string, pos: number): Token {
    const plain = text.replace(/_/g, "");
    if (/[jJ]$/.test(plain)) return { kind: "imag", value: Number(plain.slice(0, -1)), pos };
    if (/[.eE]/.test(plain)) return { kind: "float", value: Number(plain), pos };
    if (!DECIMAL_INT.test(text)) throw new LiteralError("leading zeros in a decimal integer are not allowed", pos);
    if (plain.length > MAX_DECIMAL_DIGITS) throw new LiteralError(`an int literal longer than ${MAX_DECIMAL_DIGITS} digits`, pos);
    return { kind: "int", value: BigInt(plain), pos };
  }

  /** A string or bytes literal whose prefix (lower-cased) starts at `pos`. */
  private string(prefix: string, pos: number): Token {
    const s = this.text;
    const raw = prefix.includes("r");
    const bytes = prefix.includes("b");
    let i = pos + prefix.length;
    const q = s[i] as string;
    const triple = s.startsWith(q.repeat(3), i);
    const closing = triple ? q.repeat(3) : q;
    i += closing.length;
    const units: number[] = []; // code points (str) or byte values (bytes)
    const put = (code: number, at: number): void => {
      if (bytes && code > 0x7f) throw new LiteralError("bytes can only contain ASCII literal characters", at);
      units.push(code);
    };
    /** The code point at `at` as written (a surrogate pair in the text is one character, as Python decodes it). */
    const charAt = (at: number): number => s.codePointAt(at) as number;
    const width = (code: number): number => (code > 0xffff ? 2 : 1);
    for (;;) {
      if (i >= s.length) throw new LiteralError("unterminated string", pos);
      const c = s[i] as string;
      if (c === "\\") {
        if (i + 1 >= s.length) throw new LiteralError("unterminated string", pos);
        if (raw) {
          // In a raw string a backslash stays, and keeps the next character from closing it.
          put(0x5c, i);
          const next = charAt(i + 1);
          put(next, i + 1);
          i += 1 + width(next);
        } else {
          i = this.escape(i, bytes, units);
        }
      } else if (s.startsWith(closing, i)) {
        i += closing.length;
        break;
      } else if (c === "\n" && !triple) {
        throw new LiteralError("unterminated string (a newline inside quotes)", pos);
      } else {
        const code = charAt(i);
        put(code, i);
        i += width(code);
      }
    }
    this.pos = i;
    return bytes ? { kind: "bytes", value: units, pos } : { kind: "str", value: units, pos };
  }

  /** Decodes the escape at `at` (a backslash) into `out`; returns the offset after it. */
  private escape(at: number, bytes: boolean, out: number[]): number {
    const s = this.text;
    const c = s[at + 1] as string;
    if (c === "\n") return at + 2; // a backslash-newline joins lines and adds nothing
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) {
      out.push(simple);
      return at + 2;
    }
    const octal = /^[0-7]{1,3}/.exec(s.slice(at + 1, at + 4));
    if (octal) {
      const code = parseInt(octal[0], 8);
      // CPython 3.11 truncates such a byte with a warning; refusing is the unambiguous choice.
      if (bytes && code > 0xff) throw new LiteralError("an octal escape above \\377 in bytes", at);
      out.push(code);
      return at + 1 + octal[0].length;
    }
    const width = c === "x" ? 2 : !bytes && c === "u" ? 4 : !bytes && c === "U" ? 8 : 0;
    if (width > 0) {
      const hex = s.slice(at + 2, at + 2 + width);
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) throw new LiteralError(`truncated \\${c} escape`, at);
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) throw new LiteralError("an escape beyond the last Unicode code point", at);
      // One code point, a surrogate included: `\\ud83d\\ude00` stays two, as in Python.
      out.push(code);
      return at + 2 + width;
    }
    // Named escapes need Unicode's name table, which the host does not carry: refused rather than guessed.
    if (!bytes && c === "N") throw new LiteralError("\\N{...} escapes are not supported", at);
    // Any other escape is kept as written (Python warns but keeps the backslash).
    out.push(0x5c);
    const kept = s.codePointAt(at + 1) as number;
    if (bytes && kept > 0x7f) throw new LiteralError("bytes can only contain ASCII literal characters", at + 1);
    out.push(kept);
    return at + 1 + (kept > 0xffff ? 2 : 1);
  }
}
