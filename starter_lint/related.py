"""One mistake, one finding: which rule owns a cause, and which findings are its consequences.

Several rules see the same mistake from different sides: a values rule reports the cause (a host
missing from `ingress.tls`, SL301) and a rendered rule sees what Helm made of it (an Ingress that
serves the host without TLS, SL804); two values rules read one scalar (SL104, SL604). Reported
side by side they count one mistake twice. `relate` runs after the rules and before suppression:
a finding that `POLICY` names as the consequence of another finding of the same target, about the
same thing (`MATCHES`: the same host, values path, component and flag — never merely the same
rule pair), is not reported on its own; it becomes a related location of the owning finding.

- The owner keeps its rule, message, location and fingerprint (baselines still match it); its
  severity is the higher of its own and its consequences', so folding never lowers a run's verdict.
- A consequence attaches to the first matching owner in report order; chains resolve to the root
  (SL100 owns SL504, which owns SL503: both are related locations of the SL100 finding).
- A consequence with no matching owner (the owner's rule not selected, or a template that differs
  from the contract) is reported on its own, as before.
- Suppression (`suppress/`) sees owners only: suppressing the owner suppresses its related
  locations with it; a suppression written for the consequence alone no longer has a finding of
  its own to suppress.

docs/related-findings.md describes the policy for users; its table is `policy_markdown()`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .findings import Finding
from .records import record

COMPONENTS = ("api", "web", "worker")


@record(frozen=True)
class Ownership:
    """One rule that reports a cause and another that sees its consequence."""

    owner: str  # the rule that reports the cause
    consequence: str  # the rule that sees its consequence
    same: str  # what both findings must be about (a key of MATCHES)
    why: str  # one line for the documentation


POLICY = (
    Ownership(
        "SL100",
        "SL504",
        "values path",
        "a resource quantity the schema refuses is not also a missing one (`cpu: \"\"`)",
    ),
    Ownership(
        "SL100",
        "SL503",
        "values path",
        "an invalid CPU request is also why the HPA cannot compute utilisation",
    ),
    Ownership(
        "SL100",
        "SL705",
        "target",
        "Helm refuses to render values that break the schema; the failed render is their consequence",
    ),
    Ownership(
        "SL101",
        "SL705",
        "target",
        "a chart that ships the contract's values.schema.json refuses keys it does not know; the failed render is their consequence",
    ),
    Ownership(
        "SL603",
        "SL705",
        "target",
        "a chart that ships the contract's values.schema.json refuses a value outside an env key's allowed set; the failed render is its consequence",
    ),
    Ownership(
        "SL104",
        "SL604",
        "values path",
        "YAML reads the unquoted scalar as a number or boolean; the env value type is what that does",
    ),
    Ownership(
        "SL504",
        "SL503",
        "values path",
        "a missing CPU request is the resource problem; the HPA that cannot scale is its consequence",
    ),
    Ownership(
        "SL402",
        "SL401",
        "values path",
        "the worker's billing flag is off; that no workload runs the task is its consequence",
    ),
    Ownership(
        "SL301",
        "SL804",
        "host",
        "the host is missing from `ingress.tls`; the rendered Ingress serving it without TLS is its consequence",
    ),
    Ownership(
        "SL304",
        "SL804",
        "host",
        "the API host is missing from `ingress.apiTls`; the rendered Ingress serving it without TLS is its consequence",
    ),
    Ownership(
        "SL401",
        "SL806",
        "component and billing flag",
        "`api.env` turns a billing task back on; the rendered API running it beside the worker is its consequence",
    ),
    Ownership(
        "SL403",
        "SL806",
        "API replicas",
        "the API runs billing tasks in several replicas without the worker; the rendered API doing so is its consequence",
    ),
    Ownership(
        "SL501",
        "SL801",
        "component",
        "`minReplicas` is above `maxReplicas`; the rendered HPA with those bounds is its consequence",
    ),
)


# ---------------------------------------------------------------------------------------------
# What a finding is about, read from its logical location and identity key


def _words(text: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", str(text).lower()))


def _component(finding: Finding) -> str | None:
    """api/web/worker: a values path's first key (`api.env.X`, `autoscaling.web.minReplicas`), a
    rendered container's name (the key's last part, `FLAG:replicas:api`), else the object's name."""
    logical = finding.logical
    ref, hash_, _ = logical.partition("#")
    if not hash_:
        for part in logical.split(".")[:2]:
            if part in COMPONENTS:
                return part
        return None
    for text in (finding.key.rpartition(":")[2], ref.rpartition("/")[2]):
        found = [c for c in COMPONENTS if c in _words(text)]
        if len(found) == 1:
            return found[0]
    return None


def _host(finding: Finding) -> str | None:
    """SL301 keys a finding by the host, SL304 by `uncovered:<host>`, SL804 by `host:<host>`; a
    host has no colon. SL304's orphan TLS entries (`orphan:`) are about another thing."""
    kind, _, host = finding.key.rpartition(":")
    return host.lower() if host and kind in ("", "uncovered", "host") else None


def _billing_flag(finding: Finding) -> str | None:
    """The flag a billing finding is about: `api.env.FLAG` (SL401), `FLAG:how:container` (SL806)."""
    if "#" in finding.logical:
        return finding.key.partition(":")[0] or None
    path = finding.logical.split(".")
    return path[2] if len(path) == 3 and path[1] == "env" else None


def _same_values_path(owner: Finding, consequence: Finding) -> bool:
    return bool(owner.logical) and "#" not in owner.logical and owner.logical == consequence.logical


def _same_host(owner: Finding, consequence: Finding) -> bool:
    return _host(owner) is not None and _host(owner) == _host(consequence)


def _same_billing_flag(owner: Finding, consequence: Finding) -> bool:
    return (
        _billing_flag(owner) is not None
        and _billing_flag(owner) == _billing_flag(consequence)
        and _component(owner) is not None
        and _component(owner) == _component(consequence)
    )


def _api_replicas(owner: Finding, consequence: Finding) -> bool:
    """SL403 is about the API's replica count; SL806 keys that case `FLAG:replicas:container`."""
    return _component(consequence) == "api" and consequence.key.split(":")[1:2] == ["replicas"]


def _same_component(owner: Finding, consequence: Finding) -> bool:
    return _component(owner) is not None and _component(owner) == _component(consequence)


def _same_target(owner: Finding, consequence: Finding) -> bool:
    return owner.target == consequence.target


# Whether an owner finding and a consequence are about the same thing
Match = Callable[[Finding, Finding], bool]

MATCHES: dict[str, tuple[Match, str]] = {
    "values path": (_same_values_path, "both findings point at the same values path"),
    "host": (_same_host, "both findings are about the same host (case-insensitive)"),
    "component and billing flag": (
        _same_billing_flag,
        "the same component (api, web, worker) and the same billing flag",
    ),
    "API replicas": (
        _api_replicas,
        "the rendered finding is about the API container running a billing task in several replicas",
    ),
    "component": (
        _same_component,
        "the same component (api, web, worker: the values key, or the rendered object's name)",
    ),
    "target": (_same_target, "the same target (SL705 is only reported when the values break the contract)"),
}


# ---------------------------------------------------------------------------------------------


def owners_of(rule_id: str) -> tuple[Ownership, ...]:
    """The ownerships in which `rule_id` is the consequence, in policy order."""
    return tuple(o for o in POLICY if o.consequence == rule_id)


def relate(findings: list[Finding]) -> list[Finding]:
    """The findings with every consequence folded into its owner's `related` (see the module)."""
    ordered = sorted(findings, key=Finding.sort_key)
    by_rule: dict[str, list[int]] = {}
    for index, finding in enumerate(ordered):
        by_rule.setdefault(finding.rule, []).append(index)
    owner_of: dict[int, int] = {}  # index of a consequence -> index of its owner
    for index, finding in enumerate(ordered):
        for ownership in owners_of(finding.rule):
            matches = MATCHES[ownership.same][0]
            owner = next(
                (i for i in by_rule.get(ownership.owner, ()) if i != index and matches(ordered[i], finding)),
                None,
            )
            if owner is not None:
                owner_of[index] = owner
                break
    if not owner_of:
        return findings

    def root(index: int) -> int:
        seen = {index}
        while index in owner_of and owner_of[index] not in seen:  # the policy is acyclic; be sure
            index = owner_of[index]
            seen.add(index)
        return index

    related: dict[int, list[Finding]] = {}
    for index in sorted(owner_of):
        related.setdefault(root(index), []).append(ordered[index])
    out = []
    for index, finding in enumerate(ordered):
        if index in owner_of and root(index) != index:
            continue
        if index in related:
            severity = max([finding.severity] + [r.severity for r in related[index]])
            finding = finding.with_(related=tuple(related[index]), severity=severity)
        out.append(finding)
    return out


def policy_markdown() -> str:
    """The policy as the table in docs/related-findings.md."""
    lines = [
        "| owner (reported) | consequence (its related location) | matched when | why |",
        "|---|---|---|---|",
    ]
    for o in POLICY:
        lines.append(f"| {o.owner} | {o.consequence} | {MATCHES[o.same][1]} | {o.why} |")
    return "\n".join(lines) + "\n"
