"""Regular expressions that come from an input (a CRD's `pattern` and `patternProperties`).

Python's `re` backtracks: `^(a+)+$` against thirty `a`s and a `!` runs for a minute, and the
pattern and the string both come from a stranger's pull request. The API server compiles CRD
patterns with Go's `regexp` (RE2 syntax, linear time), so they run through RE2 here too
(`google-re2`): linear in the string, the API server's semantics (`\\d` is ASCII, `$` is the
end of the text), and a memory budget per pattern.

The fallback, when RE2 is not installed or cannot compile a pattern (a lookaround or a
backreference, which the API server refuses as well; or a pattern beyond the memory budget):
the pattern is *unverifiable*. It is not checked at all, and the validator says so in a note;
a backtracking engine never sees it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .lazy_pattern import LazyPattern
from .records import record

MAX_PATTERN_MEMORY = 1 << 20  # RE2's budget for one compiled pattern and its matching cache


@record(frozen=True)
class Unverifiable:
    """A pattern that is not checked, and why."""

    pattern: str
    reason: str


@lru_cache(maxsize=1)
def _re2_options() -> tuple[Any, Any] | None:
    """RE2's module and options, or None when google-re2 is not installed (google-re2 has no type
    information: both are Any)."""
    try:
        import re2  # deferred: probed once, at the first CRD pattern
    except ImportError:
        return None
    options = re2.Options()
    options.log_errors = False  # RE2 would print the pattern to stderr, raw
    options.max_mem = MAX_PATTERN_MEMORY
    return re2, options


class InputPattern:
    """A pattern compiled by RE2: `found_in(text)` is linear in the text."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str, compiled: Any) -> None:  # Any: an re2 pattern (untyped)
        self.pattern = pattern
        self._compiled = compiled

    def found_in(self, text: str) -> bool:
        """The pattern matches somewhere in `text` (JSON Schema's `pattern`: unanchored)."""
        try:
            return self._compiled.search(text) is not None
        except UnicodeEncodeError:  # a lone surrogate: Go's JSON decoder reads it as U+FFFD
            return self._compiled.search(_LONE_SURROGATE.sub("\ufffd", text)) is not None

    def first_match(self, text: str) -> str | None:
        """The leftmost match in `text` (CEL's `find`), or None."""
        match = self._compiled.search(text)
        return None if match is None else str(match.group(0))

    def all_matches(self, text: str) -> list[str]:
        """Every non-overlapping match in `text`, left to right (CEL's `findAll`)."""
        return [str(m.group(0)) for m in self._compiled.finditer(text)]


_LONE_SURROGATE = LazyPattern("[\ud800-\udfff]")


def compile_pattern(pattern: Any) -> InputPattern | Unverifiable:
    """The pattern compiled by RE2, or an Unverifiable saying why it is not checked."""
    if not isinstance(pattern, str):
        return Unverifiable(str(pattern), "it is not a string")
    return _compile(pattern)


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> InputPattern | Unverifiable:
    engine = _re2_options()
    if engine is None:
        return Unverifiable(pattern, "RE2 (the google-re2 package) is not installed")
    re2, options = engine
    try:
        return InputPattern(pattern, re2.compile(pattern, options))
    except re2.error as exc:
        detail = (
            exc.args[0].decode("utf-8", "replace")
            if exc.args and isinstance(exc.args[0], bytes)
            else str(exc)
        )
        return Unverifiable(pattern, f"RE2, as the API server uses, cannot compile it: {detail}")
    except (TypeError, ValueError) as exc:  # RE2 takes UTF-8: a lone surrogate cannot be encoded
        return Unverifiable(pattern, f"it cannot be compiled ({exc})")
