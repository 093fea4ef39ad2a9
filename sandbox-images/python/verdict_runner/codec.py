"""The value codec, as it runs in a job's process: a returned value -> tagged JSON (or the
digest of its plain repr when it costs more than the value budget), and the host's tagged test
inputs -> Python values. docs/ARCHITECTURE.md, "The value codec", has the wire format.

A program may patch `json`, `struct`, `base64`, `hashlib`, `math`, `os.write` or `builtins`
before it returns: every name the codec uses is bound here at import, in the runner, before any
program runs, and the functions below see a private copy of the builtins. So its values are
encoded as they are.
"""
import base64
import binascii
import builtins

MAX_DEPTH = 200
# A value larger than value_bytes travels as the sha256 of its repr, up to this many times
# value_bytes of repr (Mbpp/255's reference answer has a 1 GB repr); beyond, output_limit.
DIGEST_FACTOR = 128

# Functions below see a private copy of the builtins (read when each is made), so a program
# patching `builtins` in a job's process does not reach them.
__builtins__ = dict(builtins.__dict__)  # noqa: A001
_b2a_base64 = binascii.b2a_base64
_isfinite = __import__("math").isfinite
_sha256 = __import__("hashlib").sha256


class Unserializable(Exception):
    pass


class TooLarge(Exception):
    pass


_SAFE_INT = 1 << 53
# What a value costs against value_bytes: the bytes of its frame, plus ELEMENT_COST for every
# "," and CONTAINER_COST for every "[" and "{" in it. That is about what the value takes once
# decoded (by the assembling fork and by the host), however it is shaped: `[()] * 10**6` is 9
# bytes of JSON per item but ~300 bytes of objects, and costs 130 here. The parent measures
# every frame this way, so a job that writes its own frames is held to the same budget.
ELEMENT_COST = 16
CONTAINER_COST = 48
_SEP = 1 + ELEMENT_COST  # one item's "," in a JSON array
_OPEN = CONTAINER_COST  # one "[" or "{" beyond its own byte
# Most bytes one item takes in the frame: "-9007199254740992", {"f":-1.2345678901234567e-308}.
_INT_BYTES = 17
_FLOAT_BYTES = 32
_FLOAT_COST = _FLOAT_BYTES + _OPEN
# {"u":[…]}: a code point is at most 7 digits.
_CODE_POINT_COST = 7 + _SEP
_NONE = type(None)
_SCALARS = frozenset((_NONE, bool, int, float, str, bytes, complex))
_SEQUENCES = frozenset((list, tuple, set, frozenset))
_PLAIN = _SCALARS | _SEQUENCES | {dict}
_has_surrogate = __import__("re").compile("[\ud800-\udfff]").search
_isnan = __import__("math").isnan
_cisnan = __import__("cmath").isnan
_compress = __import__("itertools").compress
_chain = __import__("itertools").chain.from_iterable
_partial = __import__("functools").partial
_is = __import__("operator").is_


def frame_cost(body):
    """What a frame (or any JSON text) costs against the value budget (see ELEMENT_COST)."""
    return (len(body) + ELEMENT_COST * body.count(b",")
            + CONTAINER_COST * (body.count(b"[") + body.count(b"{")))


def _float_payload(x):
    if _isfinite(x):
        return x
    if x != x:
        return "nan"
    return "inf" if x > 0 else "-inf"


def _str_cost(s):
    """What `s` costs as an ASCII JSON string: exact bytes for printable ASCII, else a bound."""
    if s.isascii() and s.isprintable():
        n = len(s) + 2 + s.count('"') + s.count("\\")
    else:
        n = 12 * len(s) + 2  # an astral character is two \\uXXXX escapes
    return n + ELEMENT_COST * s.count(",") + CONTAINER_COST * (s.count("[") + s.count("{"))


def _plain(x):
    """(the plain type x is read as, x as a plain value of that type), or Unserializable.

    The one projection both the value and its digest are made from. A subclass of int, float,
    str, list, tuple, dict, set or frozenset is read through the base type's own C methods
    (`int.__int__`, `list.copy`, the base type's iterator), never through anything the program
    could override: a lying `__eq__`, `__iter__`, `__repr__` or `__class__` is never called.
    Containers come back as a list of their items (a dict's as (key, value) pairs).
    """
    t = type(x)
    if t in _SCALARS:
        return t, x
    if t is list:
        return t, list.copy(x)
    if t is tuple or t is set or t is frozenset:
        return t, list(x)
    if t is dict:
        return t, list(dict.items(x))
    # type(x)'s own MRO decides; isinstance() would ask the object for its __class__.
    if issubclass(t, int) and t is not bool:
        return int, int.__int__(x)
    if issubclass(t, float):
        return float, float.__float__(x)
    if issubclass(t, str):
        return str, str.__str__(x)
    if issubclass(t, list):
        return list, list.copy(x)
    if issubclass(t, tuple):
        return tuple, list(tuple.__iter__(x))
    if issubclass(t, dict):
        return dict, list(dict.items(x))
    if issubclass(t, frozenset):
        return frozenset, list(frozenset.__iter__(x))
    if issubclass(t, set):
        return set, list(set.__iter__(x))
    raise Unserializable("%s is not a plain value" % type_name(x))


def encode_value(value, budget):
    """Plain Python value -> tagged JSON, refusing anything else (see ARCHITECTURE.md).

    A value that costs more than `budget` (see ELEMENT_COST) travels as a digest instead.
    """
    state = [budget]

    def spend(n):
        state[0] -= n
        if state[0] < 0:
            raise TooLarge("return value larger than %d bytes" % budget)

    def enc(x, depth):
        if depth > MAX_DEPTH:
            raise Unserializable("value nested deeper than %d levels" % MAX_DEPTH)
        t, p = _plain(x)
        if t is _NONE:
            spend(4)
            return None
        if t is bool:
            spend(5)
            return p
        if t is int:
            if -_SAFE_INT <= p <= _SAFE_INT:
                spend(_INT_BYTES)
                return p
            h = hex(p)
            spend(len(h) + 8 + _OPEN)
            return {"i": h}
        if t is float:
            spend(_FLOAT_COST)
            return {"f": _float_payload(p)}
        if t is str:
            if _has_surrogate(p):
                # JSON (and the host's UTF-16 strings) would merge "\ud83d\ude00" into one
                # character: a str holding surrogates travels as its code points.
                spend(8 + 2 * _OPEN + _CODE_POINT_COST * len(p))
                return {"u": list(map(ord, p))}
            spend(_str_cost(p))
            return p
        if t is bytes:
            spend((len(p) + 2) // 3 * 4 + 8 + _OPEN)
            return {"b": _b2a_base64(p, newline=False).decode("ascii")}
        if t is complex:
            spend(2 * _FLOAT_BYTES + 8 + 2 * _OPEN + _SEP)
            return {"c": [_float_payload(p.real), _float_payload(p.imag)]}
        if t is list:
            spend(2 + _OPEN + _SEP * len(p))
            return [enc(i, depth + 1) for i in p]
        if t is dict:
            spend(8 + 2 * _OPEN + (4 + _OPEN + 2 * _SEP) * len(p))
            return {"d": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in p]}
        spend(9 + 2 * _OPEN + _SEP * len(p))
        return {_SEQ_TAGS[t]: [enc(i, depth + 1) for i in p]}

    try:
        return enc(value, 0)
    except RecursionError:
        raise Unserializable("value nested too deeply")
    except TooLarge:
        # Too large to send whole: send the sha256 of its plain repr instead. The reference's
        # value takes the same path, so a right answer of any size still compares equal.
        digest, length, nan = repr_digest(value, DIGEST_FACTOR * budget)
        return {"h": "%s:%d%s" % (digest, length, ":nan" if nan else "")}


_SEQ_TAGS = {tuple: "t", set: "s", frozenset: "fs"}
_EMPTY = {list: "[]", tuple: "()", dict: "{}", set: "set()", frozenset: "frozenset()"}
_BRACKETS = {list: ("[", "]"), tuple: ("(", ")"), dict: ("{", "}"), set: ("{", "}"),
             frozenset: ("frozenset({", "})")}


def _scan_exact(items, limit):
    """(whether every object reachable from `items` has an exact plain type, whether one is NaN).

    Exact plain types have C reprs, so repr() of such a slice runs no code the program wrote.
    Level by level with map/compress, so a million items cost milliseconds, not seconds;
    (False, False) past `limit` objects or MAX_DEPTH levels (the caller goes item by item).
    """
    level = items
    nan = False
    seen = 0
    for _ in range(MAX_DEPTH):
        if not level:
            return True, nan
        seen += len(level)
        if seen > limit:
            return False, False
        types = set(map(type, level))
        if not types <= _PLAIN:
            return False, False
        kinds = list(map(type, level)) if len(types) > 1 else None
        deeper = []
        for t in types:
            if t in _SCALARS and t is not float and t is not complex:
                continue
            picked = level if kinds is None else list(_compress(level, map(_partial(_is, t), kinds)))
            if t is float:
                nan = nan or any(map(_isnan, picked))
            elif t is complex:
                nan = nan or any(map(_cisnan, picked))
            elif t is dict:
                deeper.extend(_chain(map(dict.keys, picked)))
                deeper.extend(_chain(map(dict.values, picked)))
            elif kinds is None:
                deeper = list(_chain(picked))
            else:
                deeper.extend(_chain(picked))
        level = deeper
    return False, False


def repr_digest(value, cap):
    """(sha256 hex, length, whether a NaN is in it) of the repr of the value's plain projection.

    Exactly repr(_plain(value), recursively): the text the small path's value would print as,
    never an object's own __repr__. A large container's repr is never built whole: its items
    are taken in slices whose own reprs stay small, and a slice of exact plain types is
    repr()'d in C. A repr longer than `cap` characters raises TooLarge as soon as that is known.
    """
    h = _sha256()
    total = [0]
    nan = [False]

    def too_large():
        return TooLarge("return value larger than %d bytes even as a digest" % cap)

    def emit(s, skip=0):
        total[0] += len(s) - 2 * skip
        if total[0] > cap:
            raise too_large()
        data = s.encode("utf-8", "surrogatepass")
        h.update(memoryview(data)[skip:len(data) - skip] if skip else data)

    def run(items, depth, as_dict):
        # Slices grow while their reprs are small and shrink when they are not, so memory
        # stays near the piece size whatever the shape of the value.
        i, k, n = 0, 16, len(items)
        while i < n:
            part = items[i:i + k]
            s = None
            exact, has_nan = _scan_exact(part, 1 << 20)
            if exact:
                try:
                    whole = dict(part) if as_dict else part
                    s = repr(whole) if len(whole) == len(part) else None
                except (MemoryError, RecursionError):
                    s = None
            if s is None:
                for j, item in enumerate(part):
                    if i + j:
                        emit(", ")
                    if as_dict:
                        walk(item[0], depth + 1)
                        emit(": ")
                        walk(item[1], depth + 1)
                    else:
                        walk(item, depth + 1)
                k = max(1, k // 4)
            else:
                nan[0] = nan[0] or has_nan
                if i:
                    emit(", ")
                emit(s, skip=1)
                k = max(1, k // 2) if len(s) > (1 << 22) else min(k * 2, 1 << 16)
            i += len(part)

    def walk(x, depth):
        if depth > MAX_DEPTH:
            raise Unserializable("value nested deeper than %d levels" % MAX_DEPTH)
        t, p = _plain(x)
        if t in _SEQUENCES or t is dict:
            if not p:
                emit(_EMPTY[t])
                return
            opening, closing = _BRACKETS[t]
            emit(opening)
            if t is tuple and len(p) == 1:
                walk(p[0], depth + 1)
                emit(",)")
                return
            run(p, depth, t is dict)
            emit(closing)
            return
        if t is str or t is bytes:
            if len(p) + 2 > cap - total[0]:
                raise too_large()
        elif t is int and p.bit_length() * 0.30103 > cap - total[0] + 2:
            raise too_large()
        elif t is float and p != p:
            nan[0] = True
        elif t is complex and _cisnan(p):
            nan[0] = True
        emit(repr(p))

    try:
        walk(value, 0)
    except RecursionError:
        raise Unserializable("value nested too deeply")
    return h.hexdigest(), total[0], nan[0]


def type_name(x):
    try:
        return type.__getattribute__(type(x), "__name__")
    except Exception:
        return "object"


def decode_value(w):
    """Tagged JSON from the host (trusted test inputs) -> Python value."""
    if w is None or isinstance(w, (bool, str)):
        return w
    if isinstance(w, int):
        return w
    if isinstance(w, float):
        raise ValueError("bare float on the wire")
    if isinstance(w, list):
        return [decode_value(i) for i in w]
    if isinstance(w, dict) and len(w) == 1:
        ((tag, p),) = w.items()
        if tag == "i":
            return int(p, 16)
        if tag == "f":
            return float(p)
        if tag == "t":
            return tuple(decode_value(i) for i in p)
        if tag == "s":
            return set(decode_value(i) for i in p)
        if tag == "fs":
            return frozenset(decode_value(i) for i in p)
        if tag == "d":
            return {decode_value(k): decode_value(v) for k, v in p}
        if tag == "b":
            return base64.b64decode(p)
        if tag == "c":
            return complex(float(p[0]), float(p[1]))
        if tag == "u":
            return "".join(map(chr, p))
    raise ValueError("bad tagged value: %r" % (w,))
