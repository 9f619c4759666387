"""The built-in manifest validator: each object against the bundled Kubernetes schemas of one
version or its CRD's schema (`json_schema.SchemaValidator`), with kubeconform's verdicts.

`tests/test_validate_kube.py` holds it to kubeconform's recorded verdicts and to jsonschema's.
"""

from __future__ import annotations

from functools import cache

from ..errors import StarterLintError
from ..option_table import DEFAULT_KUBE_VERSION
from .crds import CrdSchemas
from .json_schema import SchemaValidator
from .schemas import kube_schemas, kubeconform_name
from .verdicts import INVALID, MISSING, VALID, Verdict


@cache
def _valid(schema: str) -> Verdict:
    """The verdict of every valid object of one schema: one object, not one per object (a large
    input holds thousands of valid objects of a dozen kinds)."""
    return Verdict(VALID, [], schema, [])


class BuiltinValidator:
    """Validates objects against the bundled Kubernetes schemas of one version, plus CRD schemas."""

    name = "builtin"

    def __init__(self, kube_version: str = DEFAULT_KUBE_VERSION, crds: CrdSchemas | None = None):
        self.kube = kube_schemas(kube_version)
        self.crds = crds if crds is not None else CrdSchemas()
        self.interpreter = SchemaValidator(self.kube.definitions)
        self.crd_interpreter = SchemaValidator({})

    def validate(self, obj: dict) -> Verdict:
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return Verdict(MISSING)
        crd = self.crds.schema_for(api_version, kind)
        if crd is not None:  # a --crd schema may also replace a built-in kind
            try:
                return self._verdict(self.crd_interpreter, crd, obj, api_version, kind)
            except (TypeError, AttributeError, ValueError, KeyError) as exc:
                # a keyword of the wrong kind (`type: 5`, `properties: [..]`) in a given schema
                raise StarterLintError(
                    f"the CRD schema of {kind} ({api_version}) cannot be used: a keyword holds a "
                    f"value of the wrong kind ({type(exc).__name__}); fix the CustomResourceDefinition"
                ) from None
        schema = self.kube.schema_for(api_version, kind)
        if schema is None:
            return Verdict(MISSING)
        return self._verdict(self.interpreter, schema, obj, api_version, kind)

    @staticmethod
    def _verdict(
        interpreter: SchemaValidator, schema: dict, obj: dict, api_version: str, kind: str
    ) -> Verdict:
        errors = interpreter.errors(schema, obj)
        if not errors and not interpreter.unchecked:
            return _valid(kubeconform_name(api_version, kind))
        return Verdict(
            INVALID if errors else VALID, errors, kubeconform_name(api_version, kind), interpreter.unchecked
        )

    def validate_all(self, objects: list) -> list:
        """A Verdict per ManifestObject, in order."""
        return [self.validate(o.obj) for o in objects]
