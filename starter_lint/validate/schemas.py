"""The Kubernetes schemas: kubernetes-validate's bundled definitions, its versions and the names
kubeconform gives schemas.

`KubeSchemas(version)` holds the strict Kubernetes definitions of one minor version, indexed by
apiVersion/kind, read straight from the installed kubernetes-validate package without importing
it (its import pulls in jsonschema and costs a tenth of a second). The same schemas in
kubeconform's layout are `schema_cache.standalone_dir`; CRDs are `crds.CrdSchemas`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from ..errors import StarterLintError
from .cache_dir import cache_root, write_atomically

DEFS_PREFIX = "#/$defs/"
_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")
_VERSION = re.compile(r"^v?(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?$")  # int() refuses 4,300 digits


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
        gvks: Any = definition.get("x-kubernetes-group-version-kind") or ()
        # a definition listing several GVKs (DeleteOptions, WatchEvent) is not a resource
        if len(gvks) == 1:
            group, version, kind = (
                gvks[0].get("group", ""),
                gvks[0].get("version", ""),
                gvks[0].get("kind", ""),
            )
            out.append([f"{group}/{version}" if group else version, kind, name])
    return sorted(out)


def _kinds_entries(cached: Any) -> bool:
    """Whether a cached kinds file holds what this release writes: [apiVersion, kind, name] strings."""
    return isinstance(cached, list) and all(
        isinstance(entry, list) and len(entry) == 3 and all(isinstance(part, str) for part in entry)
        for entry in cached
    )


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
        self._definitions: Mapping | None = None
        cached = _read_json(self._cache / f"v{self.version}-kinds.json")
        if not _kinds_entries(cached):  # another layout (another release) or damaged: rebuilt
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
            write_atomically(self._cache / name, json.dumps(data, separators=(",", ":")))
        except OSError:
            pass  # a read-only home: every run reads the package instead

    @property
    def definitions(self) -> Mapping:
        if self._definitions is None:
            name = f"v{self.version}-definition-texts.json"
            texts = _read_json(self._cache / name)
            if not isinstance(texts, dict) or not all(isinstance(text, str) for text in texts.values()):
                compact = _without_annotations(self._bundled())
                texts = {key: json.dumps(value, separators=(",", ":")) for key, value in compact.items()}
                self._store(name, texts)
                # the earlier layout (every definition parsed at once), read no more: not left as
                # a dead megabyte in the cache folder
                with contextlib.suppress(OSError):
                    (self._cache / f"v{self.version}-definitions.json").unlink()
            self._definitions = _Definitions(texts, self._bundled)
        return self._definitions

    def schema_for(self, api_version: str, kind: str) -> dict | None:
        name = self.kinds.get((api_version, kind))
        return None if name is None else self.definitions[name]

    def served(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self.kinds


class _Definitions(Mapping):
    """The definitions by name, each parsed from its JSON text when first asked for: a run meets
    a few dozen of a version's ~600, and all of them parsed held 2 MiB in every process that
    validates (each `-j` worker), the texts a tenth of that."""

    def __init__(self, texts: dict, bundled):
        self._texts = texts
        self._parsed: dict = {}  # kept: the validator compiles each schema once, by identity
        self._bundled = bundled

    def __getitem__(self, name: str):
        found = self._parsed.get(name)
        if found is None:
            try:
                found = json.loads(self._texts[name])
            except (KeyError, ValueError):
                found = None
            if not isinstance(found, dict):  # a damaged cache is only slower, never wrong: the package's own
                found = _without_annotations(self._bundled()[name])
            self._parsed[name] = found
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._texts

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


@cache  # one per version asked for; a run asks for two or three
def kube_schemas(version: str) -> KubeSchemas:
    return KubeSchemas(version)


def resolve_ref(ref: str, definitions: Mapping) -> tuple:
    """(definition name, schema) of a kubernetes-validate `$ref`."""
    match = _REF.match(ref)
    if not match or match.group(1) not in definitions:
        raise StarterLintError(f"internal: unresolvable schema reference {ref!r}")
    return match.group(1), definitions[match.group(1)]


def inline_refs(schema, definitions: Mapping, stack: tuple = ()):
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
