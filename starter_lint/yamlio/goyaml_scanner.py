"""ruamel.yaml's scanner, corrected where it tokenises differently from go-yaml v2 (libyaml).

Helm parses values with go-yaml v2, a port of libyaml. ruamel.yaml descends from PyYAML, which
follows libyaml closely but not exactly; the differential test against Helm's SDK
(`tests/test_helm_parity.py`) found these differences, each fixed here by porting the
corresponding go-yaml routine (scannerc.go):

- tabs are whitespace between tokens in flow context and wherever a simple key is not allowed
  (`key:<TAB>value`), not only in flow context;
- plain scalars: the go-yaml rules for which indicators end them (`:` only before a blank in
  flow context too, `?` ends them in flow context), tabs inside them, and folding of line breaks;
- which characters may start a plain scalar (`:x` in flow context is a value indicator);
- block scalars: the indentation is the largest one among the leading empty lines and the first
  content line (ruamel refuses some of these documents);
- anchor and alias names are ASCII letters, digits, `_` and `-` only;
- directives other than %YAML and %TAG are errors, not ignored;
- NEL, LS and PS (U+0085, U+2028, U+2029) end lines, as in YAML 1.1 (the reader).

Two changes bound its cost on hostile text, without changing what it reads: flow nesting deeper
than the loader's limit stops the scan at once (as libyaml's `increase_flow_level` does at its
own limit), and the possible simple keys are checked oldest first, stopping at the first one
still possible, instead of all of them for every token (depth x tokens: minutes on 100 KB).
"""

from __future__ import annotations

from ruamel.yaml import tokens
from ruamel.yaml.reader import Reader
from ruamel.yaml.scanner import Scanner, ScannerError

from ..textio import LINE_BREAK_CHARS, MAX_DEPTH

_BREAKS = LINE_BREAK_CHARS  # the breaks go-yaml counts, as every position here does
_BLANKZ = " \t\0" + _BREAKS
_INDICATORS = "-?:,[]{}#&*!|>'\"%@`"
_ANCHOR_END = _BLANKZ + "?:,]}%@`"
_FLOW_PLAIN_END = ",?[]{}"
_URI_CHARS = ";/?:@&=+$,.!~*'()[]%"


def _is_anchor_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "_-")


class GoYamlReader(Reader):
    """YAML 1.1 line breaks: NEL, LS and PS count as line ends for marks and indentation."""

    forward = Reader.forward_1_1


class GoYamlScanner(Scanner):
    """A ruamel Scanner whose tokenisation matches go-yaml v2's."""

    _oldest_level = 0  # no possible simple key is saved below this flow level

    def fetch_flow_collection_start(self, TokenClass, to_push):

        if self.flow_level >= MAX_DEPTH:  # the loader refuses it anyway: stop before reading on
            mark = self.reader.get_mark()
            raise ScannerError("while increasing flow level", mark, "exceeded maximum nesting depth", mark)
        super().fetch_flow_collection_start(TokenClass, to_push)

    # Possible simple keys live one per flow level, and a key on a lower level was always saved
    # before one on a higher level (reaching the higher level again means closing the lower
    # one's collections). So the oldest key is the one on the lowest level, and once a key is
    # still possible (same line, within 1024 characters), every newer one is too.
    def save_possible_simple_key(self):
        super().save_possible_simple_key()
        self._oldest_level = min(self._oldest_level, self.flow_level)

    def _oldest_key(self):
        keys, level, top = self.possible_simple_keys, self._oldest_level, self.flow_level
        while keys and level <= top:
            key = keys.get(level)
            if key is not None:
                self._oldest_level = level
                return level, key
            level += 1
        self._oldest_level = level
        return None, None

    def next_possible_simple_key(self):
        key = self._oldest_key()[1]
        return None if key is None else key.token_number

    def stale_possible_simple_keys(self):
        reader = self.reader
        line, index = reader.line, reader.index
        while self.possible_simple_keys:
            level, key = self._oldest_key()
            if key is None or (key.line == line and index - key.index <= 1024):
                return
            if key.required:
                raise ScannerError(
                    "while scanning a simple key", key.mark, "could not find expected ':'", reader.get_mark()
                )
            del self.possible_simple_keys[level]

    def scan_directive(self):
        srp = self.reader.peek
        length = 1
        while _is_anchor_char(srp(length)):
            length += 1
        name = self.reader.prefix(length)[1:]
        if name not in ("YAML", "TAG"):
            raise ScannerError(
                "while scanning a directive",
                self.reader.get_mark(),
                "found unknown directive name",
                self.reader.get_mark(),
            )
        return super().scan_directive()

    def scan_to_next_token(self):
        srp = self.reader.peek
        srf = self.reader.forward
        while True:
            if self.reader.index == 0 and srp() == "\ufeff":
                srf()
            while srp() == " " or ((self.flow_level or not self.allow_simple_key) and srp() == "\t"):
                srf()
            if srp() == "#":
                while srp() not in "\0" + _BREAKS:
                    srf()
            if self.scan_line_break():
                if not self.flow_level:
                    self.allow_simple_key = True
            else:
                return None

    def check_plain(self):
        srp = self.reader.peek
        ch = srp()
        if ch not in _BLANKZ and ch not in _INDICATORS:
            return True
        nxt = srp(1)
        if ch == "-" and nxt not in " \t":
            return True
        return not self.flow_level and ch in "?:" and nxt not in _BLANKZ

    def check_value(self):
        return bool(self.flow_level) or self.reader.peek(1) in _BLANKZ

    def scan_anchor(self, TokenClass):
        srp = self.reader.peek
        start_mark = self.reader.get_mark()
        name = "alias" if srp() == "*" else "anchor"
        self.reader.forward()
        length = 0
        while _is_anchor_char(srp(length)):
            length += 1
        if not length or srp(length) not in _ANCHOR_END:
            self.reader.forward(length)
            raise ScannerError(
                f"while scanning an {name}",
                start_mark,
                "did not find expected alphabetic or numeric character",
                self.reader.get_mark(),
            )
        value = self.reader.prefix(length)
        self.reader.forward(length)
        return TokenClass(value, start_mark, self.reader.get_mark())

    def scan_block_scalar_indentation(self):
        """go-yaml's scan_block_scalar_breaks with an indent still to be found."""
        srp = self.reader.peek
        srf = self.reader.forward
        chunks = []
        max_indent = 0
        end_mark = self.reader.get_mark()
        while True:
            while srp() == " ":
                srf()
            if self.reader.column > max_indent:
                max_indent = self.reader.column
            if srp() == "\t":
                raise ScannerError(
                    "while scanning a block scalar",
                    end_mark,
                    "found a tab character where an indentation space is expected",
                    self.reader.get_mark(),
                )
            if srp() not in _BREAKS:
                break
            chunks.append(self.scan_line_break())
            end_mark = self.reader.get_mark()
        return chunks, max(max_indent, 1), end_mark

    def _read_line(self) -> str:
        """go-yaml's read_line: CR LF, CR and NEL become LF; LS and PS stay as they are."""
        srp = self.reader.peek
        ch = srp()
        if ch == "\r" and srp(1) == "\n":
            self.reader.forward(2)
            return "\n"
        self.reader.forward()
        return "\n" if ch in "\r\n\x85" else ch

    def scan_plain(self):
        """go-yaml's yaml_parser_scan_plain_scalar."""
        srp = self.reader.peek
        srf = self.reader.forward
        chunks: list = []
        leading_break = ""
        trailing_breaks: list = []
        whitespaces: list = []
        leading_blanks = False
        indent = self.indent + 1
        start_mark = self.reader.get_mark()
        end_mark = start_mark
        while True:
            if self.reader.column == 0 and self.reader.prefix(3) in ("---", "...") and srp(3) in _BLANKZ:
                break
            if srp() == "#":
                break
            while srp() not in _BLANKZ:
                ch = srp()
                if (ch == ":" and srp(1) in _BLANKZ) or (self.flow_level and ch in _FLOW_PLAIN_END):
                    break
                if leading_blanks or whitespaces:
                    if leading_blanks:
                        if leading_break[:1] == "\n":
                            chunks.append(" " if not trailing_breaks else "".join(trailing_breaks))
                        else:
                            chunks.append(leading_break)
                            chunks.extend(trailing_breaks)
                        trailing_breaks = []
                        leading_break = ""
                        leading_blanks = False
                    else:
                        chunks.extend(whitespaces)
                        whitespaces = []
                length = 1
                while True:  # copy a run of ordinary characters at once (speed)
                    nxt = srp(length)
                    if nxt in _BLANKZ or nxt == ":" or (self.flow_level and nxt in _FLOW_PLAIN_END):
                        break
                    length += 1
                chunks.append(self.reader.prefix(length))
                srf(length)
                end_mark = self.reader.get_mark()
            if not (srp() in " \t" or srp() in _BREAKS):
                break
            while srp() in " \t" or srp() in _BREAKS:
                if srp() in " \t":
                    if leading_blanks and self.reader.column < indent and srp() == "\t":
                        raise ScannerError(
                            "while scanning a plain scalar",
                            start_mark,
                            "found a tab character that violates indentation",
                            self.reader.get_mark(),
                        )
                    if not leading_blanks:
                        whitespaces.append(srp())
                    srf()
                else:
                    if not leading_blanks:
                        whitespaces = []
                        leading_break = self._read_line()
                        leading_blanks = True
                    else:
                        trailing_breaks.append(self._read_line())
            if not self.flow_level and self.reader.column < indent:
                break
        if leading_blanks:
            self.allow_simple_key = True
        return tokens.ScalarToken("".join(chunks), True, start_mark, end_mark)

    def scan_tag(self):
        """go-yaml's yaml_parser_scan_tag: `!<uri>`, `!handle!suffix`, or `!suffix`."""
        srp = self.reader.peek
        start_mark = self.reader.get_mark()
        if srp(1) == "<":
            self.reader.forward(2)
            handle, suffix = None, self._scan_tag_uri("", start_mark)
            if srp() != ">":
                raise ScannerError(
                    "while scanning a tag",
                    start_mark,
                    "did not find the expected '>'",
                    self.reader.get_mark(),
                )
            self.reader.forward()
        else:
            length = 1
            while _is_anchor_char(srp(length)):
                length += 1
            if srp(length) == "!":
                length += 1
            handle = self.reader.prefix(length)
            self.reader.forward(length)
            if len(handle) > 1 and handle.endswith("!"):
                suffix = self._scan_tag_uri("", start_mark)
            else:  # not a handle after all: it is the start of a local tag
                suffix = self._scan_tag_uri(handle, start_mark)
                handle = "!"
                if not suffix:
                    handle, suffix = None, "!"
        if srp() not in _BLANKZ:
            raise ScannerError(
                "while scanning a tag",
                start_mark,
                "did not find expected whitespace or line break",
                self.reader.get_mark(),
            )
        return tokens.TagToken((handle, suffix), start_mark, self.reader.get_mark())

    def _scan_tag_uri(self, head: str, start_mark):
        srp = self.reader.peek
        chunks = [head[1:]]
        has_tag = bool(head)
        while _is_anchor_char(srp()) or srp() in _URI_CHARS:
            if srp() == "%":
                chunks.append(self.scan_uri_escapes("tag", start_mark))
            else:
                chunks.append(srp())
                self.reader.forward()
            has_tag = True
        if not has_tag:
            raise ScannerError(
                "while parsing a tag", start_mark, "did not find expected tag URI", self.reader.get_mark()
            )
        return "".join(chunks)

    def scan_block_scalar_indicators(self, start_mark):
        """The `|`/`>` header; what may follow it is checked by the ignored-line scan, as in go-yaml."""
        srp = self.reader.peek
        chomping = increment = None
        for _ in range(2):
            ch = srp()
            if ch in "+-" and chomping is None:
                chomping = ch == "+"
            elif ch in "0123456789" and increment is None:
                if ch == "0":
                    raise ScannerError(
                        "while scanning a block scalar",
                        start_mark,
                        "found an indentation indicator equal to 0",
                        self.reader.get_mark(),
                    )
                increment = int(ch)
            else:
                break
            self.reader.forward()
        return chomping, increment

    def scan_block_scalar_ignored_line(self, start_mark):
        srp = self.reader.peek
        while srp() in " \t":
            self.reader.forward()
        if srp() == "#":
            while srp() not in "\0" + _BREAKS:
                self.reader.forward()
        if srp() not in "\0" + _BREAKS:
            raise ScannerError(
                "while scanning a block scalar",
                start_mark,
                "did not find expected comment or line break",
                self.reader.get_mark(),
            )
        self.scan_line_break()
        return None
