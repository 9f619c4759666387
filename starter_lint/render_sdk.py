"""The child process that renders a chart with helm-python-sdk (render.py starts it; never imported).

Helm's Go SDK runs the chart's templates, which a pull request controls: in a child process it
gets the memory limit and the wall-time limit render.py gives every renderer, and a template
that loops or allocates without end stops the child, not the run. Started as
`python -I -S render_sdk.py`: nothing from the working directory or the environment is on its
import path until the request's own `sys_path` (the parent's, without the working directory).

Request on stdin, one JSON object: {sys_path, chart, values, name, namespace}.
Reply on stdout: one JSON line {"status": ok | error | broken | missing, "message": …}, and
after it, for ok, the rendered templates as a JSON object (template path -> text). Helm's Go
log lines go to stderr, which render.py reads only when the child dies without a reply.
"""

import json
import sys


def _reply(status: str, message: str = "", rendered: dict[str, str] | None = None) -> None:
    out = sys.stdout
    out.write(json.dumps({"status": status, "message": message}) + "\n")
    if rendered is not None:
        out.write(json.dumps(rendered))
    out.flush()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main() -> None:
    request = json.load(sys.stdin)
    sys.path[:] = request["sys_path"]
    try:
        import helm_python  # deferred: optional (the helm extra)
    except ImportError as exc:
        _reply("missing" if exc.name == "helm_python" else "broken", _one_line(exc))
        return
    except Exception as exc:  # an installed SDK whose native library does not load
        _reply("broken", _one_line(exc))
        return
    try:
        chart = helm_python.Chart.load(request["chart"])
        try:
            rendered = chart.render(request["values"], name=request["name"], namespace=request["namespace"])
        finally:
            chart.close()
    except helm_python.HelmError as exc:
        _reply("error", _one_line(exc))
        return
    except OSError as exc:  # the native library is loaded lazily, on the first call
        _reply("broken", _one_line(exc))
        return
    _reply("ok", rendered=rendered)


if __name__ == "__main__":
    main()
