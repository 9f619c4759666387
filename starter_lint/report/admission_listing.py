"""The loaded admission policies (SL901) as `rules` and `explain` show them (docs/policies.md).

`rules --policy DIR` lists each ValidatingAdmissionPolicy under SL901 — its name as
`--select`/`--ignore` take it (`SL901/<name>`), its bindings with their validationActions, and
its validations' messages — in every format `rules` has; `explain SL901/<name>` shows one: where
it is written, its bindings, match constraints, match conditions, variables and validations.
Every string of a policy file is a stranger's text: each output line is escaped as the values
policies' rule text is (report.escape), and JSON is ASCII.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import StarterLintError
from ..policy.admission import RULE_ID, AdmissionPolicies, Binding, Policy, Validation
from ..policy.load import run_policies, unknown_policy
from .escape import sarif_message, text_line


def validation_message(validation: Validation) -> str:
    """What a denial of this validation says: its message, else its messageExpression (evaluated
    per object), else the API server's default."""
    if validation.message:
        return validation.message
    if validation.message_expression is not None:
        return f"messageExpression: {validation.message_expression.source}"
    return f"failed expression: {validation.expression.source}"


def one_line(text: str) -> str:
    """A message or expression as one line of a listing: its lines stripped, joined by a space
    (a `|` block's breaks are no part of what it says)."""
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())


def bindings_of(admission: AdmissionPolicies, policy: Policy) -> list[Binding]:
    return [binding for binding in admission.bindings if binding.policy is policy]


def policy_entries(admission: AdmissionPolicies) -> list[dict[str, Any]]:
    """One entry per loaded admission policy, by name (the data of every format)."""
    return [
        {
            "id": f"{RULE_ID}/{name}",
            "name": name,
            "file": policy.document.path,
            "line": policy.document.line,
            "bindings": [
                {"name": binding.name, "validationActions": list(binding.actions)}
                for binding in bindings_of(admission, policy)
            ],
            "validations": [validation_message(validation) for validation in policy.validations],
        }
        for name, policy in sorted(admission.policies.items())
    ]


def _bindings_text(entry: dict[str, Any]) -> str:
    bindings = [f"{b['name']} ({', '.join(b['validationActions'])})" for b in entry["bindings"]]
    return ", ".join(bindings) or "none (Kubernetes evaluates nothing for it)"


def text_lines(entries: list[dict[str, Any]]) -> list[str]:
    """The lines under SL901 in `rules`' text format: each a line of its own, escaped."""
    lines = []
    for entry in entries:
        lines.append(text_line(f"       {entry['id']}  bindings: {_bindings_text(entry)}"))
        lines += [text_line(f"         - {one_line(message)}") for message in entry["validations"]]
    return lines


def markdown_section(entries: list[dict[str, Any]]) -> str:
    """The admission policies as a section of `rules --format markdown` (text, never markup)."""
    if not entries:
        return ""

    def cell(text: str) -> str:
        return sarif_message(text_line(text)).replace("|", "&#124;")

    lines = [
        "",
        "## Admission policies (SL901)",
        "",
        "| policy | bindings | validations |",
        "|---|---|---|",
    ]
    lines += [
        f"| {cell(e['id'])} | {cell(_bindings_text(e))} | {'<br>'.join(cell(one_line(m)) for m in e['validations'])} |"
        for e in entries
    ]
    return "\n".join(lines) + "\n"


def _block(value: Any) -> list[str]:
    """A policy's mapping (matchConstraints, paramRef) as indented YAML lines."""
    text = yaml.safe_dump(value, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return [f"    {line}" for line in text.rstrip("\n").split("\n")]


def _expression(label: str, source: str) -> list[str]:
    first, *rest = source.rstrip("\n").split("\n")
    return [f"- {label}{first}"] + [f"    {line}" for line in rest]


def loaded_admission(options: Any) -> AdmissionPolicies:
    """The admission policies of the run's policy files (none without --policy)."""
    policies = run_policies(options)
    return policies.admission if policies is not None else AdmissionPolicies()


def policy_named(options: Any, rule_id: str) -> str:
    """`SL901/<name>` when `rule_id`, which names no rule, is a loaded admission policy's name
    (`explain name-format`), else "": what the user meant, to suggest."""
    name = rule_id.strip().lower()
    return f"{RULE_ID}/{name}" if name in loaded_admission(options).policies else ""


def explain_policy(options: Any, selector: str) -> str:
    """`explain SL901/<name>`: one loaded admission policy, every line escaped; an unknown
    one is the error --select gives it."""
    rule, _, name = selector.strip().partition("/")
    selector = f"{rule.upper()}/{name.lower()}"
    problem = unknown_policy(selector, options)
    if problem:
        raise StarterLintError(f"explain {selector}: {problem}")
    admission = loaded_admission(options)
    policy = admission.policies[name.lower()]
    lines = [
        f"## {RULE_ID}/{policy.name} (ValidatingAdmissionPolicy)",
        "",
        f"file: {policy.document.path}:{policy.document.line}",
        f"failurePolicy: {policy.failure_policy}",
    ]
    if policy.param_kind is not None:
        lines.append(f"paramKind: {policy.param_kind[1]} ({policy.param_kind[0]})")
    lines += ["", "### Bindings", ""]
    bindings = bindings_of(admission, policy)
    if not bindings:
        lines.append("none: Kubernetes evaluates nothing for this policy, and neither does starter-lint")
    for binding in bindings:
        lines.append(
            f"- {binding.name} ({binding.document.path}:{binding.document.line}): "
            f"validationActions {', '.join(binding.actions)}"
        )
        for key, value in (("paramRef", binding.param_ref), ("matchResources", binding.match_resources)):
            if value:
                lines += [f"  {key}:"] + _block(value)
    lines += ["", "### Match constraints", ""] + _block(policy.constraints)
    for title, named in (("Match conditions", policy.match_conditions), ("Variables", policy.variables)):
        if named:
            lines += ["", f"### {title}", ""]
            for item_name, expression in named:
                lines += _expression(f"{item_name}: ", expression.source)
    lines += ["", "### Validations", ""]
    for validation in policy.validations:
        lines += _expression("", validation.expression.source)
        if validation.message_expression is not None:
            lines.append(f"  messageExpression: {validation.message_expression.source}")
        if validation.message or validation.message_expression is None:
            lines.append(f"  message: {validation_message(validation)}")
        if validation.reason:
            lines.append(f"  reason: {validation.reason}")
    return "".join(text_line(line) + "\n" for line in lines)
