"""Validating with the kubeconform binary, when it is on PATH or given by `--kubeconform PATH`.

kubeconform reports no document or line numbers, so it never sees the user's files: each input
file's objects (already loaded, YAML errors already reported as SL102) are written as JSON
documents into one numbered file of a private temporary folder, and its results are mapped back
by file name, kind, name and apiVersion (in order, for an object given twice). It runs with
`-strict -kubernetes-version X.Y.0 -n 2` against the standalone schema cache and our CRD
folders, never with a shell and never with its default (network) schema location.
Anything but its JSON report is one clear error (exit 2): a missing binary, a crash, a timeout,
an exit without JSON, output that is not its report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import defaultdict, deque

from ..errors import StarterLintError
from ..paths import remove_all, written
from ..pointer import escape
from .crds import CrdSchemas
from .schemas import kubeconform_name, normalise_version
from .standalone import standalone_dir
from .verdicts import INVALID, MISSING, VALID, SchemaError, Verdict

INSTALL_HINT = (
    "install kubeconform (https://github.com/yannh/kubeconform/releases) or pass "
    "--kubeconform PATH, or use --validator builtin"
)
_TEMPLATE = "{{ .ResourceKind }}{{ .KindSuffix }}.json"


def find_binary(options) -> str | None:
    """The kubeconform to run: `--kubeconform PATH` (must exist) or the one on PATH."""
    given = getattr(options, "kubeconform", None)
    if given:
        if os.path.sep in given or (os.path.altsep and os.path.altsep in given):
            if not os.path.isfile(given):
                raise StarterLintError(f"--kubeconform {given}: no such file; {INSTALL_HINT}")
            return given
        found = shutil.which(given)
        if found is None:
            raise StarterLintError(f"--kubeconform {given}: not found on PATH; {INSTALL_HINT}")
        return found
    return shutil.which("kubeconform")


_EXTRA = re.compile(r"^additional properties '([^']*)'")
_QUOTED_VALUE = re.compile(r"^'.*?' (?=does not match|is not)", re.S)


def _schema_error(pointer: str, message: str) -> SchemaError:
    """kubeconform's error; an unknown field is located at the field, not at its parent.

    Messages that quote the manifest's value ("'…' does not match pattern …") lose the value:
    it may be a secret, and the location already shows where it is.
    """
    message = _QUOTED_VALUE.sub("", message)
    extra = _EXTRA.match(message)
    at = f"{pointer}/{escape(extra.group(1))}" if extra else None
    return SchemaError(pointer, message, at)


class KubeconformValidator:
    name = "kubeconform"

    def __init__(self, binary: str, kube_version: str, crds: CrdSchemas, timeout: float = 60.0):
        self.binary = binary
        self.version = normalise_version(kube_version)
        self.crds = crds
        self.timeout = float(timeout)

    def command(self, folder: str) -> list:
        command = [
            self.binary,
            "-output",
            "json",
            "-summary",
            "-strict",
            "-kubernetes-version",
            self.version,
            "-n",
            "2",
            "-schema-location",
            str(standalone_dir(self.version)),
        ]
        for crd_folder in self.crds.location_dirs():
            command += ["-schema-location", os.path.join(str(crd_folder), _TEMPLATE)]
        return command + [folder]

    def validate_all(self, objects: list) -> list:
        """A Verdict per ManifestObject, in order."""
        if not objects:
            return []
        folder = written(tempfile.mkdtemp(prefix="starter-lint-kubeconform-"))
        try:
            expected, _file_of = self._write(objects, folder)
            report = self._run(self.command(folder))
        finally:
            remove_all(folder)  # copies of the manifests, Secrets included: removed even on an interrupt
        verdicts = [Verdict(VALID, schema=kubeconform_name(o.api_version, o.kind)) for o in objects]
        for resource in report.get("resources") or ():
            if not isinstance(resource, dict):
                raise StarterLintError(
                    "kubeconform printed a report this version of starter-lint cannot read "
                    "(a resource is not an object)"
                )
            key = (
                os.path.basename(str(resource.get("filename", ""))),
                resource.get("kind", ""),
                resource.get("name", ""),
                resource.get("version", ""),
            )
            queue = expected.get(key)
            if not queue:
                continue  # an empty document or one we did not write: nothing of the user's
            index = queue.popleft()
            verdicts[index] = self._verdict(resource, verdicts[index].schema)
        return verdicts

    @staticmethod
    def _write(objects: list, folder: str) -> tuple:
        expected: dict = defaultdict(deque)
        by_file: dict = {}
        handles: dict = {}
        try:
            for index, obj in enumerate(objects):
                number = by_file.setdefault(obj.path, len(by_file))
                name = f"{number:05d}.yaml"
                if name not in handles:
                    handles[name] = open(os.path.join(folder, name), "w", encoding="utf-8")  # noqa: SIM115 (closed in finally)
                handles[name].write("---\n" + json.dumps(obj.obj, ensure_ascii=False) + "\n")
                expected[(name, obj.kind, obj.name, obj.api_version)].append(index)
        finally:
            for handle in handles.values():
                handle.close()
        return expected, by_file

    @staticmethod
    def _verdict(resource: dict, schema: str) -> Verdict:
        status = resource.get("status")
        message = str(resource.get("msg", ""))
        if status == "statusInvalid":
            errors = [
                _schema_error(str(e.get("path", "")), str(e.get("msg", "")))
                for e in resource.get("validationErrors") or ()
                if isinstance(e, dict)
            ]
            return Verdict(INVALID, errors or [SchemaError("", message)], schema)
        if status == "statusError":
            if message.startswith("could not find schema"):
                return Verdict(MISSING, schema=schema)
            return Verdict(INVALID, [SchemaError("", f"kubeconform: {message}")], schema)
        return Verdict(VALID, schema=schema)  # statusValid, statusSkipped, ""

    def _run(self, command: list) -> dict:
        import subprocess  # deferred: only when kubeconform runs; keeps the built-in path's start-up short

        shown = os.path.basename(self.binary)
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=self.timeout, stdin=subprocess.DEVNULL
            )
        except FileNotFoundError:
            raise StarterLintError(f"kubeconform not found at {self.binary}; {INSTALL_HINT}") from None
        except PermissionError:
            raise StarterLintError(f"{self.binary} is not executable; {INSTALL_HINT}") from None
        except subprocess.TimeoutExpired:
            raise StarterLintError(
                f"{shown} did not finish within {self.timeout:g} s and was stopped; "
                "raise --kubeconform-timeout or use --validator builtin"
            ) from None
        except OSError as exc:
            raise StarterLintError(f"cannot run {self.binary}: {exc.strerror or exc}") from None
        stderr = done.stderr.decode("utf-8", "replace").strip()
        first_line = stderr.splitlines()[0][:200] if stderr else "no message"
        if done.returncode < 0:
            raise StarterLintError(f"{shown} crashed (signal {-done.returncode}): {first_line}")
        if done.returncode not in (0, 1):
            raise StarterLintError(f"{shown} failed with exit code {done.returncode}: {first_line}")
        try:
            report = json.loads(done.stdout.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            if done.returncode == 1:
                raise StarterLintError(f"{shown} exited 1 without its JSON report: {first_line}") from None
            raise StarterLintError(
                f"{shown} printed output that is not its JSON report (-output json); is it kubeconform?"
            ) from None
        if not isinstance(report, dict) or "resources" not in report:
            raise StarterLintError(
                f"{shown} printed JSON that is not its report (no resources); is it kubeconform?"
            )
        if done.returncode == 1 and not report.get("resources"):
            raise StarterLintError(f"{shown} exited 1 but reported no invalid resource: {first_line}")
        return report
