/**
 * Python source as HTML with tokens wrapped in `<span class="…">`: k keyword, m constant
 * (True, False, None), b builtin, f the name a `def` or `class` introduces, s string,
 * c comment, n number, d decorator. Everything else is escaped text, so untrusted programs
 * cannot inject markup.
 *
 * The report page runs this same function in the browser (it is embedded with
 * `highlightPython.toString()`), so it must stay self-contained: no imports, no outer names.
 */
export function highlightPython(source: string): string {
  const keywords = new Set(
    (
      "and as assert async await break class continue def del elif else except finally for from global " +
      "if import in is lambda nonlocal not or pass raise return try while with yield match case"
    ).split(" "),
  );
  const constants = new Set(["True", "False", "None", "self", "cls"]);
  const builtins = new Set(
    (
      "abs all any ascii bin bool bytearray bytes callable chr dict dir divmod enumerate eval exec filter " +
      "float format frozenset getattr globals hasattr hash hex id input int isinstance issubclass iter len " +
      "list locals map max min next object oct open ord pow print range repr reversed round set setattr " +
      "slice sorted str sum super tuple type vars zip __import__ Exception ValueError TypeError KeyError " +
      "IndexError RuntimeError StopIteration ZeroDivisionError AssertionError AttributeError NotImplementedError"
    ).split(" "),
  );
  const escape = (text: string): string =>
    text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const span = (cls: string, text: string): string => `<span class="${cls}">${escape(text)}</span>`;
  // One alternative per token kind; order matters: a string prefix wins over an identifier.
  const tokens =
    /(#[^\n]*)|((?:[rRbBuUfF]{1,2})?(?:'''[\s\S]*?(?:'''|$)|"""[\s\S]*?(?:"""|$)|'(?:\\.|[^'\\\n])*'?|"(?:\\.|[^"\\\n])*"?))|(@[A-Za-z_][\w.]*)|(\b(?:0[xXoObB][\da-fA-F_]+|\d[\d_]*(?:\.[\d_]*)?(?:[eE][+-]?\d[\d_]*)?[jJ]?))|([A-Za-z_]\w*)/g;
  let out = "";
  let last = 0;
  let definesName = false;
  for (let m = tokens.exec(source); m !== null; m = tokens.exec(source)) {
    out += escape(source.slice(last, m.index));
    last = m.index + m[0].length;
    const [text, comment, str, decorator, num, word] = m;
    if (comment !== undefined) out += span("c", text);
    else if (str !== undefined) out += span("s", text);
    else if (decorator !== undefined) out += span("d", text);
    else if (num !== undefined) out += span("n", text);
    else if (word !== undefined) {
      if (definesName) out += span("f", text);
      else if (keywords.has(word)) out += span("k", text);
      else if (constants.has(word)) out += span("m", text);
      else if (builtins.has(word)) out += span("b", text);
      else out += escape(text);
      definesName = word === "def" || word === "class";
      continue;
    }
    definesName = false;
  }
  return out + escape(source.slice(last));
}
