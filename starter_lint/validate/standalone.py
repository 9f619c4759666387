"""The Kubernetes schemas in kubeconform's layout, written into the cache folder.

`standalone_dir(version)` gives the `-schema-location` folder holding
`vX.Y.0-standalone-strict/<kind>[-<group>]-<version>.json`, every `$ref` inlined and recursive
ones cut to `{}` (kubeconform cannot follow kubernetes-validate's `$ref`s offline), written once,
atomically, so that parallel runs never see half a folder. A cache that cannot be written (a
read-only home in a CI container) falls back to a private folder for the run.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import StarterLintError
from .cache_dir import cache_root, run_cache_root
from .schemas import inline_refs, kube_schemas, kubeconform_name, normalise_version, package_version


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
            shutil.rmtree(building, ignore_errors=True)
    return root
