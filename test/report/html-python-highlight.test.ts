import { describe, it, expect } from "vitest";
import { highlightPython } from "../../src/report/html/python-highlight.js";

/** The text of the page a browser would show: tags dropped, entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

/** The [class, text] of every highlighted token, in order. */
function tokens(html: string): [string, string][] {
  return [...html.matchAll(/<span class="(\w)">([^<]*)<\/span>/g)].map((m) => [m[1] as string, visibleText(m[2] as string)]);
}

describe("highlightPython", () => {
  it("marks keywords, names being defined, builtins, constants, numbers, strings and comments", () => {
    const src = 'def add(a, b=1.5e3):\n    # sum them\n    return sum([a, b]) if a is not None else "none"\n';
    expect(tokens(highlightPython(src))).toEqual([
      ["k", "def"],
      ["f", "add"],
      ["n", "1.5e3"],
      ["c", "# sum them"],
      ["k", "return"],
      ["b", "sum"],
      ["k", "if"],
      ["k", "is"],
      ["k", "not"],
      ["m", "None"],
      ["k", "else"],
      ["s", '"none"'],
    ]);
  });

  it("keeps every character of the source, whatever it holds", () => {
    const src = 'class A:\n    """doc with # not a comment\n    and "quotes" """\n    x = rb\'\\x00\' + f"{1}"  # tail\n@decorator.x\ndef g(): return 0x1F\n';
    expect(visibleText(highlightPython(src))).toBe(src);
    const kinds = tokens(highlightPython(src));
    expect(kinds).toContainEqual(["s", '"""doc with # not a comment\n    and "quotes" """']);
    expect(kinds).toContainEqual(["s", "rb'\\x00'"]);
    expect(kinds).toContainEqual(["d", "@decorator.x"]);
    expect(kinds).toContainEqual(["n", "0x1F"]);
    expect(kinds).toContainEqual(["f", "A"]);
  });

  it("escapes markup in code, strings and comments so a program cannot inject HTML", () => {
    const src = 'x = "</span><script>alert(1)</script>"  # <img src=x onerror=alert(1)>\ny = a<b and b>c & d\n';
    const html = highlightPython(src);
    expect(html).not.toMatch(/<(script|img)/i);
    expect(html.replace(/<\/?span[^>]*>/g, "")).not.toMatch(/[<>]/);
    expect(visibleText(html)).toBe(src);
  });

  it("survives unterminated strings", () => {
    const src = 'print("open\nx = \'\'\'never closed';
    expect(visibleText(highlightPython(src))).toBe(src);
  });

  it("is self-contained, so the page can embed it through toString()", () => {
    // What the page does: rebuild the function from its source alone, with no module scope.
    const rebuilt = new Function(`return (${highlightPython.toString()})`)() as typeof highlightPython;
    const src = "def f(x):\n    return x + 1  # one\n";
    expect(rebuilt(src)).toBe(highlightPython(src));
  });
});
