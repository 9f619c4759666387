"""Version ranges as Helm checks them: does a chart version satisfy a Chart.yaml dependency range?

Helm matches a `dependencies:` entry to a loaded subchart only when IsCompatibleRange(range,
chart version) holds (pkg/chart/v2/util/compatible.go): the version parses with Masterminds
semver v3's NewVersion, the range with NewConstraint, and Constraints.Check accepts it. Anything
that does not parse is "no match", never an error. This module follows that library's grammar
and rules (constraints.go, version.go):

- a range is `||`-separated alternatives, each a list of comparisons joined by spaces or commas
  (all must hold); `A - B` (spaces required) means `>= A, <= B`;
- operators `=` (or none), `!=`, `>`, `<`, `>=`/`=>`, `<=`/`=<`, `~`/`~>`, `^`; a version may
  start with `v`, omit its minor/patch, or use `x`/`X`/`*` there (a wildcard makes `=` a `~`);
- a prerelease version satisfies an alternative only when one of that alternative's
  comparisons names a prerelease; build metadata never counts.

The library's patterns are kept as it writes them (its character classes even admit `|`), so
odd inputs parse, or fail, as they do in Helm. Python's regex engine backtracks where Go's does
not, so runs of whitespace are first collapsed to one space (the result cannot change: every
whitespace in the patterns is `\\s*` or `\\s+`), and a range longer than MAX_RANGE_CHARS or
with more than MAX_COMPARISONS comparisons counts as no match, so a hostile Chart.yaml stays fast.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..lazy_pattern import LazyPattern
from ..records import record

MAX_RANGE_CHARS = 256
MAX_COMPARISONS = 64

_WS = r"[\t\n\f\r ]"  # Go's \s (no \v, nothing beyond ASCII)
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"  # the empty alternative is the library's: `1.2` is `=1.2`
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_COMPARISON = LazyPattern(rf"{_WS}*({_OPS}){_WS}*({_CV}){_WS}*\Z")
_HYPHEN_RANGE = LazyPattern(rf"{_WS}*({_CV}){_WS}+-{_WS}+({_CV}){_WS}*")
_FIND_COMPARISON = LazyPattern(rf"({_OPS}){_WS}*({_CV})")
_VALID_GROUP = LazyPattern(
    rf"({_WS}*({_OPS}){_WS}*({_CV}){_WS}*)((?:{_WS}+|,{_WS}*)({_OPS}){_WS}*({_CV}){_WS}*)*\Z"
)
_LOOSE_VERSION = LazyPattern(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?\Z"
)
_IDENTIFIER = LazyPattern(r"[0-9A-Za-z\-]+\Z")
_UINT64_MAX = 2**64 - 1
_WILDCARDS = ("x", "X", "*")


@record(frozen=True)
class Version:
    """A parsed version; build metadata is dropped (it never takes part in a comparison)."""

    major: int
    minor: int
    patch: int
    pre: str = ""


@record(frozen=True)
class _Comparison:
    op: str
    version: Version
    wild_major: bool  # the library's `dirty`: some part was a wildcard or missing
    wild_minor: bool  # `minorDirty`
    wild_patch: bool  # `patchDirty`


# unicode.IsSpace: Go maps these to a space when it sanitizes a dependency's fields
_GO_SPACES = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | frozenset(
    chr(c) for c in range(0x2000, 0x200B)
)


def sanitized(text: str) -> str:
    """sanitizeString, which Dependency.Validate applies to a dependency's `version` (not to the
    chart's own): every space becomes " ", anything unprintable is dropped."""
    return "".join(" " if ch in _GO_SPACES else ch for ch in text if ch in _GO_SPACES or ch.isprintable())


def parse_version(text: str) -> Version | None:
    """NewVersion (coercing form, the library's default): `v` prefix, missing minor/patch are 0,
    leading zeros allowed in the numbers; None where it errors."""
    m = _LOOSE_VERSION.match(text)
    if m is None:
        return None
    parsed = [_uint(part.lstrip(".")) if part else 0 for part in m.group(1, 2, 3)]
    numbers = [n for n in parsed if n is not None]
    if len(numbers) < 3:
        return None  # strconv.ParseUint: value out of range
    pre, build = m.group(5) or "", m.group(8) or ""
    if pre and not _valid_identifiers(pre, numeric_rule=True):
        return None
    if build and not _valid_identifiers(build, numeric_rule=False):
        return None
    return Version(numbers[0], numbers[1], numbers[2], pre)


def _valid_identifiers(dotted: str, numeric_rule: bool) -> bool:
    """validatePrerelease / validateMetadata: no empty part; a numeric prerelease part has no
    leading zero."""
    for part in dotted.split("."):
        if not _IDENTIFIER.match(part):
            return False
        if numeric_rule and part.isdigit() and len(part) > 1 and part[0] == "0":
            return False
    return True


def compare(a: Version, b: Version) -> int:
    """Version.Compare: numbers, then a prerelease is below its release."""
    for x, y in ((a.major, b.major), (a.minor, b.minor), (a.patch, b.patch)):
        if x != y:
            return -1 if x < y else 1
    if a.pre == b.pre:
        return 0
    if not a.pre or not b.pre:
        return 1 if not a.pre else -1
    return _compare_prerelease(a.pre, b.pre)


def _compare_prerelease(a: str, b: str) -> int:
    """comparePrerelease: part by part; a missing part is lower; numbers (uint64) below words."""
    parts_a, parts_b = a.split("."), b.split(".")
    for i in range(max(len(parts_a), len(parts_b))):
        x = parts_a[i] if i < len(parts_a) else ""
        y = parts_b[i] if i < len(parts_b) else ""
        if x == y:
            continue
        if not x or not y:
            return -1 if not x else 1
        nx, ny = _uint(x), _uint(y)
        if nx is None and ny is None:
            return 1 if x > y else -1
        if nx is None or ny is None:
            return 1 if nx is None else -1
        return 1 if nx > ny else -1
    return 0


def _uint(text: str) -> int | None:
    """strconv.ParseUint(text, 10, 64)."""
    digits = text.lstrip("0") or "0"
    # the length first: Python's int() refuses a string of 4,300 digits and more
    if not text.isascii() or not text.isdigit() or len(digits) > 20 or int(digits) > _UINT64_MAX:
        return None
    return int(digits)


def _parse_comparison(text: str) -> _Comparison | None:
    """parseConstraint: a wildcard or missing part makes the comparison `dirty` at that level,
    and the version behind it is the wildcard's floor (`1.x` is 1.0.0)."""
    m = _COMPARISON.match(text)
    if m is None:
        return None
    op, major, minor, patch, pre = m.group(1), m.group(3), m.group(4), m.group(5), m.group(7)
    minor, patch = minor or "", patch or ""
    suffix = f"-{pre}" if pre else ""
    wild_major = wild_minor = wild_patch = False
    shown = m.group(2)
    if major in _WILDCARDS:
        shown, wild_major = "0.0.0" + suffix, True
    elif not minor or minor[1:] in _WILDCARDS:
        shown, wild_major, wild_minor = f"{major}.0.0{suffix}", True, True
    elif not patch or patch[1:] in _WILDCARDS:
        shown, wild_major, wild_patch = f"{major}{minor}.0{suffix}", True, True
    version = parse_version(shown)
    if version is None:
        return None  # the library's "constraint parser error"
    return _Comparison(op, version, wild_major, wild_minor, wild_patch)


def _rewrite_hyphen_ranges(text: str) -> str:
    """rewriteRange: each `A - B` becomes `>= A, <= B ` (first occurrence of the matched text,
    in match order, as Go's strings.Replace(..., 1) does)."""
    out = text
    for m in _HYPHEN_RANGE.finditer(text):
        out = out.replace(m.group(0), f">= {m.group(1)}, <= {m.group(11)} ", 1)
    return out


@lru_cache(maxsize=1024)
def parse_range(text: str) -> tuple[tuple[_Comparison, ...], ...] | None:
    """NewConstraint: the alternatives, each its comparisons; None where it errors (an empty
    range is an error too) or where the range is beyond this module's bounds."""
    if len(text) > MAX_RANGE_CHARS:
        return None
    text = re.sub(f"{_WS}+", " ", text)
    alternatives = []
    count = 0
    for group in _rewrite_hyphen_ranges(text).split("||"):
        if not _VALID_GROUP.match(group):
            return None
        found = [m.group(0) for m in _FIND_COMPARISON.finditer(group)] or [group]
        count += len(found)
        if count > MAX_COMPARISONS:
            return None
        comparisons = [_parse_comparison(item) for item in found]
        if any(c is None for c in comparisons):
            return None
        alternatives.append(tuple(c for c in comparisons if c is not None))
    return tuple(alternatives)


def is_compatible_range(constraint: str, version: str) -> bool:
    """IsCompatibleRange: the version parses, the range parses, and some alternative holds."""
    parsed_version = parse_version(version)
    alternatives = parse_range(constraint)
    if parsed_version is None or alternatives is None:
        return False
    for comparisons in alternatives:
        include_pre = any(c.version.pre for c in comparisons)  # Constraints.containsPre
        if all(_holds(c, parsed_version, include_pre) for c in comparisons):
            return True
    return False


def _holds(c: _Comparison, v: Version, include_pre: bool) -> bool:
    """constraint.check: every operator first refuses a prerelease the alternative does not
    ask for."""
    if v.pre and not include_pre:
        return False
    op = c.op
    if op in ("", "="):
        return _tilde(c, v) if c.wild_major else compare(v, c.version) == 0
    if op == "!=":
        return _not_equal(c, v)
    if op == ">":
        return _greater(c, v)
    if op == "<":
        return compare(v, c.version) < 0
    if op in (">=", "=>"):
        return compare(v, c.version) >= 0
    if op in ("<=", "=<"):
        return _less_or_equal(c, v)
    if op in ("~", "~>"):
        return _tilde(c, v)
    return _caret(c, v)


def _not_equal(c: _Comparison, v: Version) -> bool:
    """constraintNotEqual."""
    con = c.version
    if c.wild_major:
        if con.major != v.major:
            return True
        if con.minor != v.minor and not c.wild_minor:
            return True
        if c.wild_minor:
            return False
        if con.patch != v.patch and not c.wild_patch:
            return True
        if c.wild_patch:
            if v.pre or con.pre:
                return _compare_prerelease(v.pre, con.pre) != 0
            return False
    return compare(v, con) != 0


def _greater(c: _Comparison, v: Version) -> bool:
    """constraintGreaterThan: `>1` needs 2.0.0 or more, `>1.1` needs 1.2.0 or more."""
    con = c.version
    if not c.wild_major:
        return compare(v, con) > 0
    if v.major != con.major:
        return v.major > con.major
    if c.wild_minor:
        return False
    if c.wild_patch:
        return v.minor > con.minor
    return compare(v, con) > 0


def _less_or_equal(c: _Comparison, v: Version) -> bool:
    """constraintLessThanEqual: `<=1.x` admits all of 1.*."""
    con = c.version
    if not c.wild_major:
        return compare(v, con) <= 0
    if v.major > con.major:
        return False
    return not (v.major == con.major and v.minor > con.minor and not c.wild_minor)


def _tilde(c: _Comparison, v: Version) -> bool:
    """constraintTilde: at least the version, same major, and same minor unless it was a wildcard;
    `~0.0.0` (no wildcard minor/patch) admits everything from 0.0.0."""
    con = c.version
    if compare(v, con) < 0:
        return False
    if (con.major, con.minor, con.patch) == (0, 0, 0) and not c.wild_minor and not c.wild_patch:
        return True
    if v.major != con.major:
        return False
    return v.minor == con.minor or c.wild_minor


def _caret(c: _Comparison, v: Version) -> bool:
    """constraintCaret: at least the version, then the same major (for major > 0 or `^x`-style
    minor wildcard), else the same minor, else the same patch."""
    con = c.version
    if compare(v, con) < 0:
        return False
    if con.major > 0 or c.wild_minor:
        return v.major == con.major
    if v.major > 0:
        return False
    if con.minor > 0 or c.wild_patch:
        return v.minor == con.minor
    if v.minor > 0:
        return False
    return v.patch == con.patch
