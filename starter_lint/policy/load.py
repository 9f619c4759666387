"""Policy files read once per run: `--policy PATH` and the config's `policies:` (docs/policies.md).

Every YAML document of every file (a folder: its .yaml/.yml files, recursively, confined like
other inputs) is loaded with positions, as manifests are, and dispatched by kind: ValuesPolicy
documents become values policies (values_policy.py); admission policies, their bindings and
every other object (params ConfigMaps, Namespaces) go to the admission reader (admission.py).
A file that is not YAML, or any bad policy, is one `file:line: message` InputError (exit 2).
A policy is data: nothing in it runs code or reads a file.

The set is cached by the files' names, sizes and modification times, so a run loads it once
(every target, and the catalog the config and reporters use, share it) and an edit is seen.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from ..catalog import Catalog, load_catalog
from ..errors import InputError
from ..manifests.stream import load_text
from ..paths import confined_files, display_path, read_control_file
from ..records import record
from ..rule_file import Rule
from .admission import RULE_ID as ADMISSION_RULE_ID
from .admission import AdmissionPolicies, parse_admission
from .values_policy import KIND, ValuesPolicy, parse_values_policy

POLICY_SUFFIXES = (".yaml", ".yml")
MAX_POLICY_FILE_BYTES = 4 * 1024 * 1024  # a policy file is a few kilobytes; a stranger's may be anything


@record(frozen=True)
class PolicySet:
    """The policies of one run, read-only: values policies by id, and the admission policies."""

    values_policies: tuple[ValuesPolicy, ...]
    admission: AdmissionPolicies
    files: tuple[str, ...]  # display paths read

    @property
    def rules(self) -> tuple[Rule, ...]:
        """A catalog entry per values policy: its id is a rule id everywhere."""
        return tuple(policy.rule for policy in self.values_policies)


def policy_files(paths: Sequence[str], cwd: str | None) -> list[str]:
    """The policy files under `paths` (a file is taken whatever its name; a folder's .yaml/.yml)."""
    files: list[str] = []
    for given in paths:
        full = os.path.join(cwd or os.getcwd(), given)
        shown = display_path(full, cwd)  # a config's path is absolute: shown as the user sees it
        if not os.path.exists(full):
            raise InputError(f"--policy {shown}: no such file or folder")
        suffixes = POLICY_SUFFIXES if os.path.isdir(full) else None
        files += [str(path) for path in confined_files(given, f"--policy {shown}", cwd, suffixes)]
    return list(dict.fromkeys(files))


def load_policies(paths: Sequence[str], cwd: str | None = None) -> PolicySet | None:
    """The policies of `paths`, or None when none are given; InputError for a bad policy file."""
    if not paths:
        return None
    stamps = []
    for path in policy_files(paths, cwd):
        try:
            status = os.stat(path)
        except OSError as exc:
            raise InputError(
                f"--policy {display_path(path, cwd)}: cannot read ({exc.strerror or exc})"
            ) from None
        stamps.append((path, status.st_mtime_ns, status.st_size))
    return _load(tuple(stamps), cwd)


@lru_cache(maxsize=8)
def _load(stamps: tuple[tuple[str, int, int], ...], cwd: str | None) -> PolicySet:
    documents: list[Any] = []
    shown_files = []
    for path, _, _ in stamps:
        shown = display_path(path, cwd)
        shown_files.append(shown)
        text = read_control_file(path, MAX_POLICY_FILE_BYTES, "--policy", shown)
        loaded = load_text(text, shown)
        for _, problem in loaded.problems:
            location = problem.location
            line = location.line if location is not None else 1
            raise InputError(f"{shown}:{line}: not a policy file: {problem.message}")
        documents += loaded.objects
    values_policies: dict[str, ValuesPolicy] = {}
    others = []
    for document in documents:
        if isinstance(document.obj, dict) and document.obj.get("kind") == KIND:
            policy = parse_values_policy(document)
            if policy.id in values_policies:
                raise InputError(
                    f"{document.path}:{document.locate('/spec/id').line}: ValuesPolicy: spec.id "
                    f"{policy.id} is used twice (first at {values_policies[policy.id].where})"
                )
            values_policies[policy.id] = policy
        else:
            others.append(document)
    return PolicySet(tuple(values_policies.values()), parse_admission(others), tuple(shown_files))


def run_policies(options: Any) -> PolicySet | None:
    """The policies of a run's options (--policy, the config's `policies:`), or None."""
    return load_policies(list(getattr(options, "policies", None) or ()), getattr(options, "cwd", None))


def policy_catalog(options: Any) -> Catalog:
    """The rule catalog of a run: shipped rules, config rule-dirs, and the loaded values policies."""
    policies = run_policies(options)
    return load_catalog(tuple(getattr(options, "rule_dirs", None) or ()), policies.rules if policies else ())


def unknown_policy(selector: str, options: Any) -> str | None:
    """Why `SL901/name` (--select, --ignore, config select/ignore) names no loaded admission
    policy, or None when it names one: a typo must fail, as an unknown rule id does."""
    rule, _, name = selector.partition("/")
    if rule != ADMISSION_RULE_ID:
        return f"only {ADMISSION_RULE_ID} names one policy (SL901/<policy name>); {rule} has none"
    policies = run_policies(options)
    loaded = sorted(policies.admission.policies) if policies else []
    if name in loaded:
        return None
    if not loaded:
        return "no ValidatingAdmissionPolicy is loaded (give the policy files with --policy or `policies:`)"
    return f'no ValidatingAdmissionPolicy "{name}" is loaded (loaded: {", ".join(loaded)})'


def run_warnings(options: Any) -> list[str]:
    """The stderr warnings of a run with policies (`check`, `baseline`): the config's
    select/ignore entries that name no loaded policy, and the unbound policies that run."""
    out = [
        f"warning: {where}: {field}: {selector} names no loaded admission policy"
        for (field, selector), where in sorted(getattr(options, "config_selectors", {}).items())
        if unknown_policy(selector, options)
    ]
    return out + unbound_warnings(options)


def unbound_warnings(options: Any) -> list[str]:
    """A warning per admission policy that no binding names: the cluster admits it, and then
    evaluates nothing for it — a policy file that looks enforced and is not (docs/policies.md).
    Only for a policy SL901 runs for: `--ignore SL901` asked not to hear about them."""
    policies = run_policies(options)
    selects = getattr(options, "selects", lambda _rule: True)
    return [
        f"warning: {policy.document.path}:{policy.document.line}: ValidatingAdmissionPolicy "
        f'"{policy.name}" has no ValidatingAdmissionPolicyBinding: Kubernetes evaluates nothing for it, '
        "and neither does starter-lint (bind it, or remove it from the policy files)"
        for policy in (policies.admission.unbound() if policies else ())
        if selects(f"{ADMISSION_RULE_ID}/{policy.name}")
    ]
