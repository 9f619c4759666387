"""The fields of a ValidatingAdmissionPolicy and its Binding (admissionregistration.k8s.io/v1).

A policy file is checked against this table before anything runs: an unknown field, a missing
required one or a value outside an enum is one `file:line: message` error (exit 2), as
`kubectl apply` would refuse the object. The table follows the Kubernetes API reference
(kubernetes.io/docs/reference/kubernetes-api/policy-resources/validating-admission-policy-v1/).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..findings import format_path
from ..records import record


@record(frozen=True)
class Obj:
    """A mapping with these fields; `open_` admits any key (metadata, a matchLabels map)."""

    fields: dict
    required: tuple[str, ...] = ()
    open_: bool = False


@record(frozen=True)
class ListOf:
    item: Any


@record(frozen=True)
class Enum:
    values: tuple[str, ...]


STRING = "string"
STRING_MAP = "string map"  # matchLabels: string keys, string values
ANY = "any"  # metadata fields, status: not ours to check

LABEL_SELECTOR = Obj(
    {
        "matchLabels": STRING_MAP,
        "matchExpressions": ListOf(
            Obj(
                {
                    "key": STRING,
                    "operator": Enum(("In", "NotIn", "Exists", "DoesNotExist")),
                    "values": ListOf(STRING),
                },
                required=("key", "operator"),
            )
        ),
    }
)
RULE = Obj(
    {
        "resourceNames": ListOf(STRING),
        "operations": ListOf(Enum(("CREATE", "UPDATE", "DELETE", "CONNECT", "*"))),
        "apiGroups": ListOf(STRING),
        "apiVersions": ListOf(STRING),
        "resources": ListOf(STRING),
        "scope": Enum(("Cluster", "Namespaced", "*")),
    }
)
MATCH_RESOURCES = Obj(
    {
        "namespaceSelector": LABEL_SELECTOR,
        "objectSelector": LABEL_SELECTOR,
        "resourceRules": ListOf(RULE),
        "excludeResourceRules": ListOf(RULE),
        "matchPolicy": Enum(("Exact", "Equivalent")),
    }
)
NAMED_EXPRESSION = Obj({"name": STRING, "expression": STRING}, required=("name", "expression"))
METADATA = Obj({"name": STRING}, required=("name",), open_=True)

POLICY = Obj(
    {
        "apiVersion": STRING,
        "kind": STRING,
        "metadata": METADATA,
        "status": ANY,
        "spec": Obj(
            {
                "paramKind": Obj({"apiVersion": STRING, "kind": STRING}, required=("apiVersion", "kind")),
                "matchConstraints": MATCH_RESOURCES,
                "validations": ListOf(
                    Obj(
                        {
                            "expression": STRING,
                            "message": STRING,
                            "reason": Enum(("Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge")),
                            "messageExpression": STRING,
                        },
                        required=("expression",),
                    )
                ),
                "failurePolicy": Enum(("Fail", "Ignore")),
                "auditAnnotations": ListOf(
                    Obj({"key": STRING, "valueExpression": STRING}, required=("key", "valueExpression"))
                ),
                "matchConditions": ListOf(NAMED_EXPRESSION),
                "variables": ListOf(NAMED_EXPRESSION),
            },
            required=("matchConstraints",),
        ),
    },
    required=("metadata", "spec"),
)

BINDING = Obj(
    {
        "apiVersion": STRING,
        "kind": STRING,
        "metadata": METADATA,
        "status": ANY,
        "spec": Obj(
            {
                "policyName": STRING,
                "paramRef": Obj(
                    {
                        "name": STRING,
                        "namespace": STRING,
                        "selector": LABEL_SELECTOR,
                        "parameterNotFoundAction": Enum(("Allow", "Deny")),
                    },
                    required=("parameterNotFoundAction",),
                ),
                "matchResources": MATCH_RESOURCES,
                "validationActions": ListOf(Enum(("Deny", "Warn", "Audit"))),
            },
            required=("policyName", "validationActions"),
        ),
    },
    required=("metadata", "spec"),
)


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else f"{type(value).__name__} {value!r}"


def schema_errors(value: Any, schema: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """(path, message) for every place `value` breaks `schema`, in document order."""
    if schema == ANY:
        return []
    if schema == STRING:
        return (
            []
            if isinstance(value, str)
            else [(path, f"{_where(path)} must be a string, not {_kind_of(value)}")]
        )
    if schema == STRING_MAP:
        if not isinstance(value, dict):
            return [(path, f"{_where(path)} must be a mapping of strings, not {_kind_of(value)}")]
        return [
            (path + (key,), f"{format_path(path + (key,))} must be a string, not {_kind_of(item)}")
            for key, item in value.items()
            if not isinstance(item, str)
        ]
    if isinstance(schema, Enum):
        if value in schema.values:
            return []
        return [(path, f"{_where(path)} must be one of {', '.join(schema.values)}, not {value!r}")]
    if isinstance(schema, ListOf):
        if not isinstance(value, list):
            return [(path, f"{_where(path)} must be a list, not {_kind_of(value)}")]
        return [
            error for i, item in enumerate(value) for error in schema_errors(item, schema.item, path + (i,))
        ]
    assert isinstance(schema, Obj)
    if not isinstance(value, dict):
        return [(path, f"{_where(path)} must be a mapping, not {_kind_of(value)}")]
    errors: list[tuple[tuple, str]] = []
    for key, item in value.items():
        if key in schema.fields:
            errors += schema_errors(item, schema.fields[key], path + (key,))
        elif not schema.open_:
            errors.append((path + (key,), f"unknown field {format_path(path + (key,))}"))
    for key in schema.required:
        if key not in value:
            errors.append((path, f"missing required field {format_path(path + (key,))}"))
    return errors


def _where(path: tuple) -> str:
    """The place a message names: made only for an error (a policy file has hundreds of places)."""
    return format_path(path) or "the document"


def first_error(value: Any, schema: Any, line_of: Callable[[Sequence], int]) -> tuple[int, str] | None:
    """(line, message) of the first schema error, or None."""
    errors = schema_errors(value, schema)
    if not errors:
        return None
    path, message = errors[0]
    return line_of(path), message
