"""A stand-in for the kubeconform binary: replays real kubeconform v0.7.0 recordings.

The recordings (`tests/data/kubeconform/recordings/standalone-json-summary/`) were made on the
inputs in `tests/data/kubeconform/cases/`. starter-lint hands kubeconform its objects re-serialised as JSON
documents, so a case is matched by the *data* of its documents, and the recorded `filename` is
replaced by the file that was given. FAKE_KUBECONFORM_MODE selects a misbehaviour instead:
crash (SIGSEGV-like abort), hang, garbage, exit1 (exit 1 with text only), replay (default).
FAKE_KUBECONFORM_ARGS, when set, is a file that receives the command line as JSON.
"""

import json
import os
import signal
import sys
import time
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parents[1] / "data" / "kubeconform"
RECORDINGS = DATA / "recordings" / "standalone-json-summary"


def documents(text):
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError:
        return None  # a case kubeconform could not parse either: never handed over by starter-lint


def main(argv):
    if os.environ.get("FAKE_KUBECONFORM_ARGS"):
        Path(os.environ["FAKE_KUBECONFORM_ARGS"]).write_text(json.dumps(argv))
    mode = os.environ.get("FAKE_KUBECONFORM_MODE", "replay")
    if mode == "crash":
        sys.stderr.write("panic: runtime error: invalid memory address or nil pointer dereference\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGABRT)
    if mode == "hang":
        time.sleep(60)
    if mode == "garbage":
        print("<html>this is not kubeconform</html>")
        return 0
    if mode == "exit1":
        sys.stderr.write("flag provided but not defined: -frobnicate\n")
        return 1
    target = Path(argv[-1])
    files = sorted(target.rglob("*.yaml")) if target.is_dir() else [target]
    cases = {case: documents(case.read_text()) for case in sorted((DATA / "cases").glob("*.yaml"))}
    resources, summary = [], {"valid": 0, "invalid": 0, "errors": 0, "skipped": 0}
    for path in files:
        given = documents(path.read_text())
        match = next((case for case, docs in cases.items() if docs == given), None)
        if match is None:
            sys.stderr.write(f"fake kubeconform: no recording for the input {path}\n")
            return 3
        recorded = json.loads((RECORDINGS / (match.stem + ".json")).read_text())
        for resource in recorded["resources"]:
            resources.append(dict(resource, filename=str(path)))
        for key in summary:
            summary[key] += recorded["summary"][key]
    print(json.dumps({"resources": resources, "summary": summary}, indent=2))
    return 1 if summary["invalid"] or summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
