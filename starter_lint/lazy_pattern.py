"""Regular expressions compiled on first use, not at import.

Compiling a pattern costs 0.1-1 ms; a module compiling its patterns at import makes every run pay
for patterns that only some inputs reach (a `check --manifests` run never parses an image
reference of a values file, nor a --set argument). `LazyPattern(...)` stands where
`re.compile(...)` stood: the first method called compiles the pattern once, then puts the compiled
pattern's own methods on the instance, so every later call is the compiled pattern's C method.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

# what a LazyPattern answers for, taken from the compiled pattern on first use
_DELEGATED = (
    "match",
    "fullmatch",
    "search",
    "sub",
    "subn",
    "split",
    "finditer",
    "findall",
    "pattern",
    "flags",
)


class LazyPattern:
    """A `re.Pattern[str]` compiled when a method is first used (the same methods, the same results)."""

    # declared for the type checker; set on the instance by __getattr__ on first use
    match: Callable[..., re.Match[str] | None]
    fullmatch: Callable[..., re.Match[str] | None]
    search: Callable[..., re.Match[str] | None]
    sub: Callable[..., str]
    subn: Callable[..., tuple[str, int]]
    split: Callable[..., list[Any]]
    finditer: Callable[..., Iterator[re.Match[str]]]
    findall: Callable[..., list[Any]]
    pattern: str
    flags: int

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        # only reached while `name` is not on the instance yet, i.e. before the first use
        if name not in _DELEGATED:
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for delegated in _DELEGATED:
            setattr(self, delegated, getattr(compiled, delegated))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"LazyPattern({self._source[0]!r}, {self._source[1]!r})"
