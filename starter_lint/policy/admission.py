"""ValidatingAdmissionPolicy + ValidatingAdmissionPolicyBinding read from policy files (SL901).

`parse_admission` takes every YAML document of the policy files and returns the policies, the
bindings, the objects params may come from (any other kind: ConfigMaps, custom resources) and
the labels of the Namespace objects given there. Every field is checked against the API's own
schema (admission_schema.py) and every CEL expression is compiled once, here, with the
variables the API server declares; anything wrong is one `file:line: message` InputError
(exit 2). A policy whose expressions use `authorizer` is refused: there is no cluster to ask
offline, and guessing "allowed" would pass what the cluster may deny (docs/policies.md).
Evaluation is admission_eval.py; matching an object is admission_match.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from functools import cached_property, partial
from typing import Any, Protocol

from ..errors import InputError
from ..fields import as_dict
from ..findings import Location, Severity, format_path
from ..pointer import build
from ..records import field, record, replace
from .admission_match import resource_of
from .admission_schema import BINDING, POLICY, first_error
from .cel import Bindings, CelError, compile_expression
from .values_policy import OBJECT_NAME_RULE, compile_error, is_object_name

RULE_ID = "SL901"  # the rule every admission policy's findings are reported under
API_GROUP = "admissionregistration.k8s.io"
API_VERSIONS = (f"{API_GROUP}/v1", f"{API_GROUP}/v1beta1")  # the same shape for what is read here
POLICY_KIND = "ValidatingAdmissionPolicy"
BINDING_KIND = "ValidatingAdmissionPolicyBinding"

# what the API server declares to a policy's expressions (variables only where the policy has some)
BASE_VARIABLES = ("object", "oldObject", "request", "params", "namespaceObject")
_AUTHORIZER = re.compile(r"\bauthorizer\b")


class PolicyDocument(Protocol):
    """One YAML document of a policy file: a ManifestObject as manifests/stream.py loads it."""

    obj: Any
    path: str
    line: int

    def locate(self, pointer: str = "") -> Location: ...


class CompiledExpression(Protocol):
    def evaluate(self, activation: Bindings) -> object: ...


class Compiler(Protocol):
    """cel.compile_expression (or a test's stand-in): raises CelError, `.message`, on a bad expression."""

    def __call__(self, source: str, variables: Collection[str]) -> CompiledExpression: ...


@record(frozen=True)
class Expression:
    source: str
    compiled: CompiledExpression
    field: str  # where it is written, e.g. spec.validations[0].expression (for messages)


@record(frozen=True)
class Validation:
    expression: Expression
    message: str | None
    message_expression: Expression | None
    reason: str | None


@record(frozen=True)
class Policy:
    name: str
    document: PolicyDocument
    constraints: dict  # spec.matchConstraints as written
    param_kind: tuple[str, str] | None  # (apiVersion, kind)
    failure_policy: str  # Fail | Ignore
    match_conditions: tuple[tuple[str, Expression], ...]
    variables: tuple[tuple[str, Expression], ...]
    validations: tuple[Validation, ...]


@record(frozen=True)
class Binding:
    name: str
    document: PolicyDocument
    policy: Policy
    param_ref: dict | None
    match_resources: dict | None
    actions: tuple[str, ...]  # Deny, Warn, Audit

    # each asked for by every finding of the binding (thousands in a run): made once
    @cached_property
    def severity(self) -> Severity:
        """A finding's severity under its validationActions: Deny an error, else Warn a warning,
        else (Audit) a note."""
        return next(severity for action, severity in _SEVERITY if action in self.actions)

    @cached_property
    def title(self) -> str:
        """`ValidatingAdmissionPolicy "p" (binding "b")`: what every SL901 message names first."""
        return f'ValidatingAdmissionPolicy "{self.policy.name}" (binding "{self.name}")'

    @cached_property
    def head(self) -> str:
        """`ValidatingAdmissionPolicy "p" (binding "b") denies`: how a denial's message starts."""
        actions = self.actions
        verb = "denies" if "Deny" in actions else "warns on" if "Warn" in actions else "audits"
        return f"{self.title} {verb}"


_SEVERITY = (("Deny", Severity.ERROR), ("Warn", Severity.WARNING), ("Audit", Severity.NOTE))


@record
class AdmissionPolicies:
    policies: dict[str, Policy] = field(default_factory=dict)
    bindings: list[Binding] = field(default_factory=list)
    params: list[PolicyDocument] = field(default_factory=list)  # every other object of the policy files
    namespaces: dict[str, dict] = field(default_factory=dict)  # Namespace name -> its labels
    namespace_objects: dict[str, dict] = field(default_factory=dict)  # Namespace name -> the object

    def __bool__(self) -> bool:
        return bool(self.bindings)

    def selected(self, selects: Callable[[str], bool]) -> AdmissionPolicies:
        """These policies with only the bindings of the policies whose name `selects` takes."""
        kept = [binding for binding in self.bindings if selects(binding.policy.name)]
        return self if len(kept) == len(self.bindings) else replace(self, bindings=kept)

    def unbound(self) -> list[Policy]:
        """The policies no binding names: Kubernetes evaluates nothing for them."""
        bound = {binding.policy.name for binding in self.bindings}
        return [policy for name, policy in self.policies.items() if name not in bound]


# what the API server counts as a line break in a validation's trimmed message (validation.go)
_LINE_BREAK = re.compile(r"[\n\r]")


def _line_of(document: PolicyDocument, path: Sequence) -> int:
    return document.locate(build(*path)).line if path else document.line


def _fail(document: PolicyDocument, path: Sequence, message: str) -> InputError:
    return InputError(f"{document.path}:{_line_of(document, path)}: {message}")


def _compile(
    document: PolicyDocument, path: tuple, source: str, variables: Collection[str], compiler: Compiler
) -> Expression:
    where = format_path(path)
    if _AUTHORIZER.search(source):
        raise _fail(
            document,
            path,
            f"{where}: `authorizer` cannot be evaluated offline (no cluster to ask); "
            "check authorization in the cluster, not in starter-lint",
        )
    try:
        compiled = compiler(source, variables)
    except CelError as exc:  # with the line and column of the error
        raise compile_error(document, path, exc, source=source) from None
    except Exception as exc:  # the engine's CelError (or any refusal): a policy error, never a traceback
        message = getattr(exc, "message", None) or str(exc)
        raise _fail(document, path, f"{where}: {message}") from None
    return Expression(source, compiled, where)


def _named(document, spec: dict, key: str, variables, compiler) -> tuple[tuple[str, Expression], ...]:
    out = []
    for i, item in enumerate(spec.get(key) or ()):
        out.append(
            (
                item["name"],
                _compile(document, ("spec", key, i, "expression"), item["expression"], variables, compiler),
            )
        )
    return tuple(out)


def _policy(document: PolicyDocument, compiler: Compiler) -> Policy:
    spec = document.obj["spec"]
    if not is_object_name(document.obj["metadata"]["name"]):  # the API server's rule; SL901/<name> names it
        raise _fail(document, ("metadata", "name"), f"ValidatingAdmissionPolicy: {OBJECT_NAME_RULE}")
    if not spec.get("validations") and not spec.get("auditAnnotations"):
        raise _fail(document, ("spec",), "spec.validations: a policy needs validations (or auditAnnotations)")
    if not (spec["matchConstraints"].get("resourceRules")):
        raise _fail(document, ("spec", "matchConstraints"), "spec.matchConstraints.resourceRules is required")
    names = [name for name, _ in ((v.get("name"), v) for v in spec.get("variables") or ())]
    variables = BASE_VARIABLES + (("variables",) if names else ())
    duplicate = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if duplicate is not None:
        raise _fail(document, ("spec", "variables"), f"spec.variables: {duplicate!r} is declared twice")
    validations = []
    for i, item in enumerate(spec.get("validations") or ()):
        base = ("spec", "validations", i)
        if isinstance(item.get("message"), str) and _LINE_BREAK.search(item["message"].strip()):
            raise _fail(
                document,
                base + ("message",),
                f"spec.validations[{i}].message must not contain line breaks (the API server "
                "refuses it): write it on one line, or fold it with `>-`",
            )
        message_expression = item.get("messageExpression")
        validations.append(
            Validation(
                _compile(document, base + ("expression",), item["expression"], variables, compiler),
                item.get("message"),
                _compile(document, base + ("messageExpression",), message_expression, variables, compiler)
                if message_expression
                else None,
                item.get("reason"),
            )
        )
    for i, item in enumerate(
        spec.get("auditAnnotations") or ()
    ):  # compiled so an error is said; no effect offline
        _compile(
            document,
            ("spec", "auditAnnotations", i, "valueExpression"),
            item["valueExpression"],
            variables,
            compiler,
        )
    param_kind = spec.get("paramKind")
    return Policy(
        name=document.obj["metadata"]["name"],
        document=document,
        constraints=spec["matchConstraints"],
        param_kind=(param_kind["apiVersion"], param_kind["kind"]) if param_kind else None,
        failure_policy=spec.get("failurePolicy", "Fail"),
        match_conditions=_named(document, spec, "matchConditions", variables, compiler),
        variables=_named(document, spec, "variables", variables, compiler),
        validations=tuple(validations),
    )


def _binding(document: PolicyDocument, policies: dict[str, Policy]) -> Binding:
    spec = document.obj["spec"]
    name = document.obj["metadata"]["name"]
    policy = policies.get(spec["policyName"])
    if policy is None:
        known = ", ".join(sorted(policies)) or "none is loaded"
        raise _fail(
            document,
            ("spec", "policyName"),
            f'binding "{name}" names ValidatingAdmissionPolicy "{spec["policyName"]}", which the policy '
            f"files do not contain (policies: {known})",
        )
    actions = tuple(spec["validationActions"])
    if not actions:
        raise _fail(document, ("spec", "validationActions"), "spec.validationActions must not be empty")
    if "Deny" in actions and "Warn" in actions:
        raise _fail(
            document,
            ("spec", "validationActions"),
            "spec.validationActions: Deny and Warn may not be used together",
        )
    param_ref = spec.get("paramRef")
    if param_ref is not None and ("name" in param_ref) == ("selector" in param_ref):
        raise _fail(document, ("spec", "paramRef"), "spec.paramRef: set exactly one of name and selector")
    if policy.param_kind is not None and param_ref is not None and "namespace" in param_ref:
        kind = policy.param_kind[1]
        if not resource_of(kind, policy.param_kind[0].rpartition("/")[0])[1]:
            raise _fail(
                document,
                ("spec", "paramRef", "namespace"),
                f"spec.paramRef.namespace must be unset: the paramKind {kind} is cluster-scoped",
            )
    if policy.param_kind is not None and param_ref is None:
        raise _fail(
            document,
            ("spec",),
            f'ValidatingAdmissionPolicy "{policy.name}" has a paramKind, so its binding needs spec.paramRef',
        )
    return Binding(name, document, policy, param_ref, spec.get("matchResources"), actions)


def parse_admission(
    documents: Sequence[PolicyDocument], compiler: Compiler | None = None
) -> AdmissionPolicies:
    """The admission policies, bindings, params objects and namespaces of the policy files.
    `compiler` is the CEL engine's compile_expression unless a test gives another."""
    compile_with = compiler or compile_expression
    result = AdmissionPolicies()
    bindings = []
    for document in documents:
        data = document.obj
        if not isinstance(data, dict):
            continue
        kind, api_version = data.get("kind"), data.get("apiVersion")
        if kind in (POLICY_KIND, BINDING_KIND):
            if api_version not in API_VERSIONS:
                raise _fail(
                    document,
                    ("apiVersion",),
                    f"{kind} apiVersion must be one of {', '.join(API_VERSIONS)}, not {api_version!r}",
                )
            error = first_error(data, POLICY if kind == POLICY_KIND else BINDING, partial(_line_of, document))
            if error is not None:
                raise InputError(f"{document.path}:{error[0]}: {kind}: {error[1]}")
            if kind == BINDING_KIND:
                bindings.append(document)
                continue
            policy = _policy(document, compile_with)
            if policy.name in result.policies:
                first = result.policies[policy.name].document
                raise _fail(
                    document,
                    ("metadata", "name"),
                    f'ValidatingAdmissionPolicy "{policy.name}" is defined twice (first at {first.path}:{first.line})',
                )
            result.policies[policy.name] = policy
        elif kind == "Namespace":
            metadata = as_dict(data.get("metadata"))
            if isinstance(metadata.get("name"), str):
                labels = as_dict(metadata.get("labels"))
                result.namespaces[metadata["name"]] = {str(k): str(v) for k, v in labels.items()}
                result.namespace_objects[metadata["name"]] = data
        else:
            result.params.append(document)
    for document in bindings:
        result.bindings.append(_binding(document, result.policies))
    return result
