"""Secret values never reach any output: what counts as secret, and how it is hidden.

Five kinds of secret (docs/design/secrets.md): values under `<component>.secrets` (and a Secret's `data` and
`stringData`), values of secret-like env keys (`*_PASSWORD`, `*_TOKEN`, `*_KEY`, …, in a map,
as `- NAME=…` or as `{name: NAME, value: …}`), URL passwords anywhere in a string, PEM private
keys, and strings or numbers under a key whose name says it holds a credential
(`auth.postgresPassword`, `jwtSecret`, `is_credential_name`); one classifier finds them (`secret_parts`). They are hidden by position where they are written
(`redact_source`: escaped, folded or anchored source included) and by value wherever else their
text shows (`redact_source.secret_strings`: an alias or merge copies a value). Checks
print keys, not values; as a safety net every finding's human text is scrubbed of the target's
secret strings (`scrub_finding`, before any reporter serializes it). Errors are built without
a scalar's text where it may be a secret (the loaders, `--set`), or scrubbed (a render failure).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache, partial
from typing import Any

from .lazy_pattern import LazyPattern
from .records import replace
from .textio import room_for_nesting

REDACTED = "<redacted>"
MIN_SCRUB_LENGTH = 3  # shorter strings would mangle ordinary output ("1", "on")
# Scrubbing a finding's message replaces a secret wherever its text occurs. Messages are made of
# key paths, image references, rule words and severities, so a short secret ("api", "error",
# "latest") would rewrite them ("registry/app-<redacted>"). Checks never print a value in the
# first place; this net is for real credentials, which are longer than 5 characters. A shorter
# secret is still hidden where it is written: `values` output and source excerpts work by path
# and column, not by text search.
MIN_FINDING_SCRUB_LENGTH = 6

_SECRET_KEY = LazyPattern(
    r"(^|[_.-])(PASSWORD|PASSWD|PASSPHRASE|PWD|SECRET|SECRET_KEY|CLIENT_SECRET|TOKEN|KEY|APIKEY|"
    r"PRIVATE_KEY|CREDENTIALS?|DSN|CERT_KEY|SIGNING_KEY)$",
    re.IGNORECASE,
)
# keys that are public by design: Stripe's publishable key, the public half of a key pair, a
# reCAPTCHA site key, and whatever frameworks build into the browser bundle (NEXT_PUBLIC_*,
# VITE_*, REACT_APP_*, PUBLIC_*: shipped to every visitor, so never a secret)
_PUBLIC_KEY = LazyPattern(
    r"(^|[_.-])(PUBLIC|PUBLISHABLE|SITE)[_.-]KEY$|^(NEXT_PUBLIC|PUBLIC|VITE|REACT_APP|"
    r"NUXT_PUBLIC|EXPO_PUBLIC)_",
    re.IGNORECASE,
)
_SCHEME = LazyPattern(r"[A-Za-z][A-Za-z0-9+.-]*://")
_PORT_THEN_PATH = LazyPattern(r"[0-9]+/")


def is_secret_key(name: Any) -> bool:
    """An env var name whose value is a secret (AUTH_KEY_SECRET_NAME is a name, not a secret)."""
    return isinstance(name, str) and bool(_SECRET_KEY.search(name)) and not _PUBLIC_KEY.search(name)


# the words of a key, spelled camelCase, snake_case or kebab-case (`APIKey`: API, Key)
_WORD = LazyPattern(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# a key name whose last word (or last two) says it holds a credential: `auth.password`,
# `replicationPassword`, `jwtSecret`, `githubToken`, `apiKey`, MinIO's `accessKey`/`secretKey`;
# not `secrets`, the plural: a list of Secret names (`imagePullSecrets`) and the
# `<component>.secrets` map have their own rules
# (RabbitMQ's `erlangCookie`, `keystorePass`, an Azure `connectionString` with its AccountKey,
# Rails' `secretKeyBase`, `passWord` written in two words); a count of tokens (`maxTokens`) is none
_CREDENTIAL_ENDING = LazyPattern(
    r"(^| )(passwords?|passwd|passphrase|pwd|pass|pass word|(?<!max )(?<!min )(?<!num )tokens?|credentials?|secret|apikeys?|"
    r"privatekeys?|secretkey|accesskeys?|clientsecrets?|(api|private|access|signing|encryption|master) keys?|"
    r"secret key|client secrets?|erlang cookie|connection string|secret key base)$"
)


def is_env_key(name: Any) -> bool:
    """A key holding environment variables, whose `NAME=value` items and secret-like keys are
    secret (`is_secret_key`): `env`, and what charts call theirs (`extraEnv`, `podEnv`, `ENV`)."""
    return isinstance(name, str) and name.lower().endswith("env")


def is_credential_name(name: Any) -> bool:
    """A key whose NAME says it holds a credential (`postgresPassword`, `DB_PASSWORD`,
    `secretAccessKey`; `password2` too). Not one that names or points at a credential
    (`existingSecret`, `existingSecretPasswordKey`, `passwordSecretName`, `tokenSecretRef`,
    `secretKeyRef.key`, `passwordFile`), nor the public half of a key pair (`publicKey`)."""
    return isinstance(name, str) and _credential_name(name)


@lru_cache(maxsize=4096)
def _credential_name(name: str) -> bool:
    # cached by the key's text: a manifest stream repeats the same few hundred keys thousands
    # of times, and the walk asks about every one
    words = [word.lower() for word in _WORD.findall(name)]
    while words and words[-1].isdigit():
        words.pop()
    if not words or words[0] == "existing" or _PUBLIC_KEY.search(name):
        return False  # `existingSecret`, `existingPasswordSecret`: the NAME of a Secret
    return bool(_CREDENTIAL_ENDING.search(" ".join(words[-3:])))


def names_credential(key: Any, parent: Any) -> bool:
    """`key` of the map `parent` holds a credential by name (`is_credential_name`), unless it is
    a `secret:` beside a `key:` or `name:`: a reference to a Secret (GitLab's
    `password: {secret: gitlab-postgresql-password, key: …}`), whose name findings must show."""
    if not is_credential_name(key):
        return False
    return not (
        key.lower() == "secret" and isinstance(parent, dict) and ("key" in parent or "name" in parent)
    )


# a PEM private key (`-----BEGIN RSA PRIVATE KEY-----`) is secret whatever its key
_PRIVATE_KEY_PEM = LazyPattern(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


def is_private_key_text(value: Any) -> bool:
    return isinstance(value, str) and "-----BEGIN" in value and bool(_PRIVATE_KEY_PEM.search(value))


def url_credentials(value: Any) -> tuple | None:
    """(start, end) offsets of the password in `scheme://user:password@host…` when the string
    starts with the URL, or None (`credential_spans` finds them anywhere in a string).

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
    scheme = _SCHEME.match(value, len(value) - len(value.lstrip()))
    return _credentials_after(value, scheme.end()) if scheme is not None else None


def _credentials_after(value: str, rest_start: int) -> tuple | None:
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


def credential_spans(value: Any) -> list:
    """(start, end) of the password of every URL in a string, wherever it starts: a URL inside
    a sentence, or behind a prefix that is no scheme of its own (`jdbc:postgresql://u:pw@h/db`)."""
    if not isinstance(value, str) or "://" not in value:
        return []
    spans = (_credentials_after(value, scheme.end()) for scheme in _SCHEME.finditer(value))
    return merge_spans(span for span in spans if span is not None)


def merge_spans(spans) -> list:
    merged: list = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def replace_spans(text: str, spans) -> str:
    parts, last = [], 0
    for start, end in merge_spans(spans):
        parts.append(text[last:start])
        parts.append(REDACTED)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def url_password(value: Any) -> str | None:
    """The password of the first URL with credentials in a string, or None."""
    spans = credential_spans(value)
    return value[spans[0][0] : spans[0][1]] if spans else None


def redact_url(value: str) -> str:
    """`value` with the password of every URL in it replaced (scheme, user and host kept)."""
    return replace_spans(value, credential_spans(value))


def _reference_below(path: tuple, index: int) -> bool:
    """Whether `path` goes on from path[index] into a `valueFrom` container."""
    return len(path) > index + 2 and path[index + 1] == "valueFrom"


def is_secret_path(path: tuple, value: Any = None) -> bool:
    """Values paths whose value must be hidden (whole, or a URL's password in it)."""
    return _secret_by_path(path, value) or bool(credential_spans(value))


def _secret_by_path(path: tuple, value: Any = None) -> bool:
    if len(path) >= 2 and "secrets" in path[1:-1]:
        return True  # below `<component>.secrets`
    if len(path) >= 2 and path[-1] == "secrets" and not isinstance(value, (dict, list)):
        return True  # a string written where the secrets map belongs is a secret all the same
    # below a secret-like env key or a Secret's stringData, whatever the shape (a list or map
    # written where a string belongs still holds the secret), but for a `valueFrom` map or list
    # there (`DB_PASSWORD: {valueFrom: {secretKeyRef: …}}`): a reference, whose Secret name and
    # key findings must show, judged by its own names
    for i in range(1, len(path)):
        if path[i - 1] == "stringData" or (
            is_env_key(path[i - 1]) and is_secret_key(path[i]) and not _reference_below(path, i)
        ):
            return True
    # at a credential-named key, wherever it is (`postgresql.auth.password`), or in a list
    # written there: a string or a number (`password: 987654321`; a list or map that holds one
    # is not shown whole either); a bool is never a secret by name (a `"true"` scrubbed from
    # messages would rewrite them). A map below such a key names its own parts: `clientSecret:
    # {name, key}` (External Secrets), a `secret:` volume and cert-manager's `privateKey:
    # {algorithm}` point at or describe a credential, and their Secret names must stay readable
    # in findings (`names_credential`: a path alone cannot see the `key:` beside a `secret:`)
    owner = next((part for part in reversed(path) if type(part) is not int), None)  # past list indices
    return (not isinstance(value, bool) and is_credential_name(owner)) or is_private_key_text(value)


# an env list item written as a shell assignment: `- DB_PASSWORD=…`
_ENV_ASSIGNMENT = LazyPattern(r"\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)", re.S)


def secret_parts(data: Any, whole_below: tuple = ()) -> Iterator[tuple]:
    """(path, value, spans) of every scalar of `data` that is or holds a secret: `spans` is None
    when the whole value is secret, else the (start, end) offsets in the string that are.

    The one classifier of secrets in loaded data (values or a manifest object): below a secret
    path (`is_secret_path`); strings and numbers at a credential-named key (or in lists written
    there, `names_credential`); PEM private keys;
    the `value` of a `{name: SECRET_KEY, value: …}` entry and the value of a `- SECRET_KEY=…`
    env list item; URL passwords anywhere in a string; everything below the top-level keys
    `whole_below` (a Secret's `data`)."""
    found: list = []
    if isinstance(data, (dict, list)):
        room_for_nesting()  # (a library caller's data may come from elsewhere than the CLI's readers)
        _walk(data, (), whole_below, False, False, found)
    elif data is not None:  # a lone scalar: only its own text can hold a secret
        _scalar(None, (), None, data, False, False, whole_below, found)
    yield from found


# Keys that change nothing for what is below them, by their name: strings, not `secrets` or
# `value`, not credential-named (`_credential_name`), not an env key (`is_env_key`) or
# `stringData` (whose keys are judged by their own names). Learnt as the walk meets them (a
# manifest stream repeats the same few hundred keys thousands of times), up to a bound a hostile
# input cannot grow past.
_PLAIN_KEYS: set = set()
_PLAIN_KEYS_MAX = 4096
_NOT_PLAIN = frozenset(("secrets", "value", "stringData"))

# The walk is depth first, in document order, one or two calls per level (textio.room_for_nesting:
# the loaders refuse nesting deeper than MAX_DEPTH, 500 levels). A path is only built for a
# container entered or a part found.


def _walk(parent: Any, path: tuple, whole_below: tuple, secret_above: bool, named: bool, found: list) -> None:
    """Append to `found` the secret parts below the container `parent`, at `path`
    (`secret_above`: below a secret path; `named`: a list written at a credential name)."""
    if path:
        parent_key = path[-1]
        # each key below `stringData`, or of an env map, is judged by its own name
        below_secret_parent = parent_key == "stringData"
        in_env = is_env_key(parent_key)
        if not (secret_above or named or in_env or below_secret_parent or path[0] in whole_below):
            _plain(parent, path, whole_below, found)
            return
    else:
        below_secret_parent = in_env = False
    is_map = isinstance(parent, dict)
    for key, node in parent.items() if is_map else enumerate(parent):
        secret = secret_above or (
            bool(path) and (key == "secrets" or below_secret_parent or (in_env and is_secret_key(key)))
        )
        if secret and key == "valueFrom" and isinstance(node, (dict, list)):
            # a reference below a secret-like env key is not secret for that (`_secret_by_path`)
            secret = _secret_by_path((*path, key, None))
        _child(key, node, path, parent, is_map, secret, named, whole_below, found)


def _child(
    key: Any,
    node: Any,
    path: tuple,
    parent: Any,
    is_map: bool,
    secret: bool,
    named: bool,
    whole_below: tuple,
    found: list,
) -> None:
    """One child of `parent` (`secret`: it is below a secret path)."""
    if isinstance(node, dict):
        _walk(node, path + (key,), whole_below, secret, False, found)
    elif isinstance(node, list):  # the items of a list written at a credential name are credentials
        named_list = named or (
            is_map and isinstance(key, str) and _credential_name(key) and names_credential(key, parent)
        )
        _walk(node, path + (key,), whole_below, secret, named_list, found)
    elif node is not None:
        _scalar(key, path, parent, node, secret, named, whole_below, found)
    if (
        is_map
        and type(key) is str
        and len(_PLAIN_KEYS) < _PLAIN_KEYS_MAX
        and key not in _NOT_PLAIN
        and not is_env_key(key)
        and not _credential_name(key)
    ):
        _PLAIN_KEYS.add(key)


def _plain(parent: Any, path: tuple, whole_below: tuple, found: list) -> None:
    """`_walk` of a container in no secret context (most of a manifest: not below a secret
    path, a credential name, `env`, `stringData` or a top-level key of `whole_below`). A child
    under a plain key, or a list item, is then secret only by its own text (a PEM private key,
    a URL's password), and a container below it is in no secret context either."""
    if isinstance(parent, dict):
        for key, node in parent.items():
            if key not in _PLAIN_KEYS:  # not learnt yet, or a key that decides
                _child(key, node, path, parent, True, key == "secrets", False, whole_below, found)
            elif isinstance(node, str):
                if "://" in node or "-----BEGIN" in node:
                    _scalar(key, path, parent, node, False, False, whole_below, found)
            elif isinstance(node, (dict, list)):
                _plain(node, path + (key,), whole_below, found)
        return
    for index, node in enumerate(parent):
        if isinstance(node, str):
            if "://" in node or "-----BEGIN" in node:
                _scalar(index, path, parent, node, False, False, whole_below, found)
        elif isinstance(node, (dict, list)):
            _plain(node, path + (index,), whole_below, found)


def _scalar(
    key: Any, path: tuple, parent: Any, node: Any, secret: bool, named: bool, whole_below: tuple, found: list
) -> None:
    """Append the scalar `node`, child `key` of `parent` (None: the lone root) at `path`, to
    `found` when it is or holds a secret."""
    is_map = isinstance(parent, dict)
    if (
        secret
        # a string or a number is a credential by name, a bool never, so only their key is asked
        # (cached per key text)
        or (
            not isinstance(node, bool)
            and (
                named
                or (
                    is_map
                    and isinstance(key, str)
                    and _credential_name(key)
                    and names_credential(key, parent)
                )
            )
        )
        or (isinstance(node, str) and "-----BEGIN" in node and is_private_key_text(node))
        or (bool(path) and path[0] in whole_below)
        or (parent is not None and not path and key in whole_below)
        or (key == "value" and is_map and is_secret_key(parent.get("name")))
    ):
        found.append((path + (key,) if parent is not None else (), node, None))
        return
    if not isinstance(node, str):
        return
    in_env_list = bool(path) and is_env_key(path[-1]) and isinstance(key, int)
    if "://" not in node and not in_env_list:
        return  # no URL, no `NAME=value`: nothing in it can be a credential
    spans = credential_spans(node)
    if in_env_list:
        assignment = _ENV_ASSIGNMENT.fullmatch(node)
        if assignment and is_secret_key(assignment.group(1)):
            spans = merge_spans(spans + [assignment.span(2)])
    if spans:
        found.append((path + (key,) if parent is not None else (), node, spans))


def _secret_texts(value: Any, spans) -> set:
    """The strings to hide for one secret value: itself (or its secret parts, as a URL's
    password), and each line of a multi-line one (an excerpt shows one line at a time). A value
    secret whole that holds a URL with a password hides that password alone too: a comment or an
    ignore's reason may name it without the rest of the URL."""
    if value is None or isinstance(value, bool):
        return set()
    text = str(value)
    if spans is None:
        out = {text} | {text[start:end] for start, end in credential_spans(text)}
    else:
        out = {text[start:end] for start, end in spans}
    for part in list(out):
        if "\n" in part:
            out.update(line.strip() for line in part.splitlines())
    return out


def values_secrets(values: Any) -> set:
    out: set = set()
    for _path, value, spans in secret_parts(values):
        out |= _secret_texts(value, spans)
    return out


def manifest_secret_parts(obj: dict) -> Iterator[tuple]:
    """`secret_parts` of a manifest object: a Secret's `data` and `stringData` are secret whole."""
    if isinstance(obj, dict):
        yield from secret_parts(obj, ("data", "stringData") if obj.get("kind") == "Secret" else ())


def manifest_secrets(obj: dict) -> set:
    return parts_secrets(manifest_secret_parts(obj))


def parts_secrets(parts: Iterable[tuple]) -> set:
    """The strings to hide for the `manifest_secret_parts` of one object."""
    out: set = set()
    for path, value, spans in parts:
        out |= _secret_texts(value, spans)
        if path[0] == "data" and isinstance(value, str):  # base64, maybe broken over lines
            try:
                out |= _secret_texts(
                    base64.b64decode("".join(value.split()), validate=True).decode("utf-8"), None
                )
            except (binascii.Error, UnicodeDecodeError, ValueError):
                pass
    return out


def redact_values(values: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of `values` with every secret replaced by <redacted> (URLs keep their host): the
    values `secret_parts` finds, and any other string equal to a secret (an anchor's value that
    an alias carries into a secret) or holding a long one."""
    return redacted_copy(values, secret_parts(values), secrets)


def redacted_copy(data: Any, parts: Iterable[tuple], secrets: Iterable[str] = ()) -> Any:
    """`data` with each secret of `parts` ((path, value, spans) as `secret_parts` and
    `manifest_secret_parts` yield them) replaced by <redacted>, or only its secret spans (a URL's
    password); with `secrets`, any other string equal to one of them, or holding one of
    MIN_FINDING_SCRUB_LENGTH characters or more, too. Keys are kept: what is hidden is a value.

    Without `secrets` to search for, only the maps and lists on the way to a secret are copied
    and the rest is shared with `data` (a rendered object without secrets is not copied at all):
    what `values` prints, and what a CEL policy sees (docs/policies.md), is made by this."""
    hidden = {path: spans for path, _value, spans in parts}
    known = frozenset(s for s in secrets if len(s) >= MIN_SCRUB_LENGTH)
    if known:
        pattern = secrets_pattern(known, MIN_FINDING_SCRUB_LENGTH)

        def copy(node: Any, path: tuple) -> Any:
            if isinstance(node, dict):
                return {k: copy(v, path + (k,)) for k, v in node.items()}
            if isinstance(node, list):
                return [copy(v, path + (i,)) for i, v in enumerate(node)]
            if path in hidden:
                return _hide(node, hidden[path])
            if node is None or isinstance(node, bool):
                return node
            if str(node) in known:
                return REDACTED
            return pattern.sub(REDACTED, node) if pattern is not None and isinstance(node, str) else node

        return copy(data, ())
    if () in hidden:
        return _hide(data, hidden[()])
    result = data
    for path, spans in hidden.items():  # copy on write: each container on the path, once
        result = _replaced(result, data, path, spans)
    return result


def _hide(value: Any, spans) -> Any:
    return REDACTED if spans is None else replace_spans(value, spans)


def _replaced(result: Any, original: Any, path: tuple, spans) -> Any:
    """`result` (a copy of `original`, or `original` itself) with the value at `path` hidden,
    copying a container only where `result` still shares it with `original`."""
    key, rest = path[0], path[1:]
    if result is original:
        result = dict(result) if isinstance(result, dict) else list(result)
    child = result[key]
    result[key] = _hide(child, spans) if not rest else _replaced(child, original[key], rest, spans)
    return result


@lru_cache(maxsize=32)
def secrets_pattern(secrets: frozenset, min_length: int):
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
    pattern = secrets_pattern(frozenset(secrets), min_length)
    return pattern.sub(REDACTED, text) if pattern is not None and text else text


def scrub_finding(finding, secrets: Iterable[str]):
    """`finding` with every secret of its target (MIN_FINDING_SCRUB_LENGTH characters or more)
    removed from the text a reporter prints: message, notes, fix description, suppression
    reason and logical location, and so of its related findings. Location, rule and severity are
    never touched."""
    return finding_scrubber(secrets)(finding)


def finding_scrubber(secrets: Iterable[str]) -> Callable:
    """`scrub_finding` for the findings of one target: the secrets' pattern found once, not once
    per finding (a run scrubs thousands of them)."""
    pattern = secrets_pattern(frozenset(secrets), MIN_FINDING_SCRUB_LENGTH)
    return _unchanged if pattern is None else partial(_scrubbed, pattern=pattern)


def scrub_findings(findings: list, secrets: Iterable[str]) -> list:
    """`scrub_finding` of each of a target's findings, each looked at alone only where a text of
    theirs may hold a secret: the texts every finding has, joined, are searched once (a run's
    thousands of findings mostly hold none: one search of them all costs a fraction of a search
    each, and a few secrets are found by `in`, faster than any pattern). A secret in a note, a
    fix or a related finding is looked for in that finding itself."""
    wanted = [secret for secret in secrets if len(secret) >= MIN_FINDING_SCRUB_LENGTH]
    if not wanted or not findings:
        return findings
    scrub = finding_scrubber(wanted)
    joined = "\0".join([text for finding in findings for text in _texts(finding)])
    if len(wanted) <= _FEW_SECRETS:
        held = any(secret in joined for secret in wanted)
    else:
        held = secrets_pattern(frozenset(wanted), MIN_FINDING_SCRUB_LENGTH).search(joined) is not None
    if held:  # (or a secret that only the joining made, across two texts: each is looked at)
        return [scrub(finding) for finding in findings]
    return [scrub(finding) if _holds_more(finding) else finding for finding in findings]


_FEW_SECRETS = 16  # up to this many, one `in` per secret beats one pattern search of the joined texts


def _texts(finding) -> tuple[str, str, str]:
    """The texts every finding has that may hold a secret: message, logical location, suppression
    reason."""
    return finding.message, finding.logical, finding.suppressed or ""


def _holds_more(finding) -> bool:
    """Whether a finding has more to scrub than its `_texts`: notes, a fix, related findings."""
    return bool(finding.notes or finding.fix is not None or finding.related)


def _unchanged(finding):
    return finding


def _scrubbed(finding, pattern):
    if not (any(map(pattern.search, _texts(finding))) or _holds_more(finding)):
        return finding  # most findings: no secret in their texts, nothing else to look at
    changes: dict = {}
    for name in ("message", "logical", "suppressed"):
        text = getattr(finding, name)
        if text:
            cleaned = pattern.sub(REDACTED, text)
            if cleaned != text:
                changes[name] = cleaned
    if finding.notes:
        notes = tuple(pattern.sub(REDACTED, str(note)) for note in finding.notes)
        if notes != tuple(finding.notes):
            changes["notes"] = notes
    if finding.fix is not None and finding.fix.description:
        description = pattern.sub(REDACTED, finding.fix.description)
        if description != finding.fix.description:
            changes["fix"] = replace(finding.fix, description=description)
    if finding.related:
        related = tuple(_scrubbed(r, pattern) for r in finding.related)
        if related != finding.related:
            changes["related"] = related
    return finding.with_(**changes) if changes else finding


_SET_KEY = LazyPattern(r"(?:^|(?<!\\),)[^=,]*=")
# a part of a `--set` key: `[3]` (a list item) or a name (`\.` is a dot in it)
_SET_KEY_PART = LazyPattern(r"\[(\d+)\]|((?:\\.|[^.\[\]\\])+)")
_ESCAPED = LazyPattern(r"\\(.)")


def _set_key_path(key_text: str) -> tuple:
    """A `--set` key (`,a.b[0].c=`) as the values path Helm writes: ("a", "b", 0, "c")."""
    return tuple(
        int(index) if index and len(index) <= 18 else _ESCAPED.sub(r"\1", name or index)
        for index, name in _SET_KEY_PART.findall(key_text.lstrip(",")[:-1])
    )


def redact_set_expression(expression: str, secrets: Iterable[str]) -> str:
    """A `--set a=x,api.secrets.B=y` expression as provenance or an error may show it: the value
    of a secret path replaced whole, a URL's password replaced, any other secret string replaced;
    the key text is kept, so provenance still names what the expression set."""
    return replace_spans(expression, set_secret_spans(expression, secrets))


def set_secret_spans(expression: str, secrets: Iterable[str] = ()) -> list:
    """(start, end) of the parts of a `--set` expression that hold a secret (`redact_set_expression`).
    The value of a key runs to the next `,key=`, so `api.secrets.X=p@ss,word` hides `p@ss,word`
    whole: Helm reads `word` as a key without a value, but it is the rest of the password."""
    pattern = secrets_pattern(frozenset(secrets), MIN_SCRUB_LENGTH)  # secret paths go whole anyway
    keys = list(_SET_KEY.finditer(expression))
    regions: list[tuple[int, int, str | None]] = [(0, keys[0].start() if keys else len(expression), None)]
    for i, key in enumerate(keys):
        # the key text (`a.b[0].c`; the `--set-string ` label is harmless)
        regions.append(
            (key.end(), keys[i + 1].start() if i + 1 < len(keys) else len(expression), key.group())
        )
    # the same classifier as loaded values (`secret_parts`), on each key's path as Helm reads it
    # (`env[0]` a list item, `a\.b` one key): a `NAME=value` item of an env list, the items
    # of a list at a credential name, and the value beside a secret-like `name` in one entry
    paths = {start: _set_key_path(key_text) for start, _end, key_text in regions if key_text is not None}
    names = {
        paths[start][:-1]: expression[start:end]
        for start, end, key_text in regions
        if key_text is not None and paths[start][-1:] == ("name",)
    }
    spans: list = []
    for start, end, key_text in regions:
        value = expression[start:end]
        if key_text is not None and value:
            path = paths[start]
            if _secret_by_path(tuple(str(part) for part in path), value) or (
                path[-1:] == ("value",) and is_secret_key(names.get(path[:-1]))
            ):
                spans.append((start, end))
                continue
            for _path, _value, parts in secret_parts(_placed(path, value)):
                if parts is None:  # the whole value
                    spans.append((start, end))
                else:  # its secret parts (a URL's password, the value of `NAME=value`)
                    spans += [(start + s, start + e) for s, e in parts]
        spans += [(start + s, start + e) for s, e in credential_spans(value)]
        if pattern is not None:
            spans += [(start + m.start(), start + m.end()) for m in pattern.finditer(value)]
    return merge_spans(spans)


def value_holds_secret(path: tuple, value: Any) -> bool:
    """True when `value`, written at values `path`, is or holds a secret (`secret_parts`): the
    value of a `--set-json`/`--set-literal` assignment, which provenance then never shows."""
    return any(True for _ in secret_parts(_placed(path, value)))


def _placed(path: tuple, value: Any) -> Any:
    """`value` in the data a values path leads to it through (an int is a list item)."""
    node: Any = value
    for part in reversed(path):
        node = [node] if isinstance(part, int) else {part: node}
    return node


_JSON_KEY = LazyPattern(r'"((?:[^"\\]|\\.)*)"\s*:')


def value_text_may_hold_secret(path: tuple, text: str) -> bool:
    """True when the text of a value Helm could not parse (`--set-json api.env={"X_TOKEN":…`)
    may hold a secret: below a secret path, a URL password, or a secret-like JSON key in it."""
    if _secret_by_path(path, text) or credential_spans(text):
        return True
    return any(
        name in ("secrets", "stringData") or is_secret_key(name) or is_credential_name(name)
        for name in _JSON_KEY.findall(text)
    )
