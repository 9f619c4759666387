"""The language server's speed (bench/README.md, "Language server"): how soon `starter-lint
server` answers `initialize`, and how soon a 500-line values file's diagnostics arrive after
`didOpen` and after a change (the change's 300 ms debounce reported apart).

    .venv/bin/python bench/server.py [--repeat 5] [--lines 500]

It speaks JSON-RPC over the server's stdin/stdout itself (no client library), as an editor does,
in a fresh process per repetition, and prints the medians. Targets (issue 14): initialize under
0.5 s, diagnostics under 300 ms for 500 lines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEBOUNCE_SECONDS = 0.3  # starter_lint.server.analysis.DEBOUNCE_SECONDS


def values_text(lines: int) -> str:
    """examples/values.broken.yaml (a production file with planted mistakes: diagnostics to
    send) grown to `lines` lines with more api.env settings."""
    base = (REPO / "examples" / "values.broken.yaml").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(base) if line == "  env:") + 1
    extra = [f'    EXTRA_SETTING_{n}: "value {n}"' for n in range(max(0, lines - len(base)))]
    return "\n".join(base[:at] + extra + base[at:]) + "\n"


class Server:
    def __init__(self, cwd: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "starter_lint", "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=cwd,
            env=env,
        )
        self.next_id = 0

    def send(self, method: str, params: object, request: bool = False) -> int | None:
        message: dict = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()
        return message.get("id")

    def receive(self) -> dict:
        assert self.process.stdout is not None
        length = 0
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def wait_for(self, test) -> dict:
        while True:
            message = self.receive()
            if test(message):
                return message

    def close(self) -> None:
        request = self.send("shutdown", None, request=True)
        self.wait_for(lambda m: m.get("id") == request)
        self.send("exit", None)
        self.process.wait(10)


def cpu_seconds(pid: int) -> float | None:
    """The process's user+system CPU time so far (Linux /proc; None elsewhere): the start-up's
    own cost, whatever else shares the machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def diagnostics_of(uri: str, version: int):
    return lambda m: (
        m.get("method") == "textDocument/publishDiagnostics"
        and m["params"]["uri"] == uri
        and m["params"].get("version") == version
    )


def measure_once(root: Path, uri: str, text: str) -> dict:
    started = time.perf_counter()
    server = Server(root)
    request = server.send(
        "initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {}}, request=True
    )
    server.wait_for(lambda m: m.get("id") == request)
    initialized = time.perf_counter()
    cpu = cpu_seconds(server.process.pid)
    server.send("initialized", {})
    server.send(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
    )
    found = server.wait_for(diagnostics_of(uri, 1))
    opened = time.perf_counter()
    edited = text.replace("EXTRA_SETTING_1:", "EXTRA_SETTING_one:")
    server.send(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": edited}]},
    )
    changing = time.perf_counter()
    after_change = server.wait_for(diagnostics_of(uri, 2))
    changed = time.perf_counter()
    answers = requests(server, uri, edited, after_change["params"]["diagnostics"])
    server.close()
    return {
        **answers,
        "initialize": initialized - started,
        "initialize_cpu": cpu,
        "open": opened - initialized,
        "change": changed - changing - DEBOUNCE_SECONDS,
        "diagnostics": len(found["params"]["diagnostics"]),
    }


def requests(server: Server, uri: str, text: str, diagnostics: list) -> dict:
    """How long hover, code actions and completion take to answer, on the line of the first
    diagnostic that has a quick fix (a fix is computed per request), and on the value of the env
    key whose allowed values the contract lists (SECRETS_PROVIDER)."""
    timings: dict = {}
    lines = text.splitlines()
    value_line = next(n for n, line in enumerate(lines) if "SECRETS_PROVIDER:" in line)
    value_at = {"line": value_line, "character": lines[value_line].index(":") + 2}
    fixable = [d for d in diagnostics if d.get("code") in ("SL104", "SL402", "SL603")] or diagnostics
    where = fixable[0]["range"]
    document = {"uri": uri}
    for method, params in (
        ("textDocument/hover", {"textDocument": document, "position": where["start"]}),
        (
            "textDocument/codeAction",
            {"textDocument": document, "range": where, "context": {"diagnostics": [fixable[0]]}},
        ),
        ("textDocument/completion", {"textDocument": document, "position": value_at}),
    ):
        started = time.perf_counter()
        request = server.send(method, params, request=True)
        answer = server.wait_for(lambda m, request=request: m.get("id") == request)
        timings[method.split("/")[1]] = time.perf_counter() - started
        timings[method.split("/")[1] + "_empty"] = not answer.get("result")
    return timings


def check_findings(root: Path, path: Path) -> int:
    """How many findings `starter-lint check FILE` reports on the saved file (the server's
    diagnostics on open must be as many)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "starter_lint", "check", "--format", "json", str(path)],
        cwd=root,
        env=env,
        capture_output=True,
        check=False,
    )
    report = json.loads(done.stdout)
    return sum(
        1 for target in report["targets"] for finding in target["findings"] if not finding.get("suppressed")
    )


def import_seconds(module: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--lines", type=int, default=500)
    args = parser.parse_args(argv)
    text = values_text(args.lines)
    with tempfile.TemporaryDirectory(prefix="starter-lint-bench-server-") as folder:
        root = Path(folder)
        (root / ".git").mkdir()
        path = root / "values.prod.yaml"
        path.write_text(text, encoding="utf-8")
        runs = [measure_once(root, path.as_uri(), text) for _ in range(args.repeat)]
        checked = check_findings(root, path)
    lines = text.count("\n")
    print(f"language server, {lines}-line values file, median of {args.repeat} fresh servers:")
    for key, label, target in (
        ("initialize", "start to initialize answered", 0.5),
        ("open", "didOpen to diagnostics (first analysis)", 0.3),
        ("change", "didChange to diagnostics, less the 0.3 s debounce", 0.3),
        ("hover", "hover answered", 0.3),
        ("codeAction", "code actions answered (fixes computed)", 0.3),
        ("completion", "completion answered", 0.3),
    ):
        median = statistics.median(run[key] for run in runs)
        print(
            f"  {label:<52} {median * 1000:7.0f} ms  (target {target * 1000:.0f} ms: {median / target:.2f}x)"
        )
    cpus = [run["initialize_cpu"] for run in runs if run["initialize_cpu"] is not None]
    if cpus:
        print(
            f"  {'CPU time of the server until initialize answered':<52} {statistics.median(cpus) * 1000:7.0f} ms"
        )
    print(
        f"  diagnostics published on open: {runs[0]['diagnostics']}"
        f" (`check` on the saved file: {checked} findings)"
    )
    empty = [key for key in ("hover", "codeAction", "completion") if runs[0][key + "_empty"]]
    if empty:
        print(f"  no answer from: {', '.join(empty)}")
    floor = statistics.median(import_seconds("pygls.lsp.server") for _ in range(args.repeat))
    print(f"  {'(floor: a process that only imports pygls, lsprotocol)':<52} {floor * 1000:7.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
