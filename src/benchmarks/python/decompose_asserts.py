"""Split MBPP-style asserts into a part the untrusted program evaluates and a part trusted code
evaluates, so that the comparison itself never runs inside the untrusted process.

Trusted code: it reads benchmark data only, never a sample. Standard library only, so it runs
with `python3 -S -B` inside the sandbox image (as a stdio job) and with any host python3 >= 3.9.

stdin:  {"items": [{"key": any, "src": "assert ...",
                    "candidate_names": [...] | "reference": "<program>",
                    "setup_names": [...] | "setup": "<code>"}]}
stdout: {"items": [{"key", "ok": true, "candidate": expr, "expected": expr, "comparator": {...}}
                 | {"key", "ok": false, "reason": str}]}

`candidate` is evaluated in the job, in the program's namespace after the setup code; `expected`
is evaluated by trusted code with builtins only; `comparator` is the judge's (src/core/task.ts).

Shapes decomposed (everything else is reported as not decomposable and runs in-process):
  assert A == B                           -> eq, A or B (whichever mentions the program) in the job
  assert math.isclose(A, B, rel_tol=r, abs_tol=a)  -> isclose, literal tolerances only
  assert A                                -> truthy, the job evaluates `not not A`
  assert not A                            -> falsy, the job evaluates `not not A`
A side "mentions the program" when it uses a name the reference program or the setup code binds
at top level. The other side may use builtins only. A job-side expression may not itself compare
or combine truth values (==, <, and, not, ...): the untrusted process would decide the verdict.
"""

import ast
import builtins
import json
import math
import sys

BUILTIN_NAMES = frozenset(dir(builtins))
DEFAULT_REL_TOL = 1e-09
DEFAULT_ABS_TOL = 0.0


class NotDecomposable(Exception):
    pass


def bound_names(code):
    """Names a program binds in its module namespace: defs, classes, assignments, imports, globals."""
    names = set()
    tree = ast.parse(code)

    def add_globals(scope):
        for node in ast.walk(scope):
            if isinstance(node, ast.Global):
                names.update(node.names)

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            for child in node.decorator_list:
                visit(child)
            add_globals(node)
            return  # their bodies bind local (or class) names, not module names
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    names.add(alias.asname or alias.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def free_names(expr):
    """Names an expression reads that it does not bind itself (comprehension targets, lambda args)."""
    loaded, bound = set(), set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return loaded - bound


def judges_truth(expr):
    """Whether evaluating the expression compares or combines truth values (forgeable in the job)."""
    for node in ast.walk(expr):
        if isinstance(node, (ast.Compare, ast.BoolOp)):
            return True
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return True
    return False


def job_expr(expr, program_names):
    if not free_names(expr) & program_names:
        raise NotDecomposable("the expression does not use the program's names")
    if judges_truth(expr):
        raise NotDecomposable("the program's side compares or combines truth values itself")
    return ast.unparse(expr)


def trusted_expr(expr):
    others = sorted(free_names(expr) - BUILTIN_NAMES)
    if others:
        raise NotDecomposable("the expected side uses names other than builtins: " + ", ".join(others))
    return ast.unparse(expr)


def split_sides(a, b, program_names):
    """(job side, trusted side) of a two-sided check: exactly one side may use the program."""
    a_uses = bool(free_names(a) & program_names)
    b_uses = bool(free_names(b) & program_names)
    if a_uses and b_uses:
        raise NotDecomposable("both sides use the program's names")
    if not a_uses and not b_uses:
        raise NotDecomposable("neither side uses the program's names")
    job, trusted = (a, b) if a_uses else (b, a)
    return job_expr(job, program_names), trusted_expr(trusted)


def literal_tolerance(node, name):
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise NotDecomposable(name + " is not a literal number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NotDecomposable(name + " is not a number")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise NotDecomposable(name + " must be finite and non-negative")
    return value


def is_math_isclose(node):
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "isclose"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "math"
    )


def decompose(src, program_names):
    """One assert -> (candidate, expected, comparator); raises NotDecomposable."""
    try:
        tree = ast.parse(src.strip())
    except SyntaxError as err:
        raise NotDecomposable("syntax error: " + str(err.msg)) from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        raise NotDecomposable("not a single assert statement")
    stmt = tree.body[0]
    # A message (`assert f(x) == 1, 2`, as in MBPP tasks 313, 362, 436) is only evaluated when
    # the assert fails, and never changes whether it passes: it is left out.
    test = stmt.test

    if isinstance(test, ast.Compare):
        if len(test.ops) != 1:
            raise NotDecomposable("chained comparison")
        if not isinstance(test.ops[0], ast.Eq):
            raise NotDecomposable("comparison other than ==: " + type(test.ops[0]).__name__)
        candidate, expected = split_sides(test.left, test.comparators[0], program_names)
        return candidate, expected, {"kind": "eq"}

    if is_math_isclose(test):
        if len(test.args) != 2 or any(isinstance(a, ast.Starred) for a in test.args):
            raise NotDecomposable("math.isclose needs exactly two positional arguments")
        tolerances = {"rel_tol": DEFAULT_REL_TOL, "abs_tol": DEFAULT_ABS_TOL}
        for keyword in test.keywords:
            if keyword.arg not in tolerances:
                raise NotDecomposable("math.isclose with keyword " + str(keyword.arg))
            tolerances[keyword.arg] = literal_tolerance(keyword.value, keyword.arg)
        candidate, expected = split_sides(test.args[0], test.args[1], program_names)
        comparator = {"kind": "isclose", "relTol": tolerances["rel_tol"], "absTol": tolerances["abs_tol"]}
        return candidate, expected, comparator

    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return truth_of(test.operand, program_names), "None", {"kind": "falsy"}

    if isinstance(test, ast.BoolOp):
        raise NotDecomposable("and/or in an assert")
    return truth_of(test, program_names), "None", {"kind": "truthy"}


def truth_of(expr, program_names):
    """`not not (A)`: the job hands back A's truth as a plain bool, as `assert` itself would take it.

    A itself may be anything (a re.Match, say), which the value codec would refuse; the program
    decides A's truth either way, and `not` cannot be rebound the way `bool` can.
    """
    job_expr(expr, program_names)
    return ast.unparse(ast.UnaryOp(op=ast.Not(), operand=ast.UnaryOp(op=ast.Not(), operand=expr)))


def names_of(item, names_field, code_field, cache):
    if names_field in item:
        return set(item[names_field])
    code = item.get(code_field) or ""
    if code not in cache:
        try:
            cache[code] = frozenset(bound_names(code))
        except SyntaxError as err:
            cache[code] = err
    found = cache[code]
    if isinstance(found, SyntaxError):
        raise NotDecomposable("the " + code_field + " code does not parse: " + str(found.msg))
    return set(found)


def decompose_item(item, cache):
    key = item.get("key")
    try:
        src = item.get("src")
        if not isinstance(src, str):
            raise NotDecomposable("no src")
        program_names = names_of(item, "candidate_names", "reference", cache)
        program_names |= names_of(item, "setup_names", "setup", cache)
        candidate, expected, comparator = decompose(src, program_names)
        return {"key": key, "ok": True, "candidate": candidate, "expected": expected, "comparator": comparator}
    except NotDecomposable as why:
        return {"key": key, "ok": False, "reason": str(why)}
    except (RecursionError, ValueError, TypeError) as err:
        return {"key": key, "ok": False, "reason": "cannot analyse: " + type(err).__name__ + ": " + str(err)}


def main():
    try:
        request = json.load(sys.stdin)
        items = request["items"]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise TypeError("items must be a list of objects")
    except (ValueError, KeyError, TypeError) as err:
        sys.stderr.write("decompose_asserts: bad request: %s\n" % err)
        return 2
    cache = {}
    results = [decompose_item(item, cache) for item in items]
    json.dump({"items": results}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
