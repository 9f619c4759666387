"""Matching paths and names against the globs of `ignores:` entries, in time linear in the text.

Config files and the paths and keys they are matched against come from strangers: no glob is
turned into a backtracking regex. `star_match` is for values paths and resources (only `*` is a
wildcard); `glob_matches` for file paths, answered once per (glob, path).
"""

from __future__ import annotations

import os
from functools import lru_cache


def star_match(text: str, pattern: str) -> bool:
    """Only `*` is a wildcard (any text): values paths are full of `[0]` and `.`, which must match
    as written (`ingress.hosts[1].host`, `ingress.hosts[*].host`, `Ingress/*`).

    Matched without a regex: the pieces between stars are found left to right, each at its
    first place, which is a match whenever one exists. Time is length x pattern, where a
    backtracking regex of `*a*a*a…` (the config and the keys are a stranger's) is exponential.
    """
    first, *middle, last = pattern.split("*") if "*" in pattern else (pattern, None)
    if last is None:
        return text == pattern
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    position, end = len(first), len(text) - len(last)
    for piece in middle:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


class PathGlob:
    """A path glob: `**/` is any number of folders, `**` any text, `*` and `?` stay within a
    folder (`*` any run of characters but `/`, `?` one of them). Everything else is literal.

    Matched as a small automaton, all its states at once (time: path length x glob length),
    not as a backtracking regex, where `**a**a**a…` (a config is a stranger's input) against a
    long path takes exponential time.
    """

    def __init__(self, pattern: str):
        steps, i = [], 0  # (kind, character) per step
        while i < len(pattern):
            if pattern.startswith("**/", i):
                steps.append(("folders", ""))
                i += 3
            elif pattern.startswith("**", i):
                steps.append(("any", ""))
                i += 2
            elif pattern[i] in "*?":
                steps.append(("run" if pattern[i] == "*" else "one", ""))
                i += 1
            else:
                steps.append(("char", pattern[i]))
                i += 1
        self.steps = steps

    def _closure(self, states: set[int]) -> set[int]:
        """The states reachable without reading: past a `*`, `**` or `**/`, or into `**/`."""
        out, todo = set(), list(states)
        while todo:
            state = todo.pop()
            if state in out:
                continue
            out.add(state)
            if state >= 0 and state < len(self.steps) and self.steps[state][0] in ("run", "any", "folders"):
                todo.append(state + 1)
                if self.steps[state][0] == "folders":
                    todo.append(-1 - state)  # inside `**/`: reading folder names up to a `/`
        return out

    def match(self, text: str) -> bool:
        """The whole text matches (folder separators `/`; `**` does not span a line break)."""
        steps, end = self.steps, len(self.steps)
        states = self._closure({0})
        for ch in text:
            following = set()
            for state in states:
                if state < 0:  # inside `**/`
                    if ch != "\n":
                        following.add(state)
                    if ch == "/":
                        following.add(-state)  # -1 - i -> i + 1
                    continue
                if state == end:
                    continue
                kind, literal = steps[state]
                if (kind == "char" and ch == literal) or (kind == "one" and ch != "/"):
                    following.add(state + 1)
                elif (kind == "run" and ch != "/") or (kind == "any" and ch != "\n"):
                    following.add(state)
            if not following:
                return False
            states = self._closure(following)
        return end in states


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> PathGlob:
    """The compiled path glob (`.match(path)`), once per pattern."""
    return PathGlob(pattern)


def posix_path(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


@lru_cache(maxsize=65_536)
def glob_matches(pattern: str, text: str, base_dir: str = "") -> bool:
    """Whether path glob `pattern` (joined to the folder `base_dir` when given) matches all of
    `text`, answered once per (glob, path): every finding in one file asks each `ignores:` glob
    the same question. Keyed by the config's own pattern, so the memo keeps no copy of a long
    glob per path."""
    if base_dir:
        pattern = posix_path(os.path.join(base_dir, pattern))
    return glob_regex(pattern).match(text)
