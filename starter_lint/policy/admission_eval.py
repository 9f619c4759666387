"""Evaluating the admission policies against every rendered object, as a CREATE (SL901).

Per object and binding, in the API server's order (kubernetes.io/docs/reference/access-authn-authz/
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

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from .. import speedups
from ..context import Context
from ..fields import as_dict
from ..findings import Problem
from ..manifests.model import ManifestObject
from ..records import field, record
from ..redact import MIN_FINDING_SCRUB_LENGTH, manifest_secret_parts, redacted_copy
from ..redact_source import secret_strings
from .admission import RULE_ID, AdmissionPolicies, Binding, Expression, Policy
from .admission_defaults import with_defaults
from .admission_findings import Denial, failure_findings, placed_denials, unknown_namespace
from .admission_match import (
    Request,
    Unknown,
    crd_resources,
    matches,
    may_select_kind,
    reads_more_than_kind,
    resource_of,
    selector_matches,
)
from .admission_pointer import element_pointer, read_pointer, variable_pointer
from .admission_verdicts import VARIABLE_REF, Verdicts
from .cel import Bindings, CelEvaluationError


class _Failed(Exception):
    """An expression, or the params lookup, failed: the policy's failurePolicy decides.
    `source`: the expression that failed (None for the params lookup)."""

    def __init__(self, message: str, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


def _run(expression: Expression, activation: Bindings) -> Any:
    try:
        return expression.compiled.evaluate(activation)
    except CelEvaluationError as exc:  # what the engine raises for any input it cannot evaluate
        raise _Failed(f"{expression.field}: {exc.message}", expression.source) from None


def _params_of(binding: Binding, request: Request, params: list[dict], default_ns: str, crds: dict) -> list:
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
    for data in params:
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


def _message(validation, activation: Bindings) -> str:
    """The messageExpression's result, else message, else the API server's default."""
    if validation.message_expression is not None:
        try:
            text = _run(validation.message_expression, activation)
        except _Failed:
            text = None
        if isinstance(text, str) and text.strip() and "\n" not in text:
            return text
    return validation.message or f"failed expression: {validation.expression.source}"


def _evaluate(policy: Policy, base: Bindings) -> Iterator[tuple[int, str, dict]]:
    """(validation index, message, the variables' values) of each denial for one params object;
    raises _Failed."""
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
    activation = base
    broken: dict[str, _Failed] = {}  # variable -> why it has no value (the first cause)
    values: dict = {}
    if policy.variables:
        for name, expression in policy.variables:
            activation = base.with_values({"variables": values})
            try:
                values[name] = _run(expression, activation)
            except _Failed as failure:  # absent: an expression that reads it fails, as in the API server
                broken[name] = _cause(expression.source, broken) or failure
        activation = base.with_values({"variables": values})
    for i, validation in enumerate(policy.validations):
        try:
            result = _run(validation.expression, activation)
        except _Failed as failure:
            raise _cause(validation.expression.source, broken) or failure from None
        if result is not True and result is not False:
            raise _Failed(f"{validation.expression.field} returned {type(result).__name__}, not a bool")
        if result is False:
            message = _message(validation, activation)
            if validation.reason:
                message += f" (reason: {validation.reason})"
            yield i, message, values


def _cause(source: str, broken: dict[str, _Failed]) -> _Failed | None:
    """The failure of a variable that `source` reads, which is why it failed too (else None)."""
    return next((broken[name] for name in VARIABLE_REF.findall(source) if name in broken), None)


def _add_findings(
    found: list,
    run: _Run,
    binding: Binding,
    obj: ManifestObject,
    data: dict,
    base: Callable[[], Bindings],
    params: list | None,
    missing_namespace: str | None = None,
) -> None:
    """Add to `found` the binding's denials of the object (placed later, with the object's others:
    `placed_denials`) and the Problem of its failure. `data`: the object defaulted as the API
    server does (with_defaults), its secrets not yet hidden (`base` gives what the policy reads,
    hidden). `missing_namespace`: the object's namespace when no Namespace object gives it (its
    namespaceObject is null here, never in the cluster). A plain loop, not a generator: it runs
    for every binding on every object it selects."""
    policy = binding.policy
    reported: set = set()  # several params objects: one finding per validation
    try:
        for param in params if params is not None else (None,):
            denials, failure = run.seen.verdict(policy, data, param, _denials, base)
            for i, message, pointer in denials:
                if i not in reported:
                    reported.add(i)
                    found.append(Denial(binding, i, message, pointer))
            if failure is not None:
                # the one cached failure for every object sharing it: without its traceback, or
                # each raise would chain the frames (and the objects they hold) of the one before
                raise failure.with_traceback(None)
    except _Failed as failure:
        if missing_namespace is not None and _reads_namespace(failure):
            # the failure may only be the missing Namespace: said so, not reported as a denial
            found.append(
                unknown_namespace(
                    binding, obj, missing_namespace, "its expressions read the Namespace object"
                )
            )
        else:
            found.extend(failure_findings(binding, obj, str(failure)))


def _reads_namespace(failure: _Failed) -> bool:
    """Whether the expression that failed reads namespaceObject (a variable that fails is the
    cause its readers report, so a variable reading it counts): null only offline."""
    return failure.source is not None and "namespaceObject" in failure.source


def _denials(
    policy: Policy, obj: dict, base: Callable[[], Bindings], param: Any
) -> tuple[list, _Failed | None]:
    """(validation index, message, pointer) of each denial, and the failure that ended the run."""
    denials: list = []
    # base has params null: its activations serve every binding without params
    bindings = base() if param is None else base().with_values({"params": param})
    try:
        for i, message, values in _evaluate(policy, bindings):
            expression = policy.validations[i].expression
            variables = dict(policy.variables)
            pointer = (
                element_pointer(expression, obj, bindings)
                or variable_pointer(expression, obj, variables, values)
                or read_pointer(expression.source, obj, variables)
            )
            denials.append((i, message, pointer))
    except _Failed as failure:
        return denials, failure
    return denials, None


@record
class _Run:
    """What every object of one evaluation shares."""

    policies: AdmissionPolicies
    namespaces: dict  # name -> labels, from the render and the policy files
    default_namespace: str
    crds: dict  # (group, kind) -> (plural, namespaced?)
    rules_cache: dict = field(default_factory=dict)  # admission_match.matches' verdicts per kind of request
    seen: Verdicts = field(default_factory=Verdicts)
    # kind of request -> (binding, whether it selects every request of the kind) of the bindings
    # that may select it (_candidates)
    candidates: dict = field(default_factory=dict)
    params: list[dict] = field(default_factory=list)  # the params objects, their secrets hidden
    params_found: dict = field(default_factory=dict)  # (id(binding), namespace) -> its params objects
    # the Namespace objects of the render and the policy files, whole: a policy may read more
    # than labels (annotations)
    namespace_objects: dict = field(default_factory=dict)
    secrets: frozenset = frozenset()  # the target's secret strings, hidden wherever they show


def _object_findings(run: _Run, obj: ManifestObject) -> list[Problem]:
    """The findings of every binding on one object; its variables are converted for CEL once."""
    request = Request.of(obj.obj, run.default_namespace, run.crds)
    found: list = []  # Problems and Denials, in order
    data: dict | None = None  # the object as the policies read it, defaulted once (secrets not hidden yet)
    kind = (request.group, request.version, request.resource, request.namespaced)
    candidates = run.candidates.get(kind)
    if candidates is None:  # most objects of a render are of a kind no policy is about
        candidates = run.candidates[kind] = _candidates(run, request)
    for binding, selects_kind in candidates:
        policy = binding.policy
        try:
            if not selects_kind and not (
                matches(policy.constraints, request, run.namespaces, True, run.rules_cache)
                and matches(binding.match_resources, request, run.namespaces, False, run.rules_cache)
            ):
                continue
        except Unknown as unknown:
            found.append(unknown_namespace(binding, obj, unknown.namespace))
            continue
        params = None
        if policy.param_kind is not None:
            try:
                params = run.params_found.get((id(binding), request.namespace))
                if params is None:  # the same for every object of the namespace
                    params = _params_of(binding, request, run.params, run.default_namespace, run.crds)
                    run.params_found[id(binding), request.namespace] = params
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
                found += failure_findings(binding, obj, str(failure))
                continue
            if not params:
                continue  # parameterNotFoundAction Allow: no params, no validation
        if data is None:  # as the API server defaults it before admission runs (once per object)
            data = with_defaults(obj.obj)
            run.seen.start(partial(_inputs, run, request), partial(hidden, data, run.secrets))
            base = partial(_base, run, [])  # the object's Bindings, made when a verdict is not known yet
            missing_namespace = (
                request.namespace if request.namespaced and request.namespace not in run.namespaces else None
            )
        _add_findings(found, run, binding, obj, data, base, params, missing_namespace)
    return placed_denials(obj, found) if found else found


def _candidates(run: _Run, request: Request) -> list[tuple[Binding, bool]]:
    """The bindings that may select requests of this one's kind, each with whether it is known to
    select every request of the kind: matching it reads nothing else (no selector, no
    resourceNames), so this request answers for all, and the objects of the kind are not matched
    one by one. With speedups.FAST_PATHS off, every object is matched (the tests compare)."""
    found = []
    for binding in run.policies.bindings:
        policy = binding.policy
        if not may_select_kind(policy.constraints, request):
            continue
        if (
            not speedups.FAST_PATHS
            or reads_more_than_kind(policy.constraints)
            or reads_more_than_kind(binding.match_resources)
        ):
            found.append((binding, False))
        elif matches(policy.constraints, request, run.namespaces, True) and matches(
            binding.match_resources, request, run.namespaces, False
        ):
            found.append((binding, True))
    return found


def _namespace_object(run: _Run, name: str, labels: dict | None) -> dict | None:
    """The Namespace object a policy reads as `namespaceObject`: the one given (annotations and
    all), with the labels matching uses; None when no Namespace object gives it."""
    if labels is None:
        return None
    given = as_dict(run.namespace_objects.get(name))
    metadata = {**as_dict(given.get("metadata")), "name": name, "labels": labels}
    return {**given, "apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def _inputs(run: _Run, request: Request) -> dict:
    """The object's request and namespaceObject as a policy reads them (secrets hidden)."""
    labels = run.namespaces.get(request.namespace)
    return {
        "oldObject": None,
        "request": hidden(request.as_cel(), run.secrets),  # its name is the object's
        "namespaceObject": hidden(_namespace_object(run, request.namespace, labels), run.secrets),
    }


def _base(run: _Run, converted: list) -> Bindings:
    """The variables of the object being evaluated (run.seen.start), its secrets hidden,
    converted for CEL once, when a first verdict needs them."""
    if not converted:
        converted.append(Bindings({"object": run.seen.hidden(), **run.seen.inputs(), "params": None}))
    return converted[0]


def evaluate_admission(policies: AdmissionPolicies, ctx: Context) -> Iterable[tuple[str, Problem]]:
    """("SL901", Problem) per denial of the rendered objects of `ctx` by the bound policies."""
    if not policies or ctx.manifests is None:
        return
    # an object without apiVersion or kind is refused before admission (SL704 says so)
    objects = [
        obj for obj in ctx.manifests.objects if isinstance(obj.obj, dict) and obj.api_version and obj.kind
    ]
    namespaces = dict(policies.namespaces)
    namespace_objects = dict(policies.namespace_objects)
    for obj in objects:
        if obj.kind == "Namespace" and obj.name and obj.api_version == "v1":
            namespaces[obj.name] = {str(k): str(v) for k, v in as_dict(obj.metadata.get("labels")).items()}
            namespace_objects[obj.name] = obj.obj
    # what a policy sees has every secret hidden (a Secret's data, credential-named keys, and
    # any string holding a secret of the target): an expression can transform a value past any
    # scrubbing of the message it makes (docs/policies.md); a short secret ("admin") only where
    # it is written, not everywhere its text occurs, as in findings' messages
    secrets = frozenset(s for s in secret_strings(ctx) if len(s) >= MIN_FINDING_SCRUB_LENGTH)
    run = _Run(
        policies,
        namespaces,
        (ctx.options.namespace if ctx.options is not None else None) or "default",
        crd_resources([obj.obj for obj in objects] + [document.obj for document in policies.params]),
        params=[hidden(document.obj, secrets) for document in policies.params],
        secrets=secrets,
        namespace_objects=namespace_objects,
    )
    # one process: the stage's own child, beside the shipped checks (pipeline.py), so it has a
    # core of its own already; splitting it again cost 0.4 s CPU on 6,000 objects for no time
    for obj in objects:
        for problem in _object_findings(run, obj):
            yield RULE_ID, problem


def hidden(obj: Any, secrets: frozenset) -> Any:
    """A rendered object (or a params object) as a policy sees it: `redacted_copy` of it."""
    return redacted_copy(obj, manifest_secret_parts(obj), secrets)
