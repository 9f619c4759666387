"""CustomResourceDefinitions as JSON Schemas: the shipped `schemas/crds/` plus `--crd` files.

`crd_to_schemas(crd)` converts a CRD's openAPIV3Schema into one strict JSON Schema per served
version, as kubeconform's openapi2jsonschema does; `CrdSchemas` holds them by kubeconform file
name (a `--crd` schema wins over a shipped one) and writes the given ones where kubeconform can
read them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import StarterLintError
from ..manifests.documents import shape_problem
from ..paths import allowed_roots, confined_files, refuse_outside_link
from ..resources import schemas_dir
from .cache_dir import cache_root, run_cache_root, write_atomically
from .schemas import kubeconform_name


def _strict(schema):
    """openapi2jsonschema's strict conversion of one CRD openAPIV3Schema node."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, object] = {}
    for key, value in schema.items():
        if key in ("properties", "patternProperties"):
            out[key] = {name: _strict(sub) for name, sub in value.items()}
        elif key in ("enum", "required", "default", "example", "x-kubernetes-validations"):
            out[key] = value
        else:
            out[key] = _strict(value)
    if out.get("x-kubernetes-int-or-string") or out.get("format") == "int-or-string":
        out.pop("type", None)
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if out.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    is_object = out.get("type") in ("object", ["object", "null"]) or "properties" in out
    if (
        is_object
        and "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def crd_to_schemas(crd: dict) -> dict:
    """{kubeconform file name: strict JSON Schema} for every version of a CRD that has a schema."""
    spec = crd.get("spec") if isinstance(crd, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("names"), dict):
        raise ValueError("not a CustomResourceDefinition (no spec.names)")
    group, kind = spec.get("group", ""), spec["names"].get("kind", "")
    if not group or not kind:
        raise ValueError("a CustomResourceDefinition needs spec.group and spec.names.kind")
    out = {}
    for version in spec.get("versions") or ():
        schema = ((version.get("schema") or {}).get("openAPIV3Schema")) if isinstance(version, dict) else None
        if not isinstance(schema, dict) or version.get("served") is False:
            continue  # a version no longer served has no schema: SL703 reports it
        converted = _strict(schema)
        # the API server always accepts these at the root, declared or not
        properties = converted.setdefault("properties", {})
        properties.setdefault("apiVersion", {"type": "string"})
        properties.setdefault("kind", {"type": "string"})
        properties.setdefault("metadata", {"type": "object"})
        converted["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        converted["x-kubernetes-group-version-kind"] = [
            {"group": group, "version": version.get("name", ""), "kind": kind}
        ]
        out[kubeconform_name(f"{group}/{version.get('name', '')}", kind)] = converted
    return out


def shipped_crds_dir() -> Path:
    return schemas_dir() / "crds"


class CrdSchemas:
    """CRD JSON Schemas by kubeconform file name: shipped ones, then `--crd` ones (which win)."""

    def __init__(self, extra: Iterable[str] = ()):
        self.schemas: dict = {}
        self.extra: dict = {}  # converted or given by --crd (kubeconform needs them in a folder)
        folder = shipped_crds_dir()
        if folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                self.schemas[path.name] = path
        for given in extra:
            self._add(Path(given))

    def _add(self, path: Path) -> None:
        if path.is_dir():  # symlinks out of the repository are refused, not followed
            for child in confined_files(path, f"--crd {path}", suffixes=(".yaml", ".yml", ".json")):
                self._add(Path(os.path.relpath(child)) if not path.is_absolute() else child)
            return
        if not path.is_file():
            raise StarterLintError(f"--crd {path}: no such file or directory")
        refuse_outside_link(path, allowed_roots(path), "--crd")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise StarterLintError(f"--crd {path}: cannot read it ({exc})") from None
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise StarterLintError(f"--crd {path}: not valid JSON ({exc})") from None
            except RecursionError:
                raise StarterLintError(f"--crd {path}: the JSON is nested too deeply; flatten it") from None
            shape = shape_problem(data) if isinstance(data, (dict, list)) else None
            if shape is not None:  # the schema walks recurse per level: bounded as manifests are
                raise StarterLintError(f"--crd {path}: the JSON {shape}")
            if isinstance(data, dict) and data.get("kind") != "CustomResourceDefinition":
                self.extra[path.name.lower()] = data  # a JSON Schema named as kubeconform expects
                self.schemas[path.name.lower()] = data
                return
            documents = [data]
        else:
            from ..yamlio import YamlLoadError, load_documents  # deferred: only a --crd YAML file needs it

            try:  # the values loader's limits: alias expansion and nesting are budgeted
                documents = load_documents(text)
            except YamlLoadError as exc:
                raise StarterLintError(
                    f"--crd {path}: not valid YAML (line {exc.line}: {exc.message})"
                ) from None
        found = False
        for document in documents:
            items = (
                document.get("items")
                if isinstance(document, dict) and document.get("kind", "").endswith("List")
                else [document]
            )
            for item in items or ():
                if isinstance(item, dict) and item.get("kind") == "CustomResourceDefinition":
                    try:
                        converted = crd_to_schemas(item)
                    except ValueError as exc:
                        raise StarterLintError(f"--crd {path}: {exc}") from None
                    except (TypeError, AttributeError, KeyError) as exc:  # `properties: [..]`, …
                        raise StarterLintError(
                            f"--crd {path}: its openAPIV3Schema has a keyword holding a value of the "
                            f"wrong kind ({type(exc).__name__}); fix the CustomResourceDefinition"
                        ) from None
                    self.extra.update(converted)
                    self.schemas.update(converted)
                    found = True
        if not found:
            raise StarterLintError(f"--crd {path}: no CustomResourceDefinition in it")

    def schema_for(self, api_version: str, kind: str) -> dict | None:
        name = kubeconform_name(api_version, kind)
        entry = self.schemas.get(name)
        if isinstance(entry, Path):  # shipped schemas are read when an object needs them
            entry = self.schemas[name] = json.loads(entry.read_text(encoding="utf-8"))
        return entry

    def _write_extra(self, folder: Path) -> Path:
        for name, schema in sorted(self.extra.items()):
            target = folder / name
            if not target.is_file():
                write_atomically(target, json.dumps(schema, separators=(",", ":")))
        return folder

    def location_dirs(self) -> list:
        """Folders holding every CRD schema by kubeconform name (for `-schema-location`)."""
        folders = [shipped_crds_dir()] if shipped_crds_dir().is_dir() else []
        if self.extra:
            blob = json.dumps(self.extra, sort_keys=True)
            import hashlib  # deferred: loads OpenSSL (3 MiB of RSS), only for --crd schemas

            digest = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
            try:
                folder = self._write_extra(cache_root() / "crds" / digest)
            except OSError:  # a read-only cache: this run's private one
                try:
                    folder = self._write_extra(run_cache_root() / "crds" / digest)
                except OSError as exc:
                    raise StarterLintError(
                        f"cannot write the CRD schemas for kubeconform ({exc.strerror or exc}); "
                        "set STARTER_LINT_CACHE_DIR to a writable folder"
                    ) from None
            folders.insert(0, folder)
        return folders
