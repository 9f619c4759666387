"""Text from the inputs made harmless for the medium it is written to: one function per medium.

Keys, values, file and template names reach every report and stderr, and the CI gate runs on
pull requests from strangers, where a GitHub Actions runner executes any log line that begins
with `::` as a workflow command, a terminal obeys ESC sequences, bidi controls reorder what a
reviewer reads, and code scanning renders a result's message. The reporters (and the one
function that writes stderr lines, `cli.say`) pass every such string through here; checks
and messages stay plain.

- `terminal`: control characters (C0, DEL, C1, so CR and LF inside a field too), bidi and line
  separator controls, noncharacters and lone surrogates become visible escapes (`\\n`, `\\x1b`,
  `\\u202e`); a file name read with `surrogateescape` shows its undecodable bytes as `\\xff`.
  Used for the text report, stderr, junit and the github format's data.
- `line_start`: a field that begins an output line (a file path) never begins with `::`.
- `text_line`: one line of prose (a rule's documentation from a repository's rule-dirs) that
  may begin an output line: `terminal`, and never the start of a workflow command.
- `sarif_message`: `message.text` stays plain text where code scanning renders Markdown.
- `json_text`: a serialized JSON document is valid UTF-8 and shows no raw bidi control.
"""

from __future__ import annotations

import re

# The patterns are kept as text: `re` compiles each at its first use (and caches it), so a run
# that prints no finding does not pay for compiling these large character classes at start-up.

# C0 and DEL and C1 (NEL, CSI …), Arabic letter mark, LRM/RLM, line and paragraph separators,
# bidi embeddings/overrides/isolates, BOM/zero-width no-break space, noncharacters (not allowed
# in XML), and surrogates (a lone one cannot be encoded as UTF-8)
_UNSAFE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# displayed without being control characters: JSON keeps them as data, escaped as \uXXXX
_JSON_UNSAFE = "[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufffe\uffff]"
_LONE_SURROGATE = "[\ud800-\udfff]"
# a path beginning with `:` becomes `::` once its `:line:col` follows
_COMMAND_START = r"\s*:"
# Markdown that code scanning would interpret in message.text: links and images (`[`/`]`, which
# SARIF §3.11.6 itself says to escape with `\`, as `\` itself), HTML and autolinks (`<`, `>`),
# character references (`&#x202e;`)
_SARIF_MARKUP = r"([\\\[\]<>&])"


def _visible(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, decoded with surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def terminal(text: object) -> str:
    """For a terminal, a log or a line-based report: nothing that moves the cursor, starts a
    line, changes colour, reorders the text or cannot be encoded."""
    text = str(text)
    # every character _UNSAFE names is one `isprintable` refuses (tests/test_attack_output.py checks all
    # of them): most texts are printable, answered by one C loop instead of a search
    if text.isprintable():
        return text
    return re.sub(_UNSAFE, lambda match: _visible(match.group()), text)


def line_start(text: object) -> str:
    """`terminal`, for a field that begins a line (a file path): a GitHub Actions runner executes
    a line that begins with `::` (after any blanks), so a path that begins with `:` (which its
    `:line:col` would complete) is shown as `./:…`, which names the same file."""
    text = terminal(text)
    return "./" + text if re.match(_COMMAND_START, text) else text


def text_line(text: object) -> str:
    """`terminal`, for a line of prose that begins an output line (a rule's `rationale` from a
    repository's rule-dirs): a line that would begin with `::` (after any blanks) shows its first
    `:` as the visible escape `\\x3a`, as `terminal` shows any other character it may not print."""
    text = terminal(text)
    match = re.match(_COMMAND_START, text)
    return text[: match.end() - 1] + "\\x3a" + text[match.end() :] if match else text


def sarif_message(text: object) -> str:
    """SARIF `message.text` is plain text, but code scanning renders it as (limited) Markdown and
    SARIF gives `[…](…)` a meaning of its own: escaped with `\\`, no input becomes a link, an image
    or HTML; controls are escaped as for a terminal."""
    return re.sub(_SARIF_MARKUP, r"\\\1", terminal(text))


def json_text(document: str) -> str:
    """A serialized JSON document (`ensure_ascii=False`) made valid UTF-8 and safe to display:
    a lone surrogate (a file name byte that is not UTF-8, `\\udcff`) becomes the text `\\xff`, as
    every other format shows it; bidi controls and C1 characters are written as `\\uXXXX` escapes,
    which decode to the same data. Both occur only inside JSON strings."""
    document = re.sub(_LONE_SURROGATE, lambda match: "\\" + _visible(match.group()), document)
    return re.sub(_JSON_UNSAFE, lambda match: f"\\u{ord(match.group()):04x}", document)
