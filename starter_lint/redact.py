"""Secret values never reach any output: what counts as secret, and how it is hidden.

Three kinds of secret (SPEC §4): values under `<component>.secrets`, values of secret-like env
keys (`*_PASSWORD`, `*_SECRET`, `*_TOKEN`, `*_KEY`, …), and credentials inside URLs. Checks print
keys, not values. As a safety net every finding's human text is scrubbed of the secret strings
its target holds (`scrub_finding`, before any reporter serializes it), and the source excerpts
of the text reporter hide the columns that hold a secret (`secret_columns`, `redact_line`).
"""
from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from typing import Any, Iterable, Optional

from .tree import walk

REDACTED = "<redacted>"
MIN_SCRUB_LENGTH = 3  # shorter strings would mangle ordinary output ("1", "on")
# Scrubbing a finding's message replaces a secret wherever its text occurs. Messages are made of
# key paths, image references, rule words and severities, so a short secret ("api", "error",
# "latest") would rewrite them ("registry/app-<redacted>"). Checks never print a value in the
# first place; this net is for real credentials, which are longer than 5 characters. A shorter
# secret is still hidden where it is written: `values` output and source excerpts work by path
# and column, not by text search.
MIN_FINDING_SCRUB_LENGTH = 6

_SECRET_KEY = re.compile(
    r"(^|_)(PASSWORD|PASSWD|PASSPHRASE|PWD|SECRET|SECRET_KEY|CLIENT_SECRET|TOKEN|KEY|APIKEY|"
    r"PRIVATE_KEY|CREDENTIALS?|DSN|CERT_KEY|SIGNING_KEY)$", re.IGNORECASE)
# keys that are public by design: Stripe's publishable key, the public half of a key pair, a
# reCAPTCHA site key, and whatever frameworks build into the browser bundle (NEXT_PUBLIC_*,
# VITE_*, REACT_APP_*, PUBLIC_*: shipped to every visitor, so never a secret)
_PUBLIC_KEY = re.compile(r"(^|_)(PUBLIC|PUBLISHABLE|SITE)_KEY$|^(NEXT_PUBLIC|PUBLIC|VITE|REACT_APP|"
                         r"NUXT_PUBLIC|EXPO_PUBLIC)_", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_PORT_THEN_PATH = re.compile(r"[0-9]+/")


def is_secret_key(name: Any) -> bool:
    """An env var name whose value is a secret (AUTH_KEY_SECRET_NAME is a name, not a secret)."""
    return isinstance(name, str) and bool(_SECRET_KEY.search(name)) and not _PUBLIC_KEY.search(name)


def url_credentials(value: Any) -> Optional[tuple]:
    """(start, end) offsets of the password in `scheme://user:password@host…`, or None.

    The one parser of URL credentials. The userinfo runs from after `scheme://` to the LAST `@`
    of the URL (before the first whitespace): a password may hold `@`, `/`, `?` or `#`, which a
    strict URL parser would take as the end of the authority, and a credential must be found
    even when it is not percent-encoded. A `@` later in a path or query makes the span longer,
    never shorter: over-redacting is the safe side. The user name is the text up to the first
    `:` and holds none of `/?#[]` (else the `:` is a port or belongs to a path, as in
    `http://host:8080/@me` or `http://[::1]/`); a "password" of digits followed by `/` is a port
    (`http://host:8080/a@b`).
    """
    if not isinstance(value, str):
        return None
    start = len(value) - len(value.lstrip())
    scheme = _SCHEME.match(value, start)
    if scheme is None:
        return None
    rest_start = scheme.end()
    rest_end = rest_start
    while rest_end < len(value) and not value[rest_end].isspace():
        rest_end += 1
    at = value.rfind("@", rest_start, rest_end)
    colon = value.find(":", rest_start, at) if at > 0 else -1
    if colon < 0:
        return None
    user = value[rest_start:colon]
    if any(c in user for c in "/?#[]"):
        return None
    if colon + 1 == at or _PORT_THEN_PATH.match(value, colon + 1, at):
        return None
    return colon + 1, at


def url_password(value: Any) -> Optional[str]:
    """The password inside `scheme://user:password@host`, or None."""
    span = url_credentials(value)
    return value[span[0]:span[1]] if span else None


def redact_url(value: str) -> str:
    """`value` with the password of its URL credentials replaced (scheme, user and host kept)."""
    span = url_credentials(value)
    return value if span is None else value[:span[0]] + REDACTED + value[span[1]:]


def is_secret_path(path: tuple, value: Any = None) -> bool:
    """Values paths whose value must be hidden."""
    if len(path) >= 2 and "secrets" in path[1:-1]:
        return True  # below `<component>.secrets`
    if len(path) >= 2 and path[-1] == "secrets" and not isinstance(value, (dict, list)):
        return True  # a string written where the secrets map belongs is a secret all the same
    # below a secret-like env key or a Secret's stringData, whatever the shape (a list or map
    # written where a string belongs still holds the secret)
    for i in range(1, len(path)):
        if (path[i - 1] == "env" and is_secret_key(path[i])) or path[i - 1] == "stringData":
            return True
    return url_password(value) is not None


def values_secrets(values: Any) -> set:
    out: set = set()
    for path, value in walk(values):
        if isinstance(value, (dict, list)) or value is None or isinstance(value, bool):
            continue
        text = str(value)
        password = url_password(text)
        if password:
            out.add(password)
            out.add(text)
        elif is_secret_path(path, value):
            out.add(text)
    return out


def manifest_secrets(obj: dict) -> set:
    out: set = set()
    if not isinstance(obj, dict):
        return out
    if obj.get("kind") == "Secret":
        for key in ("data", "stringData"):
            block = obj.get(key)
            if isinstance(block, dict):
                for value in block.values():
                    if isinstance(value, str):
                        out.add(value)
                        if key == "data":
                            try:
                                out.add(base64.b64decode(value, validate=True).decode("utf-8"))
                            except (binascii.Error, UnicodeDecodeError, ValueError):
                                pass
    for path, value in walk(obj):
        if isinstance(value, dict) and isinstance(value.get("name"), str) and isinstance(value.get("value"), str):
            if is_secret_key(value["name"]) or url_password(value["value"]):
                out.add(value["value"])
        if isinstance(value, str) and url_password(value):
            out.add(value)
            out.add(url_password(value))
    return out


def secret_strings(ctx) -> frozenset:
    """Every secret string a target holds, in its files and layers and manifests."""
    out: set = set()
    if ctx.values is not None:
        for layer in ctx.values.layers:
            out |= values_secrets(layer.data)
    for loaded in ctx.loaded:
        out |= values_secrets(loaded.data)
        out |= _source_texts(loaded)  # `0755123`, read as 252499, is written as 0755123
    manifests = getattr(ctx, "manifests", None)
    if manifests is not None:
        for obj in manifests.objects:
            out |= manifest_secrets(obj.obj)
    return frozenset(s for s in out if len(s) >= MIN_SCRUB_LENGTH)


def _source_texts(loaded) -> set:
    """The secrets of a values file as written (unquoted), one line each."""
    lines = loaded.text.splitlines()
    out = set()
    for line, ranges in secret_columns(loaded).items():
        for col, end in ranges:
            text = lines[line - 1][col - 1:end - 1].strip()
            if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
                text = text[1:-1]
            out.add(text)
    return out


def redact_values(values: Any, path: tuple = ()) -> Any:
    """A copy of `values` with every secret replaced by <redacted> (URLs keep their host)."""
    if isinstance(values, dict):
        return {k: redact_values(v, path + (k,)) for k, v in values.items()}
    if isinstance(values, list):
        return [redact_values(v, path + (i,)) for i, v in enumerate(values)]
    if values is not None and is_secret_path(path):
        return REDACTED  # the whole value: under *.secrets or a secret-like env key
    if isinstance(values, str):
        return redact_url(values)
    return values


@lru_cache(maxsize=32)
def _secrets_pattern(secrets: frozenset, min_length: int):
    """One alternation of the secrets (longest first, so a secret inside another goes whole):
    a target can hold thousands, and each finding and excerpt line is searched once, not once per
    secret."""
    wanted = sorted((s for s in secrets if s and len(s) >= min_length), key=lambda s: (-len(s), s))
    return re.compile("|".join(map(re.escape, wanted))) if wanted else None


def scrub(text: str, secrets: Iterable[str], min_length: int = 1) -> str:
    """Replace every occurrence of a secret in a text.

    Only for text that is not serialized afterwards (a diff, one excerpt line): a reporter's
    output is escaped (JSON, XML, workflow commands), so findings are scrubbed before it
    (`scrub_finding`)."""
    pattern = _secrets_pattern(frozenset(secrets), min_length)
    return pattern.sub(REDACTED, text) if pattern is not None and text else text


def scrub_finding(finding, secrets: Iterable[str]):
    """`finding` with every secret of its target (MIN_FINDING_SCRUB_LENGTH characters or more)
    removed from the text a reporter prints: message, notes, fix description, suppression
    reason and logical location, and so of its related findings. Location, rule and severity are
    never touched."""
    secrets = frozenset(secrets)
    if _secrets_pattern(secrets, MIN_FINDING_SCRUB_LENGTH) is None:
        return finding

    def clean(text: str) -> str:
        return scrub(text, secrets, MIN_FINDING_SCRUB_LENGTH)

    changes: dict = {}
    for name in ("message", "logical", "suppressed"):
        text = getattr(finding, name)
        if text:
            cleaned = clean(text)
            if cleaned != text:
                changes[name] = cleaned
    notes = tuple(clean(str(note)) for note in finding.notes)
    if notes != tuple(finding.notes):
        changes["notes"] = notes
    if finding.fix is not None and finding.fix.description:
        description = clean(finding.fix.description)
        if description != finding.fix.description:
            from dataclasses import replace

            changes["fix"] = replace(finding.fix, description=description)
    related = tuple(scrub_finding(r, secrets) for r in finding.related)
    if related != finding.related:
        changes["related"] = related
    return finding.with_(**changes) if changes else finding


_SET_KEY = re.compile(r"(?:^|(?<!\\),)[^=,]*=")
_SET_PATH_SEPARATOR = re.compile(r"(?<!\\)[.\[\]]+")


def redact_set_expression(expression: str, secrets: Iterable[str]) -> str:
    """A `--set a=x,api.secrets.B=y` expression as provenance may show it: the value of a secret
    path replaced whole, a URL's password replaced, any other secret string replaced; the key
    text is kept, so provenance still names what the expression set."""
    secrets = [s for s in secrets if len(s) >= MIN_SCRUB_LENGTH]  # secret paths go whole anyway
    keys = list(_SET_KEY.finditer(expression))
    if not keys:
        return scrub(expression, secrets)
    out = [scrub(expression[:keys[0].start()], secrets)]
    for i, key in enumerate(keys):
        value = expression[key.end():keys[i + 1].start() if i + 1 < len(keys) else len(expression)]
        # the key text as a values path (`a.b[0].c`, the `--set-string ` label is harmless)
        path = tuple(part for part in _SET_PATH_SEPARATOR.split(key.group().lstrip(",")[:-1]) if part)
        out.append(key.group())
        out.append(REDACTED if value and is_secret_path(path) else scrub(redact_url(value), secrets))
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Source excerpts

def secret_columns(loaded) -> dict:
    """{line: [(col, end_col), …]} of a loaded values file: the 1-based, end-exclusive columns
    that hold a secret (a whole value under a secret path, only the password of a URL).
    Kept on the loaded file: the secret strings and the text excerpts both need it."""
    cached = getattr(loaded, "_secret_columns", None)
    if cached is None:
        cached = loaded._secret_columns = _secret_columns(loaded)
    return cached


def _secret_columns(loaded) -> dict:
    from .values.layers import get_path

    lines = loaded.text.splitlines()
    out: dict = {}
    for path, span in loaded.spans.items():
        value = get_path(loaded.data, path)
        if value is None or isinstance(value, (dict, list)):
            continue
        if is_secret_path(path):
            ranges = _span_columns(lines, span)
        elif url_credentials(value) is not None:
            ranges = _password_columns(lines, span, value) or _span_columns(lines, span)
        else:
            continue
        for line, col, end in ranges:
            if end > col:
                out.setdefault(line, []).append((col, end))
    return {line: sorted(ranges) for line, ranges in out.items()}


def _span_columns(lines: list, span) -> list:
    """(line, col, end_col) of every line a scalar covers (a block or folded one spans several)."""
    if span.line == span.end_line and 0 < span.line <= len(lines):
        source = lines[span.line - 1][span.col - 1:span.end_col - 1]
        if len(source) >= 2 and source[0] in "'\"" and source[-1] == source[0]:
            return [(span.line, span.col + 1, span.end_col - 1)]  # keep the quotes: they are not secret
    out = []
    for line in range(span.line, span.end_line + 1):
        length = len(lines[line - 1]) if 0 < line <= len(lines) else 0
        out.append((line, span.col if line == span.line else 1,
                    span.end_col if line == span.end_line else length + 1))
    return out


def _password_columns(lines: list, span, value: str) -> Optional[list]:
    """[(line, col, end_col)] of a URL's password in the source, when the scalar is written on
    one line and its credentials hold no escape; else None (the caller hides the whole scalar)."""
    if span.end_line != span.line or not 0 < span.line <= len(lines):
        return None
    source = lines[span.line - 1][span.col - 1:span.end_col - 1]
    inner, offset = source, span.col
    if len(source) >= 2 and source[0] in ("'", '"') and source[-1] == source[0]:
        inner, offset = source[1:-1], span.col + 1
    found, expected = url_credentials(inner), url_credentials(value)
    if found is None or inner[found[0]:found[1]] != value[expected[0]:expected[1]]:
        return None
    return [(span.line, offset + found[0], offset + found[1])]


def redact_line(line: str, ranges: Iterable[tuple], secrets: Iterable[str] = ()) -> tuple:
    """(`line` with the given columns and every occurrence of `secrets` replaced by <redacted>,
    a function mapping an original 1-based column to the redacted line's)."""
    spans = [(col - 1, end - 1) for col, end in ranges]
    pattern = _secrets_pattern(frozenset(secrets), 1)
    if pattern is not None:
        spans += [match.span() for match in pattern.finditer(line)]
    merged: list = []
    for start, end in sorted((max(0, s), min(len(line), e)) for s, e in spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    parts, last = [], 0
    for start, end in merged:
        parts.append(line[last:start])
        parts.append(REDACTED)
        last = end
    parts.append(line[last:])

    def column(col: int, is_end: bool = False) -> int:
        """A start column inside a redaction moves to its start, an end column to its end."""
        index, shift = col - 1, 0
        for start, end in merged:
            if index >= end:
                shift += len(REDACTED) - (end - start)
            elif index > start:
                return start + shift + (len(REDACTED) if is_end else 0) + 1
            else:
                break
        return index + shift + 1

    return "".join(parts), column
