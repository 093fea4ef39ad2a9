import { InputError } from "../core/errors.js";
import { PyDict, type PyValue } from "../core/py-value.js";

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;
/** Python's json module gives up near this depth too (recursion limit). */
const MAX_DEPTH = 1000;

/**
 * Parses JSON text the way Python's `json.loads` does, straight into PyValues: an integer
 * literal stays an exact int (`bigint`, any size), a literal with a fraction or exponent is a
 * float (`number`), `NaN`/`Infinity`/`-Infinity` are floats, objects are dicts with str keys
 * (a repeated key keeps its first position and its last value). `JSON.parse` will not do:
 * it turns `1.0` into `1` and rounds large integers, and MBPP+ inputs depend on both.
 * Malformed text is an InputError giving the character offset.
 */
export function parsePythonJson(text: string): PyValue {
  const reader = new Reader(text);
  reader.skipWhitespace();
  const value = reader.value(0);
  reader.skipWhitespace();
  if (reader.pos !== text.length) throw reader.error("extra data");
  return value;
}

class Reader {
  pos = 0;
  constructor(private readonly text: string) {}

  error(message: string, at = this.pos): InputError {
    return new InputError(`${message} at offset ${at}`);
  }

  skipWhitespace(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.exec(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) throw this.error("nested too deeply");
    const c = this.text[this.pos];
    switch (c) {
      case "{":
        return this.object(depth);
      case "[":
        return this.array(depth);
      case '"':
        return this.string();
      case "n":
        return this.word("null", null);
      case "t":
        return this.word("true", true);
      case "f":
        return this.word("false", false);
      case "N":
        return this.word("NaN", NaN);
      case "I":
        return this.word("Infinity", Infinity);
      case "-":
        if (this.text.startsWith("-Infinity", this.pos)) return this.word("-Infinity", -Infinity);
        return this.number();
      default:
        if (c !== undefined && c >= "0" && c <= "9") return this.number();
        throw this.error(c === undefined ? "unexpected end of input" : `unexpected ${JSON.stringify(c)}`);
    }
  }

  private word<T extends PyValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) throw this.error("invalid literal");
    this.pos += word.length;
    return value;
  }

  private number(): PyValue {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) throw this.error("invalid number");
    this.pos = NUMBER.lastIndex;
    return m[1] !== undefined || m[2] !== undefined ? Number(m[0]) : BigInt(m[0]);
  }

  private string(): string {
    const start = this.pos;
    let i = start + 1;
    for (;;) {
      const c = this.text.charCodeAt(i);
      if (Number.isNaN(c)) throw this.error("unterminated string", start);
      if (c === 0x22) break; // the closing quote
      if (c === 0x5c) i += 2; // a backslash and the character it escapes
      else if (c < 0x20) throw this.error("invalid control character in string", i);
      else i += 1;
    }
    this.pos = i + 1;
    try {
      // The escapes (lone surrogates included, which Python accepts too) are JSON's own.
      return JSON.parse(this.text.slice(start, i + 1)) as string;
    } catch {
      throw this.error("invalid string escape", start);
    }
  }

  private array(depth: number): PyValue[] {
    const items: PyValue[] = [];
    this.pos += 1;
    this.skipWhitespace();
    if (this.text[this.pos] === "]") {
      this.pos += 1;
      return items;
    }
    for (;;) {
      this.skipWhitespace();
      items.push(this.value(depth + 1));
      this.skipWhitespace();
      const c = this.text[this.pos];
      this.pos += 1;
      if (c === "]") return items;
      if (c !== ",") throw this.error("expected ',' or ']'", this.pos - 1);
    }
  }

  private object(depth: number): PyDict {
    const map = new Map<string, PyValue>();
    this.pos += 1;
    this.skipWhitespace();
    if (this.text[this.pos] === "}") {
      this.pos += 1;
      return new PyDict([]);
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') throw this.error("expected a string key");
      const key = this.string();
      this.skipWhitespace();
      if (this.text[this.pos] !== ":") throw this.error("expected ':'");
      this.pos += 1;
      this.skipWhitespace();
      map.set(key, this.value(depth + 1));
      this.skipWhitespace();
      const c = this.text[this.pos];
      this.pos += 1;
      if (c === "}") return new PyDict([...map.entries()]);
      if (c !== ",") throw this.error("expected ',' or '}'", this.pos - 1);
    }
  }
}
