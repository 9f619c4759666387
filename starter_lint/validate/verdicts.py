"""What a manifest validator says about one object (the built-in one and kubeconform alike)."""

from __future__ import annotations

from ..records import field, record

VALID, INVALID, MISSING = "valid", "invalid", "missing"


@record(frozen=True)
class SchemaError:
    """One way an object fails its schema, at a JSON pointer."""

    pointer: str  # JSON pointer of the failing instance ("" = the object)
    message: str
    at: str | None = None  # a more precise pointer for the location (the unknown key)


@record(frozen=True, slots=True)  # shared: every valid object of one schema gets the same one
class Verdict:
    """An object's schema verdict: valid, invalid (with its errors) or missing a schema."""

    status: str  # VALID | INVALID | MISSING (no schema for the kind)
    errors: list[SchemaError] = field(default_factory=list)
    schema: str = ""  # which schema decided (kubeconform file name or definition)
    unchecked: list[SchemaError] = field(default_factory=list)  # SchemaErrors of patterns not checked
