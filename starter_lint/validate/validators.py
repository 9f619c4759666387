"""Choosing the manifest validator `--validator auto|kubeconform|builtin` asks for.

Kept apart from the kubeconform wrapper so that a `--validator builtin` run never imports it
(its subprocess, temporary-folder and standalone-schema machinery is start-up time for nothing).
"""

from __future__ import annotations

from ..errors import StarterLintError
from ..option_table import DEFAULT_KUBE_VERSION, VALIDATORS
from .crds import CrdSchemas
from .kube import BuiltinValidator


def select_validator(options, crds: CrdSchemas | None = None):
    """The validator `--validator auto|kubeconform|builtin` asks for (errors when it cannot be had)."""
    choice = (getattr(options, "validator", None) or "auto").lower()
    version = getattr(options, "kube_version", None) or DEFAULT_KUBE_VERSION
    crds = crds if crds is not None else CrdSchemas(getattr(options, "crds", None) or ())
    if choice not in VALIDATORS:
        expected = ", ".join(VALIDATORS[:-1]) + " or " + VALIDATORS[-1]
        raise StarterLintError(f"--validator {choice}: expected {expected}")
    if choice != "builtin":
        from .kubeconform import INSTALL_HINT, KubeconformValidator, find_binary  # deferred: not for builtin

        binary = find_binary(options)
        if binary is not None:
            return KubeconformValidator(
                binary, version, crds, getattr(options, "kubeconform_timeout", None) or 60.0
            )
        if choice == "kubeconform":
            raise StarterLintError(f"--validator kubeconform: kubeconform is not on PATH; {INSTALL_HINT}")
    return BuiltinValidator(version, crds)
