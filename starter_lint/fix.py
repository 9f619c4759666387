"""`starter-lint fix`: apply the safe fixes of findings to the values files, keeping the rest.

A fix names a values path in the file the finding points at and the value to write there
(`findings.Fix`). It is applied with ruamel.yaml's round-trip mode, so comments, key order and
the quoting of untouched scalars stay as they were; indentation is detected from the file. A
string is written double-quoted (`"1.10"`, `"0644"`, env values), a bool as `true`/`false`, a
path that does not exist yet is created (SL402's missing worker settings). The SL104 fix of an
ambiguous *key* (`on:` read as "true") quotes the key itself.

Every rewritten file is re-read with the Helm-exact loader before it is written; a result that
does not load, or does not hold the fixed values, is an internal error and nothing is written.
Writes are atomic and keep the file's permissions.
"""
from __future__ import annotations

import difflib
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Optional

from .errors import StarterLintError

_MISSING = object()
KEY_FIX = "ambiguous-key"   # the SL104 identity key of a finding about a key, not a value


@dataclass
class FileFix:
    path: str                       # the file on disk
    shown: str                      # its display path
    findings: list = field(default_factory=list)
    before: str = ""
    after: str = ""

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        return "".join(difflib.unified_diff(self.before.splitlines(keepends=True),
                                            self.after.splitlines(keepends=True),
                                            fromfile=f"a/{self.shown}", tofile=f"b/{self.shown}"))


# ---------------------------------------------------------------------------------------------
# Which findings, in which files

def fixable(report, options) -> list:
    """FileFix per user values file that has active findings with a safe fix, in input order."""
    from .paths import display_path
    from .report.locations import planned_targets

    by_file: dict = {}
    for result, target in zip(report.targets, planned_targets(report, options)):
        if target is None:
            continue
        user_files = {display_path(p, options.cwd): p for p in target.files}
        for finding in result.active:
            fix = finding.fix
            if fix is None or not fix.safe or not fix.path or finding.location.path not in user_files:
                continue
            shown = finding.location.path
            entry = by_file.setdefault(shown, FileFix(user_files[shown], shown))
            if all(f.fix != fix or f.key != finding.key for f in entry.findings):
                entry.findings.append(finding)
    return list(by_file.values())


# ---------------------------------------------------------------------------------------------
# Editing YAML text

def _indentation(text: str) -> tuple:
    """(mapping indent, sequence indent, dash offset) as the file uses them."""
    mapping, offset = None, None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for line, following in zip(lines, lines[1:]):
        if not re.match(r"^\s*(- +)?[^\s#][^#]*:\s*(#.*)?$", line):
            continue   # only a key that opens a block
        own = len(line) - len(line.lstrip()) + (len(re.match(r"^\s*(- +)?", line).group(1) or ""))
        child = len(following) - len(following.lstrip())
        if child <= own:
            continue
        if following.lstrip().startswith("- "):
            offset = child - own if offset is None else offset
        else:
            mapping = child - own if mapping is None else mapping
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    offset = offset if offset is not None else 0
    return mapping, max(mapping, offset + 2), offset


def _helm_key(key) -> Optional[str]:
    from .yamlio import YamlLoadError, key_to_string, resolve_plain

    try:
        value = resolve_plain(key) if isinstance(key, str) else key
        return value if isinstance(value, str) else key_to_string(value)
    except (YamlLoadError, ValueError, TypeError):
        return None


def _find_key(mapping, part):
    """The ruamel key that Helm reads as `part` (exact text first, then YAML 1.1 resolution)."""
    for key in mapping:
        if isinstance(key, str) and key == part:
            return key
    for key in mapping:
        if _helm_key(key) == part:
            return key
    return _MISSING


def _to_yaml(value):
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, str):
        return DoubleQuotedScalarString(value)
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _to_yaml(item)
        return out
    if isinstance(value, (list, tuple)):
        return CommentedSeq([_to_yaml(item) for item in value])
    return value


def _walk(root, path: tuple, create: bool):
    """The container holding path[-1] and the key/index there (created when `create`)."""
    from ruamel.yaml.comments import CommentedMap

    node = root
    for depth, part in enumerate(path[:-1]):
        if isinstance(node, list) and isinstance(part, int):
            if not 0 <= part < len(node):
                return None, _MISSING
            node = node[part]
            continue
        if not isinstance(node, dict):
            return None, _MISSING
        key = _find_key(node, part)
        if key is _MISSING or node[key] is None and create:
            if not create:
                return None, _MISSING
            if key is _MISSING:
                key = part
            node[key] = CommentedMap()
        elif not isinstance(node[key], (dict, list)):
            return None, _MISSING
        node = node[key]
    last = path[-1]
    if isinstance(node, list):
        return (node, last) if isinstance(last, int) and 0 <= last < len(node) else (None, _MISSING)
    if not isinstance(node, dict):
        return None, _MISSING
    key = _find_key(node, last)
    return node, (last if key is _MISSING else key)


def _set_value(root, fix) -> bool:
    container, key = _walk(root, tuple(fix.path), create=fix.value is not None)
    if container is None:
        return False
    if fix.value is None:
        if isinstance(container, dict) and key in container:
            del container[key]
            return True
        return False
    container[key] = _to_yaml(fix.value)
    return True


def _quote_key(root, fix) -> bool:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    container, key = _walk(root, tuple(fix.path), create=False)
    if not isinstance(container, dict) or key not in container or not isinstance(fix.value, str):
        return False
    position = list(container).index(key)
    value = container[key]
    comment = container.ca.items.pop(key, None)
    del container[key]
    new_key = DoubleQuotedScalarString(fix.value)
    container.insert(position, new_key, value)
    if comment is not None:
        container.ca.items[new_key] = comment
    return True


def choose_fixes(findings: list) -> list:
    """One fix per values path. Where two rules disagree (SL104 writes `true` where SL604 wants
    the string "true"), the domain rule (higher id) wins over the generic YAML one."""
    chosen: dict = {}
    for finding in sorted(findings, key=lambda f: f.rule, reverse=True):
        chosen.setdefault((finding.key == KEY_FIX, tuple(finding.fix.path)), finding)
    return [f for f in findings if any(f is c for c in chosen.values())]


def apply_fixes(text: str, findings: list) -> str:
    """The text with every finding's safe fix applied (values first, then keys, deepest first)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = _indentation(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    try:
        documents = list(yaml.load_all(text))
    except YAMLError as exc:
        raise StarterLintError(f"cannot fix: the file is not YAML ruamel can round-trip ({str(exc).splitlines()[0]})") from None
    if not documents or not isinstance(documents[0], dict):
        return text
    root = documents[0]
    values = [f for f in findings if f.key != KEY_FIX]
    keys = sorted((f for f in findings if f.key == KEY_FIX), key=lambda f: -len(f.fix.path))
    changed = False
    for finding in values:
        changed |= _set_value(root, finding.fix)
    for finding in keys:
        changed |= _quote_key(root, finding.fix)
    if not changed:
        return text
    yaml.explicit_start = text.lstrip().startswith("---")
    out = io.StringIO()
    if len(documents) == 1:
        yaml.dump(root, out)
    else:
        yaml.dump_all(documents, out)
    return out.getvalue()


def _verify(shown: str, text: str, findings: list) -> None:
    """The rewritten file loads as Helm values and holds the values the fixes wrote."""
    from .values.layers import get_path
    from .yamlio import YamlLoadError, load_values

    try:
        loaded = load_values(text, shown)
    except YamlLoadError as exc:
        raise StarterLintError(f"internal: fixing {shown} would break it ({exc.message}); nothing written") from None
    for finding in findings:
        if finding.key == KEY_FIX:
            continue
        got = get_path(loaded.data, tuple(finding.fix.path), _MISSING)
        if finding.fix.value is None and got is _MISSING:
            continue
        if got != finding.fix.value and got is not _MISSING:
            raise StarterLintError(f"internal: the {finding.rule} fix of {shown} did not take effect; nothing written")


# ---------------------------------------------------------------------------------------------

def atomic_write(path: str, text: str) -> None:
    """Replace the file in one step, keeping its permissions."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    try:
        mode = os.stat(path).st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(prefix=".starter-lint-", dir=directory)
    except OSError as exc:
        raise StarterLintError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise StarterLintError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise


def plan_fixes(report, options) -> list:
    """FileFix objects with `before` and `after` filled in (nothing written yet)."""
    from .paths import read_bytes
    from .yamlio import decode_bytes

    plans = fixable(report, options)
    for plan in plans:
        plan.findings = choose_fixes(plan.findings)
        plan.before = decode_bytes(read_bytes(plan.path))
        plan.after = apply_fixes(plan.before, plan.findings)
        if plan.changed:
            _verify(plan.shown, plan.after, plan.findings)
    return plans
