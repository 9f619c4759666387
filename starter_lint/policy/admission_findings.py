"""How SL901's findings read and where they are shown: the findings of a failure and of a
namespace whose labels are unknown, and an object's denials placed together (one read of its
document for all). Each starts with its binding's `head` and has its `severity` (admission.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from ..findings import Problem, Severity
from ..manifests.model import ManifestObject
from .admission import Binding


def failure_findings(binding: Binding, obj: ManifestObject, reason: str) -> Iterator[Problem]:
    """A failed evaluation or params lookup: reported under failurePolicy Fail, dropped under Ignore."""
    if binding.policy.failure_policy == "Fail":
        yield Problem(
            f"{binding.head} {obj.ref}: {reason}; the policy's failurePolicy is Fail",
            location=obj.locate(),
            logical=f"{obj.ref}#",
            template=obj.template,
            severity=binding.severity,
            key=f"{binding.policy.name}/{binding.name}/failure",
        )


def unknown_namespace(
    binding: Binding,
    obj: ManifestObject,
    namespace: str,
    what: str = "its namespaceSelector needs the labels",
) -> Problem:
    return Problem(
        f"{binding.title} may apply to "
        f'{obj.ref}: {what} of namespace "{namespace}", and no '
        "Namespace object in the render or the policy files gives them; add that Namespace to the "
        "policy folder to have it checked",
        location=obj.locate(),
        logical=f"{obj.ref}#",
        template=obj.template,
        severity=Severity.NOTE,
        key=f"{binding.policy.name}/{binding.name}/namespace",
    )


class Denial(NamedTuple):
    """A validation that denies an object, not yet placed: its binding, the validation's index
    and message, and the pointer it is shown at."""

    binding: Binding
    validation: int
    message: str
    pointer: str


def placed_denials(obj: ManifestObject, found: list) -> list[Problem]:
    """The object's findings in order, each denial at its pointer: every pointer located in one
    read of the object's document (a walk of it, or its compose), not one per finding."""
    pointers = list(dict.fromkeys(entry.pointer for entry in found if type(entry) is Denial))
    where = dict(zip(pointers, obj.locate_many(pointers), strict=True)) if pointers else {}
    ref = obj.ref if pointers else ""
    out: list[Problem] = []
    for entry in found:
        if type(entry) is not Denial:
            out.append(entry)
            continue
        binding, i, message, pointer = entry
        out.append(
            Problem(
                f"{binding.head} {ref}: {message}",
                location=where[pointer],
                logical=f"{ref}#{pointer}",
                template=obj.template,
                severity=binding.severity,
                key=f"{binding.policy.name}/{binding.name}/validations[{i}]",
            )
        )
    return out
