"""Where manifest schemas come from: kubernetes-validate's bundled Kubernetes schemas, our CRDs.

- `KubeSchemas(version)`: the strict Kubernetes definitions of one minor version, indexed by
  apiVersion/kind (read straight from the installed kubernetes-validate package, without
  importing it: its import pulls in jsonschema and costs a tenth of a second).
- `standalone_dir(version)`: the same schemas in kubeconform's layout
  `vX.Y.0-standalone-strict/<kind>[-<group>]-<version>.json`, every `$ref` inlined and recursive
  ones cut to `{}` (kubeconform cannot follow kubernetes-validate's `$ref`s offline), written
  once into the cache folder, atomically, so that parallel runs never see half a folder.
- `crd_to_schemas(crd)`: CustomResourceDefinition YAML → one strict JSON Schema per version,
  as kubeconform's openapi2jsonschema does it.
- `CrdSchemas`: the shipped `schemas/crds/` plus `--crd` files and folders, by kubeconform name.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import tempfile
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

from ..errors import StarterLintError
from ..resources import schemas_dir

DEFS_PREFIX = "#/$defs/"
_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")


# ---------------------------------------------------------------------------------------------
# Versions and names


@lru_cache(maxsize=1)
def bundled_root() -> Path:
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise StarterLintError(
            "the kubernetes-validate package is missing (it holds the Kubernetes "
            "schemas): pip install kubernetes-validate"
        )
    root = Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"
    if not root.is_dir():
        raise StarterLintError(f"kubernetes-validate is installed without its schemas ({root}); reinstall it")
    return root


@lru_cache(maxsize=1)
def bundled_versions() -> tuple:
    """(major, minor) pairs with strict schemas, oldest first."""
    found = set()
    for entry in bundled_root().iterdir():
        match = re.match(r"^v(\d+)\.(\d+)\.0-local-strict$", entry.name)
        if match:
            found.add((int(match.group(1)), int(match.group(2))))
    return tuple(sorted(found))


def package_version() -> str:
    version_file = bundled_root().parent / "version.py"
    try:
        match = re.search(r"__version__\s*=\s*['\"]([^'\"]+)", version_file.read_text(encoding="utf-8"))
    except OSError:
        match = None
    return match.group(1) if match else "unknown"


def parse_version(text: str) -> tuple:
    """ "1.27", "v1.27.3" -> (1, 27); anything else is a usage error."""
    match = _VERSION.match(str(text).strip())
    if not match:
        raise StarterLintError(f"--kube-version {text!r}: expected MAJOR.MINOR such as 1.27")
    return int(match.group(1)), int(match.group(2))


def normalise_version(text: str) -> str:
    """The X.Y.0 form kubeconform's schema folders use ("1.27.3" -> "1.27.0"), checked."""
    major, minor = parse_version(text)
    versions = bundled_versions()
    if (major, minor) not in versions:
        first, last = versions[0], versions[-1]
        raise StarterLintError(
            f"--kube-version {text}: no bundled schemas for it; kubernetes-validate "
            f"{package_version()} covers {first[0]}.{first[1]} to {last[0]}.{last[1]}"
        )
    return f"{major}.{minor}.0"


def split_api_version(api_version: str) -> tuple:
    group, _, version = api_version.rpartition("/")
    return group, version


def kubeconform_name(api_version: str, kind: str) -> str:
    """kubeconform's file name for a kind: `<kind>-<first group label>-<version>.json`."""
    group, version = split_api_version(api_version)
    suffix = f"-{group.split('.')[0].lower()}-{version.lower()}" if group else f"-{version.lower()}"
    return f"{kind.lower()}{suffix}.json"


# ---------------------------------------------------------------------------------------------
# The bundled Kubernetes schemas

_ANNOTATIONS = frozenset(
    {
        "description",
        "x-kubernetes-patch-strategy",
        "x-kubernetes-patch-merge-key",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-map-type",
        "x-kubernetes-unions",
        "readOnly",
        "$schema",
        "$id",
    }
)


def _without_annotations(schema):
    """The schema without keywords that never change a verdict (two thirds of the bytes)."""
    if isinstance(schema, list):
        return [_without_annotations(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key in ("properties", "patternProperties") and isinstance(value, dict):
            out[key] = {name: _without_annotations(sub) for name, sub in value.items()}
        elif key in ("enum", "required", "default", "x-kubernetes-group-version-kind"):
            out[key] = value
        else:
            out[key] = _without_annotations(value)
    return out


def _resource_kinds(definitions: dict) -> list:
    """[apiVersion, kind, definition name] of every resource kind the definitions describe."""
    out = []
    for name, definition in definitions.items():
        gvks = definition.get("x-kubernetes-group-version-kind") or ()
        # a definition listing several GVKs (DeleteOptions, WatchEvent) is not a resource
        if len(gvks) == 1:
            group, version, kind = (
                gvks[0].get("group", ""),
                gvks[0].get("version", ""),
                gvks[0].get("kind", ""),
            )
            out.append([f"{group}/{version}" if group else version, kind, name])
    return sorted(out)


def _read_json(path: Path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


class KubeSchemas:
    """The strict definitions of one Kubernetes minor version, and which kinds they cover.

    Read once from kubernetes-validate's `_definitions.json` (1 MB), then from two compact files
    in the cache folder (the kinds alone, and the definitions without descriptions), so that a
    pre-commit run reads a tenth of the bytes; a cache that cannot be read or written is only
    slower, never wrong (it is keyed by the package version).
    """

    def __init__(self, version: str):
        self.version = normalise_version(version)
        self._cache = cache_root() / f"kubernetes-validate-{package_version()}"
        self._definitions: dict | None = None
        cached = _read_json(self._cache / f"v{self.version}-kinds.json")
        if not isinstance(cached, list):
            cached = _resource_kinds(self._bundled())
            self._store(f"v{self.version}-kinds.json", cached)
        self.kinds: dict = {(api_version, kind): name for api_version, kind, name in cached}

    def _bundled(self) -> dict:
        folder = bundled_root() / f"v{self.version}-local-strict"
        try:
            with open(folder / "_definitions.json", encoding="utf-8") as handle:
                return json.load(handle)["$defs"]
        except (OSError, ValueError, KeyError) as exc:
            raise StarterLintError(f"cannot read the bundled schemas in {folder}: {exc}") from None

    def _store(self, name: str, data) -> None:
        try:
            _write_atomically(self._cache / name, json.dumps(data, separators=(",", ":")))
        except OSError:
            pass  # a read-only home: every run reads the package instead

    @property
    def definitions(self) -> dict:
        if self._definitions is None:
            compact = _read_json(self._cache / f"v{self.version}-definitions.json")
            if not isinstance(compact, dict):
                compact = _without_annotations(self._bundled())
                self._store(f"v{self.version}-definitions.json", compact)
            self._definitions = compact
        return self._definitions

    def schema_for(self, api_version: str, kind: str) -> dict | None:
        name = self.kinds.get((api_version, kind))
        return None if name is None else self.definitions[name]

    def served(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self.kinds


@cache  # one per version asked for; a run asks for two or three
def kube_schemas(version: str) -> KubeSchemas:
    return KubeSchemas(version)


def resolve_ref(ref: str, definitions: dict) -> tuple:
    """(definition name, schema) of a kubernetes-validate `$ref`."""
    match = _REF.match(ref)
    if not match or match.group(1) not in definitions:
        raise StarterLintError(f"internal: unresolvable schema reference {ref!r}")
    return match.group(1), definitions[match.group(1)]


def inline_refs(schema, definitions: dict, stack: tuple = ()):
    """A copy of `schema` with every `$ref` replaced by its target; a recursive one becomes {}."""
    if isinstance(schema, list):
        return [inline_refs(item, definitions, stack) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        name, target = resolve_ref(schema["$ref"], definitions)
        if name in stack:
            return {}
        merged = {k: v for k, v in schema.items() if k != "$ref"}
        merged.update(inline_refs(target, definitions, stack + (name,)))
        return merged
    out = {}
    for key, value in schema.items():
        if key in ("properties", "patternProperties") and isinstance(value, dict):
            # keys here are property names (one is even called "$ref"), values are schemas
            out[key] = {name: inline_refs(sub, definitions, stack) for name, sub in value.items()}
        elif key in ("enum", "required", "x-kubernetes-group-version-kind", "default"):
            out[key] = value
        else:
            out[key] = inline_refs(value, definitions, stack)
    return out


# ---------------------------------------------------------------------------------------------
# The cache folder (kubeconform's layout)


def cache_root() -> Path:
    explicit = os.environ.get("STARTER_LINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "starter-lint"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


@lru_cache(maxsize=1)
def run_cache_root() -> Path:
    """A private folder for this run alone, removed at exit: the cache when `cache_root()` cannot
    be written (a read-only home in a CI container). Slower, never wrong."""
    import atexit
    import shutil

    folder = tempfile.mkdtemp(prefix="starter-lint-cache-")
    atexit.register(shutil.rmtree, folder, True)
    return Path(folder)


def standalone_dir(version: str) -> Path:
    """The `-schema-location` folder holding `v<version>-standalone-strict/` (built once)."""
    normalised = normalise_version(version)
    try:
        return _standalone_in(cache_root() / f"kubernetes-validate-{package_version()}", normalised)
    except OSError:
        pass
    try:
        return _standalone_in(run_cache_root() / f"kubernetes-validate-{package_version()}", normalised)
    except OSError as exc:
        raise StarterLintError(
            f"cannot write the kubeconform schemas to {run_cache_root()} "
            f"({exc.strerror or exc}); set STARTER_LINT_CACHE_DIR to a writable folder"
        ) from None


def _standalone_in(root: Path, normalised: str) -> Path:
    folder = root / f"v{normalised}-standalone-strict"
    done = folder / ".complete"
    if done.is_file():
        return root
    root.mkdir(parents=True, exist_ok=True)
    # build beside the final folder, then rename: a reader sees all files or none
    building = Path(tempfile.mkdtemp(dir=root, prefix=f".build-v{normalised}-"))
    try:
        schemas = kube_schemas(normalised)
        for (api_version, kind), name in sorted(schemas.kinds.items()):
            standalone = inline_refs(schemas.definitions[name], schemas.definitions)
            standalone["$schema"] = "https://json-schema.org/draft/2020-12/schema"
            (building / kubeconform_name(api_version, kind)).write_text(
                json.dumps(standalone, separators=(",", ":")), encoding="utf-8"
            )
        (building / ".complete").write_text("", encoding="utf-8")
        os.replace(building, folder)
    except OSError:
        # another run finished first (the target exists and is not empty): use theirs
        if not done.is_file():
            raise
    finally:
        if building.exists():
            import shutil

            shutil.rmtree(building, ignore_errors=True)
    return root


# ---------------------------------------------------------------------------------------------
# CRDs


def _strict(schema):
    """openapi2jsonschema's strict conversion of one CRD openAPIV3Schema node."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
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
        from ..paths import allowed_roots, confined_files, refuse_outside_link

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
            from ..manifests.documents import shape_problem

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
            from ..yamlio import YamlLoadError, load_documents

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
                _write_atomically(target, json.dumps(schema, separators=(",", ":")))
        return folder

    def location_dirs(self) -> list:
        """Folders holding every CRD schema by kubeconform name (for `-schema-location`)."""
        folders = [shipped_crds_dir()] if shipped_crds_dir().is_dir() else []
        if self.extra:
            blob = json.dumps(self.extra, sort_keys=True)
            import hashlib

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
