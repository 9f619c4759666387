"""Evaluating the admission policies against every rendered object, as a CREATE (SL901).

Per binding and object, in the API server's order (kubernetes.io/docs/reference/access-authn-authz/
validating-admission-policy/): match the policy's matchConstraints and the binding's
matchResources (admission_match.py), find the params (paramRef), run the matchConditions (all
true to apply), the variables (in order; one that fails makes the expressions reading it fail)
and the validations. A false validation is a denial with its message; an expression that
cannot be evaluated, or params that are not found under `parameterNotFoundAction: Deny`, is a
failure that `failurePolicy` decides (Fail: reported, Ignore: nothing). The binding's
validationActions give the severity: Deny -> error, Warn -> warning, Audit -> note. One finding
per (binding, validation, object), at the first `object.<path>` the expression reads that the
object has, so the pipeline traces it to the values line like other manifest findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from ..context import Context
from ..fields import as_dict
from ..findings import Problem, Severity
from ..manifests.model import ManifestObject
from ..pointer import build
from .admission import AdmissionPolicies, Binding, Expression, PolicyDocument
from .admission_match import Request, Unknown, crd_resources, matches, resource_of, selector_matches

RULE_ID = "SL901"
_SEVERITY = (("Deny", Severity.ERROR), ("Warn", Severity.WARNING), ("Audit", Severity.NOTE))
_OBJECT_PATH = re.compile(r"\bobject((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)+)")
_VARIABLE = re.compile(r"\bvariables\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")


class _Failed(Exception):
    """An expression, or the params lookup, failed: the policy's failurePolicy decides."""


def _severity(actions: tuple[str, ...]) -> Severity:
    return next(severity for action, severity in _SEVERITY if action in actions)


def _run(expression: Expression, activation: dict) -> Any:
    try:
        return expression.compiled.evaluate(activation)
    except Exception as exc:  # the engine's CelEvaluationError, or data it cannot take
        raise _Failed(f"{expression.field}: {getattr(exc, 'message', None) or exc}") from None


def _read_pointer(expression: str, obj: dict, variables: dict[str, Expression], depth: int = 0) -> str:
    """The deepest node of the first `object.a.b` path in `expression` that `obj` has, looking
    into the variables it reads (`variables.x`) where it reads no such path itself ("" if none)."""
    for match in _OBJECT_PATH.finditer(expression):
        node: Any = obj
        found: list[str] = []
        for part in re.split(r"\s*\.\s*", match.group(1).strip(". \t\n")):
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
            found.append(part)
        if found:
            return build(*found)
    if depth < len(variables):  # variables read only earlier ones: no loop, but keep it bounded
        for name in _VARIABLE.findall(expression):
            if name in variables:
                pointer = _read_pointer(variables[name].source, obj, variables, depth + 1)
                if pointer:
                    return pointer
    return ""


def _params_of(
    binding: Binding, request: Request, params: list[PolicyDocument], default_ns: str, crds: dict
) -> list:
    """The params objects of the binding for this request; [] when none is found."""
    assert binding.policy.param_kind is not None and binding.param_ref is not None
    api_version, kind = binding.policy.param_kind
    ref = binding.param_ref
    namespaced = resource_of(kind, api_version.rpartition("/")[0], crds)[1]
    namespace = ref.get("namespace") or (request.namespace if namespaced else "")
    if namespaced and not namespace:
        raise _Failed(
            f"paramRef has no namespace and {request.kind} {request.name} is cluster-scoped, "
            f"so no {kind} can be chosen for it"
        )
    found = []
    for document in params:
        data = document.obj
        if data.get("apiVersion") != api_version or data.get("kind") != kind:
            continue
        metadata = as_dict(data.get("metadata"))
        if namespaced and (metadata.get("namespace") or default_ns) != namespace:
            continue
        named = "name" in ref and metadata.get("name") == ref["name"]
        if named or (
            "selector" in ref and selector_matches(ref["selector"], as_dict(metadata.get("labels")))
        ):
            found.append(data)
    return found


def _message(validation, activation: dict) -> str:
    """The messageExpression's result, else message, else the API server's default."""
    if validation.message_expression is not None:
        try:
            text = _run(validation.message_expression, activation)
        except _Failed:
            text = None
        if isinstance(text, str) and text.strip() and "\n" not in text:
            return text
    return validation.message or f"failed expression: {validation.expression.source}"


def _evaluate(binding: Binding, base: dict) -> Iterator[tuple[int, str]]:
    """(validation index, message) of each denial for one params object; raises _Failed."""
    policy = binding.policy
    # every condition is run: one false skips the policy even when another failed
    failed: _Failed | None = None
    for _, condition in policy.match_conditions:
        try:
            result = _run(condition, base)
        except _Failed as failure:
            failed = failed or failure
            continue
        if result is False:
            return
        if result is not True:
            failed = failed or _Failed(f"{condition.field} returned {type(result).__name__}, not a bool")
    if failed is not None:
        raise failed
    activation = dict(base)
    if policy.variables:
        values: dict = {}
        activation["variables"] = values
        for name, expression in policy.variables:
            try:
                values[name] = _run(expression, activation)
            except _Failed:
                pass  # absent: an expression that reads it fails as in the API server
    for i, validation in enumerate(policy.validations):
        result = _run(validation.expression, activation)
        if result is not True and result is not False:
            raise _Failed(f"{validation.expression.field} returned {type(result).__name__}, not a bool")
        if result is False:
            message = _message(validation, activation)
            if validation.reason:
                message += f" (reason: {validation.reason})"
            yield i, message


def _who(binding: Binding) -> str:
    """`ValidatingAdmissionPolicy "p" (binding "b") denies`: how every SL901 message starts."""
    actions = binding.actions
    verb = "denies" if "Deny" in actions else "warns on" if "Warn" in actions else "audits"
    return f'ValidatingAdmissionPolicy "{binding.policy.name}" (binding "{binding.name}") {verb}'


def _failure(binding: Binding, obj: ManifestObject, failure: _Failed) -> Iterator[Problem]:
    """A failed evaluation or params lookup: reported under failurePolicy Fail, dropped under Ignore."""
    if binding.policy.failure_policy == "Fail":
        yield Problem(
            f"{_who(binding)} {obj.ref}: {failure}; the policy's failurePolicy is Fail",
            location=obj.locate(),
            logical=f"{obj.ref}#",
            template=obj.template,
            severity=_severity(binding.actions),
            key=f"{binding.policy.name}/{binding.name}/failure",
        )


def _findings(binding: Binding, obj: ManifestObject, base: dict, params: list | None) -> Iterator[Problem]:
    policy = binding.policy
    reported: set = set()
    try:
        for param in params if params is not None else [None]:
            for i, message in _evaluate(binding, {**base, "params": param}):
                if i in reported:  # several params objects: one finding per validation
                    continue
                reported.add(i)
                pointer = _read_pointer(
                    policy.validations[i].expression.source, obj.obj, dict(policy.variables)
                )
                yield Problem(
                    f"{_who(binding)} {obj.ref}: {message}",
                    location=obj.locate(pointer),
                    logical=f"{obj.ref}#{pointer}",
                    template=obj.template,
                    severity=_severity(binding.actions),
                    key=f"{policy.name}/{binding.name}/validations[{i}]",
                )
    except _Failed as failure:
        yield from _failure(binding, obj, failure)


def evaluate_admission(policies: AdmissionPolicies, ctx: Context) -> Iterable[tuple[str, Problem]]:
    """("SL901", Problem) per denial of the rendered objects of `ctx` by the bound policies."""
    if not policies or ctx.manifests is None:
        return
    default_ns = (ctx.options.namespace if ctx.options is not None else None) or "default"
    namespaces = dict(policies.namespaces)
    objects = [obj for obj in ctx.manifests.objects if isinstance(obj.obj, dict)]
    for obj in objects:
        if obj.kind == "Namespace" and obj.name and not obj.api_version.count("/"):
            namespaces[obj.name] = {str(k): str(v) for k, v in (obj.metadata.get("labels") or {}).items()}
    crds = crd_resources([obj.obj for obj in objects] + [document.obj for document in policies.params])
    requests = [Request.of(obj.obj, default_ns, crds) for obj in objects]
    for binding in policies.bindings:
        policy = binding.policy
        for obj, request in zip(objects, requests, strict=True):
            try:
                applies = matches(policy.constraints, request, namespaces, True) and matches(
                    binding.match_resources, request, namespaces, False
                )
            except Unknown as unknown:
                yield (
                    RULE_ID,
                    Problem(
                        f'ValidatingAdmissionPolicy "{policy.name}" (binding "{binding.name}") may apply to '
                        f'{obj.ref}: its namespaceSelector needs the labels of namespace "{unknown.namespace}", '
                        "and no Namespace object in the render or the policy files gives them; add that "
                        "Namespace to the policy folder to have it checked",
                        location=obj.locate(),
                        logical=f"{obj.ref}#",
                        template=obj.template,
                        severity=Severity.NOTE,
                        key=f"{policy.name}/{binding.name}/namespace",
                    ),
                )
                continue
            if not applies:
                continue
            namespace_object = (
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": request.namespace, "labels": namespaces[request.namespace]},
                }
                if request.namespace in namespaces
                else None
            )
            base = {
                "object": obj.obj,
                "oldObject": None,
                "request": request.as_cel(),
                "namespaceObject": namespace_object,
            }
            params = None
            if policy.param_kind is not None:
                try:
                    params = _params_of(binding, request, policies.params, default_ns, crds)
                    if (
                        not params
                        and binding.param_ref
                        and binding.param_ref["parameterNotFoundAction"] == "Deny"
                    ):
                        raise _Failed(
                            f"no params object ({policy.param_kind[1]}) matches the binding's paramRef, "
                            "and its parameterNotFoundAction is Deny"
                        )
                except _Failed as failure:
                    for problem in _failure(binding, obj, failure):
                        yield RULE_ID, problem
                    continue
                if not params:
                    continue  # parameterNotFoundAction Allow: no params, no validation
            for problem in _findings(binding, obj, base, params):
                yield RULE_ID, problem
