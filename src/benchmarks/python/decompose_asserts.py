"""Split MBPP-style asserts into a part the untrusted program evaluates and a part trusted code
evaluates, so that no comparison ever runs inside the untrusted process.

Trusted code: it reads benchmark data only, never a sample. Standard library only, so it runs
with `python3 -S -B` inside the sandbox image (as a stdio job) and with any host python3 >= 3.9.

stdin:  {"items": [{"key": any, "src": "assert ...",
                    "candidate_names": [...] | "reference": "<program>",
                    "setup_names": [...] | "setup": "<code>"}]}
stdout: {"items": [{"key", "ok": true, "candidate": expr, "expected": expr, "comparator": {...},
                    "view": [name, ...]?}
                 | {"key", "ok": false, "reason": str}]}

`candidate` is evaluated in the job, in the program's namespace after the setup code; `expected`
is evaluated by trusted code with builtins only; `comparator` is the judge's (src/core/task.ts);
`view` lists builtins the judge applies, innermost first, to the job's value as plain data on
the host before comparing (`set(f(x)) == {1, 2}`: the job returns f(x), the host takes set()).

Shapes decomposed (everything else is reported as not decomposable, runs in-process, and its
pass is marked weak):
  assert A == B                           -> eq, A or B (whichever mentions the program) in the job
  assert math.isclose(A, B, rel_tol=r, abs_tol=a)  -> isclose, literal tolerances only
  assert operator.eq(A, B)                -> eq, as A == B (operator imported by the code given)
  assert <isclose or operator.eq> == True -> as the check alone
  assert A                                -> truthy, the job evaluates `not not A`
  assert not A                            -> falsy, the job evaluates `not not A`
A side "mentions the program" when it uses a name the reference program or the setup code binds
at top level. The other side may use builtins only.

The job's side must be the program's own answer: a name the program defines, a call of one (with
any arguments: they are the program's input), an attribute the reference defines read from such
an answer, or a tuple or list of answers; wrapped, at most, in views (set, frozenset, list, tuple,
len, int) that the host applies. Nothing else may run there on the program's value, because the
program decides how its objects compare, count, index or convert: `operator.eq(f(x), [1])`,
`f(x).count(1) == 1`, `f(x).__eq__([1])`, `isinstance(f(x), list)`, `len(f(x)) == 3` computed in
the job could all be answered by an object that lies.
"""

import ast
import builtins
import json
import math
import sys

BUILTIN_NAMES = frozenset(dir(builtins))
DEFAULT_REL_TOL = 1e-09
DEFAULT_ABS_TOL = 0.0
# Builtins the judge applies on the host to the job's value (src/judge/views.ts), exactly as
# Python does on plain values.
VIEWS = ("set", "frozenset", "list", "tuple", "len", "int")


class NotDecomposable(Exception):
    pass


class Names:
    """What the reference and setup code bind: every name, the ones bound by import (with
    the module each stands for), and the attribute names the reference defines."""

    def __init__(self):
        self.bound = set()
        self.imported = {}  # name -> dotted module path (or "module.attr" for from-imports)
        self.attrs = set()

    def add_code(self, code):
        tree = ast.parse(code)
        self.bound |= bound_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    self.imported[name] = alias.name if alias.asname else name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if alias.name != "*":
                        self.imported[alias.asname or alias.name] = node.module + "." + alias.name
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    self.attrs |= bound_names(ast.Module(body=[item], type_ignores=[]))
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                self.attrs.add(node.attr)

    def add_names(self, names):
        self.bound |= set(names)

    def library(self, name):
        """Whether `name` stands for library code rather than the program's: an import, or a
        builtin the code does not bind itself."""
        return name in self.imported or (name in BUILTIN_NAMES and name not in self.bound)

    def module_function(self, node, module, function):
        """Whether `node` names `module.function` through the imports (`operator.eq`, `eq`)."""
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return node.attr == function and self.imported.get(node.value.id) == module
        return isinstance(node, ast.Name) and self.imported.get(node.id) == module + "." + function


def bound_names(code):
    """Names a program (code, or its parsed tree) binds in its module namespace: defs, classes,
    assignments, imports, globals."""
    tree = ast.parse(code) if isinstance(code, str) else code
    names = set()

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


def describe(expr):
    text = ast.unparse(expr)
    return text if len(text) <= 60 else text[:57] + "..."


def answer(expr, names):
    """Raises NotDecomposable unless `expr` is the program's own answer (see the module doc)."""
    if isinstance(expr, ast.Name):
        if names.library(expr.id):
            raise NotDecomposable("the program's side is library code, not the program: " + expr.id)
        return
    if isinstance(expr, ast.Call):
        answer(expr.func, names)  # the arguments are the program's input, whatever they are
        return
    if isinstance(expr, ast.Attribute):
        if isinstance(expr.value, ast.Name) and names.library(expr.value.id):
            raise NotDecomposable("the program's side is library code, not the program: " + describe(expr))
        if expr.attr not in names.attrs:
            raise NotDecomposable(
                "the program's side runs ." + expr.attr + " on the program's value in the job: " + describe(expr))
        answer(expr.value, names)
        return
    if isinstance(expr, (ast.Tuple, ast.List)):
        for item in expr.elts:
            if not isinstance(item, ast.Constant):
                answer(item, names)
        return
    raise NotDecomposable("the program's side computes on the program's value in the job: " + describe(expr))


def job_expr(expr, names):
    """(the expression the job evaluates, the views the host applies to its value)."""
    if not free_names(expr) & names.bound:
        raise NotDecomposable("the expression does not use the program's names")
    if judges_truth(expr):
        raise NotDecomposable("the program's side compares or combines truth values itself")
    views = []
    while (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in VIEWS
           and names.library(expr.func.id) and len(expr.args) == 1 and not expr.keywords
           and not isinstance(expr.args[0], ast.Starred)):
        views.append(expr.func.id)
        expr = expr.args[0]
    for outer, inner in zip(views, views[1:]):
        if outer in ("list", "tuple") and inner in ("set", "frozenset"):
            # A set the host builds keeps insertion order, not the order Python's hashing gives.
            raise NotDecomposable(outer + "() of a " + inner + "() depends on Python's set order")
    answer(expr, names)
    return ast.unparse(expr), views[::-1]


def trusted_expr(expr):
    others = sorted(free_names(expr) - BUILTIN_NAMES)
    if others:
        raise NotDecomposable("the expected side uses names other than builtins: " + ", ".join(others))
    return ast.unparse(expr)


def split_sides(a, b, names):
    """(job side, its views, trusted side) of a two-sided check: exactly one side may use the program."""
    a_uses = bool(free_names(a) & names.bound)
    b_uses = bool(free_names(b) & names.bound)
    if a_uses and b_uses:
        raise NotDecomposable("both sides use the program's names")
    if not a_uses and not b_uses:
        raise NotDecomposable("neither side uses the program's names")
    job, trusted = (a, b) if a_uses else (b, a)
    candidate, views = job_expr(job, names)
    return candidate, views, trusted_expr(trusted)


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


def is_operator_eq(node, names):
    return isinstance(node, ast.Call) and names.module_function(node.func, "operator", "eq")


def two_positional(call, what):
    if len(call.args) != 2 or any(isinstance(a, ast.Starred) for a in call.args):
        raise NotDecomposable(what + " needs exactly two positional arguments")
    return call.args


def check(test, names):
    """A two-sided check (isclose, operator.eq) -> (candidate, views, expected, comparator), or None."""
    if is_math_isclose(test):
        a, b = two_positional(test, "math.isclose")
        tolerances = {"rel_tol": DEFAULT_REL_TOL, "abs_tol": DEFAULT_ABS_TOL}
        for keyword in test.keywords:
            if keyword.arg not in tolerances:
                raise NotDecomposable("math.isclose with keyword " + str(keyword.arg))
            tolerances[keyword.arg] = literal_tolerance(keyword.value, keyword.arg)
        comparator = {"kind": "isclose", "relTol": tolerances["rel_tol"], "absTol": tolerances["abs_tol"]}
        return split_sides(a, b, names) + (comparator,)
    if is_operator_eq(test, names):
        if test.keywords:
            raise NotDecomposable("operator.eq with keywords")
        a, b = two_positional(test, "operator.eq")
        return split_sides(a, b, names) + ({"kind": "eq"},)
    return None


def decompose(src, names):
    """One assert -> (candidate, views, expected, comparator); raises NotDecomposable."""
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
        left, right = test.left, test.comparators[0]
        # `check(...) == True` is the check itself (both return a bool).
        for side, other in ((left, right), (right, left)):
            if isinstance(other, ast.Constant) and other.value is True:
                found = check(side, names)
                if found is not None:
                    return found
        candidate, views, expected = split_sides(left, right, names)
        return candidate, views, expected, {"kind": "eq"}

    found = check(test, names)
    if found is not None:
        return found

    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return truth_of(test.operand, names), [], "None", {"kind": "falsy"}

    if isinstance(test, ast.BoolOp):
        raise NotDecomposable("and/or in an assert")
    return truth_of(test, names), [], "None", {"kind": "truthy"}


def truth_of(expr, names):
    """`not not (A)`: the job hands back A's truth as a plain bool, as `assert` itself would take it.

    A must be the program's own answer (see the module doc); it may be anything (a re.Match,
    say), which the value codec would refuse, and its truth is the program's to decide either
    way, since the program could as well return True. `not` cannot be rebound the way `bool` can.
    """
    candidate, views = job_expr(expr, names)
    if views:
        raise NotDecomposable("the truth of " + views[-1] + "() of the program's value")
    return ast.unparse(ast.UnaryOp(op=ast.Not(), operand=ast.UnaryOp(op=ast.Not(), operand=expr)))


def names_of(item, cache):
    """The Names of an item's reference and setup (given as code or as lists of names)."""
    names = Names()
    for names_field, code_field in (("candidate_names", "reference"), ("setup_names", "setup")):
        if names_field in item:
            names.add_names(item[names_field])
            continue
        code = item.get(code_field) or ""
        if code not in cache:
            try:
                found = Names()
                found.add_code(code)
                cache[code] = found
            except SyntaxError as err:
                cache[code] = err
        found = cache[code]
        if isinstance(found, SyntaxError):
            raise NotDecomposable("the " + code_field + " code does not parse: " + str(found.msg))
        names.bound |= found.bound
        names.imported.update(found.imported)
        names.attrs |= found.attrs
    return names


def decompose_item(item, cache):
    key = item.get("key")
    try:
        src = item.get("src")
        if not isinstance(src, str):
            raise NotDecomposable("no src")
        candidate, views, expected, comparator = decompose(src, names_of(item, cache))
        out = {"key": key, "ok": True, "candidate": candidate, "expected": expected, "comparator": comparator}
        if views:
            out["view"] = views
        return out
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
