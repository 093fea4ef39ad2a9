/**
 * A strict parser of Python literals into PyValues, for model-written test cases: nothing in
 * the text is ever evaluated on the host. It accepts what CPython 3.11's `ast.literal_eval`
 * accepts, read as if written inside parentheses (so line breaks may fall anywhere):
 *
 * - int (decimal up to 4,300 digits, as CPython; hex, octal, binary; underscores), float
 *   (`1.5`, `.5`, `1.`, `1e-3`, `1e999` is inf), imaginary `2j`, and a signed real plus or
 *   minus an imaginary (`1+2j`, `-1.5-0j`), with unary `+`/`-` on a number only (`--1` fails);
 * - str and bytes with every prefix but f (`r`, `u`, `b`, `br`, `rb`, any case), single,
 *   double and triple quotes, every escape except `\N{name}` (refused: the host has no Unicode
 *   name table), adjacent literals concatenated; a str is read as code points, so one holding
 *   a surrogate (`'\ud83d\ude00'`: two code points) is a PySurrogateStr, as the codec has it;
 * - True, False, None; list, tuple, dict, set and `set()`; nested to at most `maxDepth`.
 *
 * Refused, where literal_eval would also refuse: names (`x`, `__import__`), calls (`f(1)`,
 * `float('inf')`, `frozenset()`), operators (`*`, `**`, `.`), lambdas, comprehensions,
 * f-strings, `...` (Ellipsis is no plain value). Dict keys and set items must be hashable; a
 * repeated key keeps its first position and last value, and a repeated set item its first.
 */
import { PyBytes, PyComplex, PyDict, PySet, PySurrogateStr, PyTuple, type PyValue } from "../core/py-value.js";
import { pyHashKey, pyTypeName } from "../judge/py-equals.js";
import { Lexer, LiteralError, type Punct, type Token } from "./py-literal-lexer.js";

/** Size limits for one literal. */
export interface LiteralLimits {
  /** Longest text read at all; longer text is refused before any parsing (default 100,000). */
  maxChars?: number;
  /** Deepest bracket nesting (default 100; CPython's parser stops at 200). */
  maxDepth?: number;
}

/** A parsed value, or why the text is not a literal. */
export type LiteralResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export const DEFAULT_LITERAL_MAX_CHARS = 100_000;
export const DEFAULT_LITERAL_MAX_DEPTH = 100;

/**
 * What an expression is, as far as literal_eval's number rules care: a bare number constant
 * (parentheses are transparent), an imaginary constant, a sign applied to a number, a
 * real ± imaginary sum, or anything else.
 */
type Shape = "num" | "imag" | "signed" | "sum" | "other";

interface Parsed {
  value: PyValue;
  shape: Shape;
}

class Parser {
  private depth = 0;

  constructor(
    readonly lex: Lexer,
    private readonly maxDepth: number,
  ) {}

  fail(reason: string, at: Token = this.lex.peek()): never {
    throw new LiteralError(reason, at.pos);
  }

  isPunct(value: Punct): boolean {
    const t = this.lex.peek();
    return t.kind === "punct" && t.value === value;
  }

  expect(value: Punct): void {
    if (this.lex.peek().kind === "end") this.fail(`unexpected end of text (expected ${JSON.stringify(value)})`);
    if (!this.isPunct(value)) this.fail(`expected ${JSON.stringify(value)}`);
    this.lex.next();
  }

  /** Counts one more level of nesting, opened by `open`. */
  enter(open: Token): void {
    if (++this.depth > this.maxDepth) this.fail(`nested deeper than ${this.maxDepth} levels`, open);
  }

  /** Items up to and including `close`, separated by commas, a trailing comma allowed. */
  items(close: Punct): PyValue[] {
    const items: PyValue[] = [];
    while (!this.isPunct(close)) {
      items.push(this.expr().value);
      if (this.isPunct(close)) break;
      this.expect(",");
    }
    this.lex.next();
    return items;
  }

  /** One expression: a factor, optionally `+`/`-` an imaginary constant (literal_eval's complex rule). */
  expr(): Parsed {
    const left = this.factor();
    if (!this.isPunct("+") && !this.isPunct("-")) return left;
    const op = this.lex.next();
    const right = this.factor();
    const l = left.value;
    if ((left.shape !== "num" && left.shape !== "signed") || (typeof l !== "bigint" && typeof l !== "number")) {
      this.fail("only a real number may be added to an imaginary one", op);
    }
    if (right.shape !== "imag" || !(right.value instanceof PyComplex)) this.fail("only an imaginary number may be added to a real one", op);
    if (this.isPunct("+") || this.isPunct("-")) this.fail("arithmetic is not a literal");
    const re = typeof l === "bigint" ? Number(l) : l;
    if (!Number.isFinite(re) && typeof l === "bigint") this.fail("int too large to convert to float", op);
    const im = right.value.im;
    // CPython 3.11 turns the real into complex(re, 0.0) before adding, signs of zero included.
    const value = op.kind === "punct" && op.value === "+" ? new PyComplex(re + 0, 0 + im) : new PyComplex(re - 0, 0 - im);
    return { value, shape: "sum" };
  }

  /** A primary, or a sign applied to a number constant. */
  factor(): Parsed {
    if (!this.isPunct("+") && !this.isPunct("-")) return this.primary();
    const sign = this.lex.next();
    const operand = this.isPunct("+") || this.isPunct("-") ? this.fail("a sign may only apply to a number") : this.primary();
    const v = operand.value;
    if (operand.shape !== "num" && operand.shape !== "imag") this.fail("a sign may only apply to a number", sign);
    const negate = sign.kind === "punct" && sign.value === "-";
    if (!negate) return { value: v, shape: "signed" };
    if (typeof v === "bigint") return { value: -v, shape: "signed" };
    if (typeof v === "number") return { value: -v, shape: "signed" };
    const c = v as PyComplex;
    return { value: new PyComplex(-c.re, -c.im), shape: "signed" };
  }

  primary(): Parsed {
    const parsed = this.atom();
    const t = this.lex.peek();
    if (t.kind === "punct" && t.value === "(") this.fail("a call is not a literal");
    if (t.kind === "punct" && t.value === "[") this.fail("a subscript is not a literal");
    return parsed;
  }

  atom(): Parsed {
    const t = this.lex.next();
    switch (t.kind) {
      case "int":
      case "float":
        return { value: t.value, shape: "num" };
      case "imag":
        return { value: new PyComplex(0, t.value), shape: "imag" };
      case "str":
      case "bytes":
        return { value: this.strings(t), shape: "other" };
      case "name":
        return { value: this.name(t), shape: "other" };
      case "end":
        return this.fail("unexpected end of text", t);
      case "punct":
        return this.bracketed(t);
    }
  }

  /** Adjacent string literals concatenate; str and bytes may not mix. */
  strings(first: Extract<Token, { kind: "str" | "bytes" }>): PyValue {
    const units: number[] = [...first.value];
    for (;;) {
      const t = this.lex.peek();
      if (t.kind !== "str" && t.kind !== "bytes") break;
      if (t.kind !== first.kind) this.fail("cannot mix bytes and str literals", t);
      this.lex.next();
      for (const u of t.value) units.push(u);
    }
    return first.kind === "str" ? strOf(units) : new PyBytes(Uint8Array.from(units));
  }

  name(t: Extract<Token, { kind: "name" }>): PyValue {
    switch (t.value) {
      case "True":
        return true;
      case "False":
        return false;
      case "None":
        return null;
      case "set":
        // literal_eval's one call: the empty set, which has no literal of its own.
        if (this.isPunct("(")) {
          this.lex.next();
          this.expect(")");
          return new PySet([], false);
        }
    }
    return this.fail(`the name ${JSON.stringify(t.value.slice(0, 40))} is not a literal`, t);
  }

  bracketed(open: Extract<Token, { kind: "punct" }>): Parsed {
    this.enter(open);
    let parsed: Parsed;
    switch (open.value) {
      case "(": {
        if (this.isPunct(")")) {
          this.lex.next();
          parsed = { value: new PyTuple([]), shape: "other" };
          break;
        }
        const first = this.expr();
        if (this.isPunct(")")) {
          this.lex.next();
          parsed = first; // parentheses group; they make no tuple and keep the shape
          break;
        }
        this.expect(",");
        parsed = { value: new PyTuple([first.value, ...this.items(")")]), shape: "other" };
        break;
      }
      case "[":
        parsed = { value: this.items("]"), shape: "other" };
        break;
      case "{":
        parsed = { value: this.braces(), shape: "other" };
        break;
      default:
        return this.fail(`${JSON.stringify(open.value)} cannot start a value`, open);
    }
    this.depth--;
    return parsed;
  }

  /** `{}` and `{k: v, ...}` are dicts, `{a, ...}` a set. */
  braces(): PyValue {
    if (this.isPunct("}")) {
      this.lex.next();
      return new PyDict([]);
    }
    const first = this.expr().value;
    if (!this.isPunct(":")) {
      if (!this.isPunct("}")) this.expect(",");
      return makeSet([first, ...this.items("}")], this);
    }
    const pairs: [PyValue, PyValue][] = [];
    let key = first;
    for (;;) {
      this.expect(":");
      pairs.push([key, this.expr().value]);
      if (this.isPunct("}")) break;
      this.expect(",");
      if (this.isPunct("}")) break;
      key = this.expr().value;
    }
    this.lex.next();
    return makeDict(pairs, this);
  }
}

/**
 * A str from its code points, as the codec holds it: a plain JS string, or a PySurrogateStr
 * when a code point is a surrogate (a JS string would merge `\\ud83d\\ude00` into U+1F600).
 */
export function strOf(codePoints: readonly number[]): string | PySurrogateStr {
  if (codePoints.some((cp) => cp >= 0xd800 && cp <= 0xdfff)) return new PySurrogateStr([...codePoints]);
  // Built in chunks: String.fromCodePoint takes its code points as arguments.
  let value = "";
  for (let k = 0; k < codePoints.length; k += 8192) value += String.fromCodePoint(...codePoints.slice(k, k + 8192));
  return value;
}

function hashKey(v: PyValue, p: Parser): string {
  const key = pyHashKey(v);
  return key ?? p.fail(`unhashable type: '${pyTypeName(v)}'`);
}

function makeSet(items: PyValue[], p: Parser): PySet {
  const seen = new Set<string>();
  const kept: PyValue[] = [];
  for (const item of items) {
    const key = hashKey(item, p);
    if (!seen.has(key)) {
      seen.add(key);
      kept.push(item);
    }
  }
  return new PySet(kept, false);
}

function makeDict(pairs: [PyValue, PyValue][], p: Parser): PyDict {
  const index = new Map<string, number>();
  const entries: [PyValue, PyValue][] = [];
  for (const [k, v] of pairs) {
    const key = hashKey(k, p);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, entries.length);
      entries.push([k, v]);
    } else {
      (entries[at] as [PyValue, PyValue])[1] = v;
    }
  }
  return new PyDict(entries);
}

/** Runs `read` over normalized text within the limits, turning any refusal into a reason. */
function run<T>(text: string, limits: LiteralLimits, read: (p: Parser) => T): LiteralResult<T> {
  const maxChars = limits.maxChars ?? DEFAULT_LITERAL_MAX_CHARS;
  if (text.length > maxChars) return { ok: false, reason: `longer than ${maxChars} characters (${text.length})` };
  const p = new Parser(new Lexer(text.replace(/\r\n?/g, "\n")), limits.maxDepth ?? DEFAULT_LITERAL_MAX_DEPTH);
  try {
    const value = read(p);
    const end = p.lex.peek();
    if (end.kind !== "end") p.fail("unexpected text after the value", end);
    return { ok: true, value };
  } catch (err) {
    if (err instanceof LiteralError) return { ok: false, reason: err.message };
    throw err;
  }
}

/**
 * One Python literal (what `ast.literal_eval` would give), read as if inside parentheses: a
 * bare `1, 2` is a tuple, and empty text is refused.
 */
export function parsePyLiteral(text: string, limits: LiteralLimits = {}): LiteralResult<PyValue> {
  return run(text, limits, (p) => {
    const first = p.expr().value;
    if (!p.isPunct(",")) return first;
    p.lex.next();
    const rest: PyValue[] = [];
    while (p.lex.peek().kind !== "end") {
      rest.push(p.expr().value);
      if (p.lex.peek().kind === "end") break;
      p.expect(",");
    }
    return new PyTuple([first, ...rest]);
  });
}

/**
 * The positional arguments of a call, read exactly as Python reads the text between the
 * parentheses of `fn(...)`: `1, [2]` is two arguments, `(1, [2])` one tuple, empty text none.
 * A whole call of `entryPoint` (`fn(1, [2])`) is accepted too. Keyword and starred arguments
 * are refused; every argument must be a literal.
 */
export function parseCallArguments(text: string, entryPoint: string | undefined, limits: LiteralLimits = {}): LiteralResult<PyValue[]> {
  return run(text, limits, (p) => {
    const first = p.lex.peek();
    if (first.kind === "name" && first.value === entryPoint) {
      p.lex.next();
      const open = p.lex.peek();
      p.expect("(");
      p.enter(open);
      return p.items(")");
    }
    const args: PyValue[] = [];
    while (p.lex.peek().kind !== "end") {
      args.push(p.expr().value);
      if (p.lex.peek().kind === "end") break;
      p.expect(",");
    }
    return args;
  });
}
