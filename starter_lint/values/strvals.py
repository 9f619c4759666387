"""The parsers of Helm's `--set` family: a port of Helm's pkg/strvals (parser.go, literal_parser.go).

`a.b=c,d[0]=e,f={x,y}`; `\\` escapes the next character; values typed as Helm types them:
`true`/`false`/`null` in any case, base-10 integers without a leading zero as int64 (they are
*not* made float64: `--set` values never go through JSON), everything else a string. The kinds
differ only in how a value is read (one `_Parser` for all, as in Helm):

- `set-string` keeps every value a string;
- `set-file` hands each value (a path, list items too) to a reader the loading step passes in
  (this module opens no file) and keeps what it returns, the file's text;
- `set-json` reads each value as one JSON document (gojson): `a={"b":[1]}`, `a=` is null, and
  a value may be followed by `,next=…`;
- `set-literal` has no escapes, no `,` between assignments and no `{x,y}` lists: everything after
  the `=` is the value, verbatim.

setargs applies them (in Helm's order) and says which expression set what.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import StarterLintError
from ..findings import ValuesPath, format_path
from ..lazy_pattern import LazyPattern
from ..textio import MAX_DEPTH, clipped
from .gojson import GoJsonError, decode_value

MAX_INDEX = 65536  # strvals.MaxIndex
MAX_NESTED_NAME_LEVEL = 30  # strvals.MaxNestedNameLevel
# Beyond Helm: the bounds a values file has (the loader's nesting limit), and a budget for the
# null padding of lists (`a[65536]=1` pads 65536 nulls; a config's `set:` is a stranger's input)
MAX_LIST_SLOTS = 1_000_000  # list items all --set expressions of one target may create
_INT = LazyPattern(r"^[+-]?[0-9]+$")

# What `--set` types a value as: strvals.typedVal's bool, int64, nil or string
Scalar = str | bool | int | None
ReadFile = Callable[[str], str]  # --set-file: a path as written -> the file's text


class SetSyntaxError(StarterLintError):
    def __init__(self, message: str, quoted: str = "", at: tuple[int, int] | tuple[()] = ()) -> None:
        super().__init__(message)
        self.quoted = quoted  # text of the expression the message quotes as "…"
        self.at = at  # (start, end) of that text in the expression


class _EOF(Exception):
    """io.EOF: the expression is used up (not an error at the top level)."""


class _NotList(Exception):
    pass


def typed_value(text: str, string_only: bool) -> Scalar:
    """strvals.typedVal."""
    if string_only:
        return text
    low = text.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    if low == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0" and len(text) <= 20 and _INT.match(text):  # longer: no int64
        value = int(text)
        if -(2**63) <= value < 2**63:
            return value
    return text


def go_space(ch: str) -> bool:
    """unicode.IsSpace (Python's isspace also counts the separators U+001C..U+001F)."""
    return ch.isspace() and not "\x1c" <= ch <= "\x1f"


def _go_type(value: Any) -> str:
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    return "string" if isinstance(value, str) else "<nil>"


class SetBudget:
    """List items the --set expressions of one target may still create, and file bytes read."""

    def __init__(self, slots: int = MAX_LIST_SLOTS) -> None:
        self.slots = slots
        self.file_bytes = 0  # what the --set-file values read so far hold (setargs bounds it)

    def spend(self, count: int) -> None:
        self.slots -= count
        if self.slots < 0:
            raise SetSyntaxError(
                f"the lists it sets hold more than {MAX_LIST_SLOTS:,} items in all "
                "(an index pads a list with nulls up to it); use smaller indexes"
            )


class Parser:
    """One expression of one kind ("set", "set-string", "set-json", "set-file", "set-literal")."""

    def __init__(self, text: str, kind: str, budget: SetBudget, read_file: ReadFile | None = None) -> None:
        self.text = text
        self.pos = 0
        self.kind = kind
        self.literal = kind == "set-literal"
        self.budget = budget
        self.read_file = read_file
        # (path, value, (start, end) of the value's text) of every leaf set, in order
        self.assigned: list[tuple[ValuesPath, Any, tuple[int, int]]] = []
        self.value_span = (0, 0)  # (start, end) of the value being read, or last read
        self.value_path: ValuesPath | None = None  # the path it is for

    # the rune scanner ----------------------------------------------------------------------
    def _read(self) -> str | None:
        if self.pos >= len(self.text):
            return None
        self.pos += 1
        return self.text[self.pos - 1]

    def _runes_until(self, stop: str) -> tuple[str, str | None]:
        """(runes, the stop rune or None at the end of the expression): strvals.runesUntil
        (runesUntilLiteral for set-literal: no escapes)."""
        out: list[str] = []
        while True:
            ch = self._read()
            if ch is None:
                return "".join(out), None
            if ch in stop:
                return "".join(out), ch
            if ch == "\\" and not self.literal:
                nxt = self._read()
                if nxt is None:
                    return "".join(out), None
                out.append(nxt)
            else:
                out.append(ch)

    def _convert(self, text: str) -> Scalar:
        """The parser's reader: typedVal, or the --set-file reader."""
        if self.kind == "set-file":
            assert self.read_file is not None, "set-file needs a reader from the loading step"
            return self.read_file(text)
        return typed_value(text, self.kind == "set-string")

    # grammar: each method mirrors the strvals function of the same name; _EOF is io.EOF -------
    def parse(self, data: dict[str, Any]) -> None:
        while True:
            try:
                self.key(data, 0, ())
            except _EOF:
                return

    def _quoting(self, template: str, text: str, start: int) -> SetSyntaxError:
        """An error quoting `text`, read from `start`: apply_set hides it if a secret's value
        covers it (`api.secrets.X=p@ss,word` reads `word` as a key)."""
        quoted = f'"{clipped(text, 60)}"'  # the start of a long one: the message's end says why
        return SetSyntaxError(template.format(quoted), quoted, (start, self.pos))

    def key(self, data: dict[str, Any], level: int, path: ValuesPath) -> None:
        _check_depth(path)
        start = self.pos
        name, last = self._runes_until("=[." if self.literal else "=[,.")
        if last is None:
            if not name:
                raise _EOF()
            raise self._quoting("key {} has no value", name, start)
        if last == "[":
            index = self._key_index()
            items = data.get(name, [])
            if not isinstance(items, list):
                raise self._conflict(path + (name,), items, "a list")
            try:
                items = self.list_item(items, index, level, path + (name,))
            finally:
                _set(data, name, items)
        elif last == "=":
            value: Any
            try:
                value = self.value(path + (name,))
            except _EOF:
                _set(data, name, "")
                self._assigned(path + (name,), "")
                raise
            _set(data, name, value)
            self._assigned(path + (name,), value)
        elif last == ",":
            raise self._quoting("key {} has no value (cannot end with ,)", name, start)
        else:  # "."
            level += 1
            if level > MAX_NESTED_NAME_LEVEL:
                raise SetSyntaxError(
                    "value name nested level is greater than maximum supported "
                    f"nested level of {MAX_NESTED_NAME_LEVEL}"
                )
            inner = data.get(name, {})
            if not isinstance(inner, dict):
                raise self._conflict(path + (name,), inner, "a map")
            try:
                self.key(inner, level, path + (name,))
            except _EOF:
                if inner:
                    _set(data, name, inner)
                raise
            if not inner:
                raise self._quoting("key map {} has no value", name, start)
            _set(data, name, inner)

    def value(self, path: ValuesPath) -> Any:
        """The value after `=` (for `path`): a list `{x,y}`, a scalar up to `,`, a
        JSON document, or the rest of a literal; the separator after it is read too. _EOF when
        nothing follows the `=` (but for set-json: null)."""
        self.value_span = (self.pos, self.pos)
        self.value_path = path
        start = self.pos
        value: Any
        if self.literal:
            self.pos = len(self.text)
            value = self.text[start:]
        elif self.kind == "set-json":
            if self._empty_val():
                return None
            try:
                value, self.pos = decode_value(self.text, self.pos, MAX_DEPTH - len(path))
            except GoJsonError as exc:
                raise SetSyntaxError(str(exc)) from None
            self.value_span = (start, self.pos)
            self._empty_val()  # the blanks and one comma after a JSON value
            return value
        else:
            try:
                value = self.val_list()
            except _NotList:
                text, last = self._runes_until(",")
                self.value_span = (start, self.pos - (last is not None))
                return self._convert(text)
        self.value_span = (start, self.pos)
        if self.pos < len(self.text) and self.text[self.pos] == "," and not self.literal:
            self.pos += 1  # after a list's `}`
        return value

    def _empty_val(self) -> bool:
        """strvals.emptyVal: skip blanks; True (and past one comma) at a `,` or the end."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            self.pos += 1
            if ch == ",":
                return True
            if not go_space(ch):
                self.pos -= 1
                return False
        return True

    def _key_index(self) -> int:
        start = self.pos
        text, last = self._runes_until("]")
        if last is None:
            raise _EOF()  # Helm wraps io.EOF ("error parsing index: EOF") and so ends quietly
        if not _INT.match(text):
            raise self._quoting("error parsing index: strconv.Atoi: parsing {}: invalid syntax", text, start)
        digits = text.lstrip("+-").lstrip("0")
        if len(digits) > 19:  # beyond int64 (and beyond what Python's int() takes from a string)
            raise self._quoting(
                "error parsing index: strconv.Atoi: parsing {}: value out of range", text, start
            )
        return int(text[0] + digits if text[0] in "+-" and digits else digits or "0")

    def list_item(self, items: list[Any], index: int, level: int, path: ValuesPath) -> list[Any]:
        if index < 0:
            raise SetSyntaxError(f"negative {index} index not allowed")
        _check_depth(path)
        start = self.pos
        name, last = self._runes_until("[.=")
        if name:
            raise self._quoting("unexpected data at end of array index: {}", name, start)
        if last is None:
            raise _EOF()  # `a[1]` alone: the list is kept as it is
        if last == "=":
            value: Any
            try:
                value = self.value(path + (index,))
            except _EOF:
                value = ""
            self._assigned(path + (index,), value)
            return self._set_index(items, index, value)
        if last == "[":
            next_index = self._key_index()
            current: list[Any] = []
            if len(items) > index and items[index] is not None:
                current = items[index]
                if not isinstance(current, list):
                    raise self._conflict(path + (index,), current, "a list")
            nested = self.list_item(current, next_index, level, path + (index,))
            return self._set_index(items, index, nested)
        inner: dict[str, Any] = {}
        if len(items) > index:
            if not isinstance(items[index], dict):
                items[index] = {}  # "indices out of order": Helm starts the item afresh
            inner = items[index]
        self.key(inner, level, path + (index,))
        return self._set_index(items, index, inner)

    def _set_index(self, items: list[Any], index: int, value: Any) -> list[Any]:
        if index > MAX_INDEX:
            raise SetSyntaxError(f"index of {index} is greater than maximum supported index of {MAX_INDEX}")
        if len(items) <= index:
            self.budget.spend(index + 1 - len(items))
            items.extend([None] * (index + 1 - len(items)))  # in place: a[0]=…,a[1]=…,… stays linear
        items[index] = value
        return items

    def val_list(self) -> list[Scalar]:
        ch = self._read()
        if ch is None:
            raise _EOF()
        if ch != "{":
            self.pos -= 1
            raise _NotList()
        items: list[Scalar] = []
        while True:
            text, last = self._runes_until(",}")
            if last is None:
                raise SetSyntaxError("list must terminate with '}'")
            items.append(self._convert(text))
            if last == "}":
                return items

    # provenance and errors -----------------------------------------------------------------
    def _assigned(self, path: ValuesPath, value: Any) -> None:
        self.assigned.append((path, value, self.value_span))

    @staticmethod
    def _conflict(path: ValuesPath, found: Any, wanted: str) -> SetSyntaxError:
        return SetSyntaxError(
            f"`{format_path(path)}` is already {_go_type(found)} in the values, "
            f"not {wanted} (Helm: unable to parse key: interface conversion)"
        )


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    if key:  # strvals.set: an empty key is not set
        data[key] = value


def _check_depth(path: ValuesPath) -> None:
    """`a[0][0]…` or `a.b.c…[0]…` nests one level per step: as deep as a values file may."""

    if len(path) >= MAX_DEPTH:
        raise SetSyntaxError(f"nesting deeper than {MAX_DEPTH} levels")
