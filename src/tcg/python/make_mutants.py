"""Make mutants of trusted reference programs with Python's ast: wrong programs that tell good
tests from weak ones (a test set's kill rate).

Trusted code: it reads reference solutions only, never a sample, and never runs the program it
mutates (it parses, rewrites and compiles it). Standard library only, so it runs with
`python3 -S -B` inside the sandbox image as a stdio job, like decompose_asserts.py.

stdin:  {"items": [{"key": any, "program": str, "seed": int, "max": int}]}
stdout: {"items": [{"key", "ok": true, "sites": int,
                    "mutants": [{"program": str, "operator": str, "line": int, "description": str}]}
                 | {"key", "ok": false, "reason": str}]}

Mutation operators (each site may give one or two mutants):
  operator    arithmetic, bitwise, augmented-assignment and boolean operators swapped
              (+ -, * //, / *, // /, % //, ** *, << >>, & |, ^ |, and or), unary minus dropped,
              `not x` made `not not x`
  comparison  < <=, <= <, > >=, >= >, == !=, != ==, is / is not, in / not in
  constant    an int n becomes n + 1 and n - 1, a bool flips, a str becomes '' (or 'x' when
              empty), a float f becomes f + 1.0; docstrings and f-string parts are left alone
  off_by_one  an argument of range(...), a subscript index or a slice bound that is not a bare
              constant (an int one is a constant mutation) becomes e + 1 and e - 1
Every site is listed in a fixed order (ast.walk of the parsed program); the seed shuffles the
list with random.Random(seed), and mutants are taken in that order until `max` distinct ones
(text differing from the original and from each other, and compiling) are found. They are
returned in site order. The same program, seed and max always give the same mutants.
"""

import ast
import json
import random
import sys

BINOP_SWAPS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitOr,
}
CMP_SWAPS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
DESCRIPTION_CHARS = 100


def untouchable_constants(tree):
    """Constants a mutation must not change: docstrings, and the parts of f-strings."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                ids.add(id(first.value))
        elif isinstance(node, ast.JoinedStr):
            ids.update(id(n) for n in ast.walk(node))
    return ids


def constant_variants(value):
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1]
    if isinstance(value, float):
        return [value + 1.0]
    if isinstance(value, str):
        return ["" if value else "x"]
    return []


def is_range_call(node):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"


def is_int_constant(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool)


def shifted(expr, delta):
    return ast.BinOp(left=expr, op=ast.Add() if delta > 0 else ast.Sub(), right=ast.Constant(value=1))


def sites_of(tree):
    """Every mutation as (node index in ast.walk order, operator, variant)."""
    skip = untouchable_constants(tree)
    sites = []
    for i, node in enumerate(ast.walk(tree)):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in BINOP_SWAPS:
            sites.append((i, "operator", ("op",)))
        elif isinstance(node, ast.BoolOp):
            sites.append((i, "operator", ("boolop",)))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
            sites.append((i, "operator", ("unary",)))
        elif isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in CMP_SWAPS:
                    sites.append((i, "comparison", ("cmp", k)))
        elif isinstance(node, ast.Constant) and id(node) not in skip:
            for v, _ in enumerate(constant_variants(node.value)):
                sites.append((i, "constant", ("const", v)))
        if is_range_call(node):
            for k, arg in enumerate(node.args):
                if not is_int_constant(arg) and not isinstance(arg, ast.Starred):
                    sites.extend((i, "off_by_one", ("range", k, d)) for d in (1, -1))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            s = node.slice
            if isinstance(s, ast.Slice):
                for bound in ("lower", "upper"):
                    b = getattr(s, bound)
                    if b is not None and not is_int_constant(b):
                        sites.extend((i, "off_by_one", ("slice", bound, d)) for d in (1, -1))
            elif not isinstance(s, (ast.Tuple, ast.Constant)):
                sites.extend((i, "off_by_one", ("index", d)) for d in (1, -1))
    return sites


def apply(node, variant):
    """Mutates `node` in place."""
    kind = variant[0]
    if kind == "op":
        node.op = BINOP_SWAPS[type(node.op)]()
    elif kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "unary":
        if isinstance(node.op, ast.USub):
            node.op = ast.UAdd()
        else:
            node.operand = ast.UnaryOp(op=ast.Not(), operand=node.operand)
    elif kind == "cmp":
        node.ops[variant[1]] = CMP_SWAPS[type(node.ops[variant[1]])]()
    elif kind == "const":
        node.value = constant_variants(node.value)[variant[1]]
    elif kind == "range":
        node.args[variant[1]] = shifted(node.args[variant[1]], variant[2])
    elif kind == "slice":
        setattr(node.slice, variant[1], shifted(getattr(node.slice, variant[1]), variant[2]))
    elif kind == "index":
        node.slice = shifted(node.slice, variant[1])


def clip(text):
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 1] + "\u2026"


def mutants_of(program, seed, limit):
    tree = ast.parse(program)
    original = ast.unparse(tree)
    sites = sites_of(tree)
    order = list(range(len(sites)))
    random.Random(seed).shuffle(order)
    found = []
    seen = {original}
    for s in order:
        if len(found) >= limit:
            break
        index, operator, variant = sites[s]
        mutant_tree = ast.parse(program)
        node = list(ast.walk(mutant_tree))[index]
        before = ast.unparse(node)
        apply(node, variant)
        ast.fix_missing_locations(mutant_tree)
        text = ast.unparse(mutant_tree)
        if text in seen:
            continue
        try:
            compile(text, "<mutant>", "exec")
        except (SyntaxError, ValueError):
            continue
        seen.add(text)
        found.append((s, {
            "program": text + "\n",
            "operator": operator,
            "line": getattr(node, "lineno", 0),
            "description": clip(before) + " \u2192 " + clip(ast.unparse(node)),
        }))
    found.sort(key=lambda pair: pair[0])
    return len(sites), [m for _, m in found]


def main():
    request = json.loads(sys.stdin.read())
    out = []
    for item in request["items"]:
        key = item["key"]
        try:
            count, mutants = mutants_of(item["program"], int(item["seed"]), int(item["max"]))
            out.append({"key": key, "ok": True, "sites": count, "mutants": mutants})
        except (SyntaxError, ValueError, RecursionError) as e:
            out.append({"key": key, "ok": False, "reason": type(e).__name__ + ": " + str(e)[:200]})
    json.dump({"items": out}, sys.stdout)


if __name__ == "__main__":
    main()
