"""Hostile manifests found by the review of the fast loading paths: keys that YAML converts
(`yes:` is "true" in the object), integers too long to print, files of blank lines.

Each must give a finding or a clean run, never a secret in an excerpt or a traceback, on the fast
path and the general path alike.
"""

from __future__ import annotations

import pytest

from starter_lint import speedups
from starter_lint.manifests import stream
from starter_lint.options import Options
from starter_lint.pipeline import run

from .support import cli

ESCAPED = "hunter\\u0032-prod-db"  # as written in the file: a text match does not find it


@pytest.fixture(params=[True, False], ids=["fast", "general"])
def paths(request, monkeypatch):
    monkeypatch.setattr(speedups, "FAST_PATHS", request.param)
    return request.param


@pytest.mark.parametrize("key", ["yes", "0x1", "~", "1.50", "on"])
def test_a_secret_under_a_converted_key_is_hidden_in_the_excerpt(tmp_path, key):
    (tmp_path / "s.yaml").write_text(
        f'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData: {{{key}: "{ESCAPED}", b: 5}}\n',
        encoding="utf-8",
    )
    done = cli(
        "check", "--manifests", "s.yaml", "--validator", "builtin", "--format", "text", cwd=str(tmp_path)
    )
    assert done.returncode in (0, 1), done.stderr
    assert "stringData" in done.stdout  # the excerpt is shown (SL701 on `b: 5`) ...
    assert "hunter" not in done.stdout + done.stderr  # ... without the secret, in any spelling


@pytest.mark.parametrize(
    "where",
    [
        "data:\n  ? 0x{digits}\n  : v\n",  # a key
        "data:\n  a: 0x{digits}\n",  # a value
        "stringData:\n  a: 0x{digits}\n",  # a secret value
        "data:\n  a: {sexagesimal}\n",  # quadratic to read
    ],
)
def test_an_overlong_integer_is_a_finding_at_its_line(tmp_path, paths, where):
    body = where.format(digits="f" * 5000, sexagesimal=":".join(["5"] * 20000))
    kind = "Secret" if "stringData" in where else "ConfigMap"
    (tmp_path / "m.yaml").write_text(
        f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: m\n{body}", encoding="utf-8"
    )
    (tmp_path / "ok.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n", encoding="utf-8"
    )
    report = run(Options(manifests=["m.yaml", "ok.yaml"], cwd=str(tmp_path), validator="builtin"))
    syntax = [f for f in report.active if f.rule == "SL102"]
    assert [(f.location.path, f.location.line) for f in syntax] == [("m.yaml", 6)]
    assert "integer of more than" in syntax[0].message
    assert "fff" not in syntax[0].message


def test_line_starts_do_not_depend_on_the_order_they_are_asked_in():
    text = "a\n\nb\r\nc\x85d\n"
    starts = stream._LineStarts(text)
    forward = [starts.at(n) for n in range(8)]
    assert forward == [0, 2, 3, 6, 8, 10, 10, 10]
    assert [starts.at(n) for n in (5, 1, 3, 0)] == [forward[5], forward[1], forward[3], forward[0]]


def test_blank_lines_between_documents_keep_their_lines(tmp_path, paths):
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
        + "\n" * 5000
        + ("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {x: 1}\n")
    )
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    report = run(Options(manifests=["m.yaml"], cwd=str(tmp_path), validator="builtin"))
    assert [(f.rule, f.location.line) for f in report.active if f.rule == "SL701"] == [("SL701", 5009)]


def test_a_dangling_reference_lists_at_most_ten_rendered_names(tmp_path):
    """2,000 Ingresses routing to missing Services among 2,000 Services once wrote 32 MB."""
    services = "".join(
        f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{i:03}}}\n"
        "spec: {selector: {app: x}, ports: [{port: 80}]}\n"
        for i in range(30)
    )
    ingress = (
        "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec:\n  rules:\n"
        "  - host: a.example.org\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n"
        "        backend: {service: {name: missing, port: {number: 80}}}\n"
    )
    (tmp_path / "m.yaml").write_text(services + ingress, encoding="utf-8")
    report = run(Options(manifests=["m.yaml"], cwd=str(tmp_path), validator="builtin"))
    [dangling] = [f for f in report.active if "routes to Service missing" in f.message]
    assert "s000, s001, s002, s003, s004, s005, s006, s007, s008, s009 and 20 more" in dangling.message
    assert "s010" not in dangling.message


def test_a_secret_in_a_list_item_is_hidden_in_the_excerpt_of_its_line(tmp_path):
    """List items share the document's end: their secrets are looked up once per List."""
    items = "".join(
        f"- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: c{i}}}\n  data: {{a: x}}\n"
        for i in range(50)
    )
    secret = (
        f'- apiVersion: v1\n  kind: Secret\n  metadata: {{name: s}}\n  stringData: {{x: "{ESCAPED}", b: 5}}\n'
    )
    (tmp_path / "l.yaml").write_text(
        f"apiVersion: v1\nkind: List\nitems:\n{items}{secret}{items}", encoding="utf-8"
    )
    done = cli(
        "check", "--manifests", "l.yaml", "--validator", "builtin", "--format", "text", cwd=str(tmp_path)
    )
    assert "stringData" in done.stdout, done.stdout[-2000:]  # SL701 on `b: 5` shows the line ...
    assert "hunter" not in done.stdout + done.stderr  # ... without the secret


def test_a_key_of_thousands_of_digits_where_a_walk_meets_a_list(tmp_path):
    """The object keeps the second `data` (a map with a 5,000-digit key), the events' walk meets
    the first (a list): the key read as a list index was int() of 5,000 digits, which Python
    refuses (an internal error, exit 2, no report)."""
    from starter_lint import pointer

    key = "1" * 5000
    assert pointer.index(key, 10) is None
    assert pointer.path(f"/data/{key}") == ("data", key)
    (tmp_path / "d.yaml").write_text(
        f'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: [1]\ndata:\n  ? "{key}"\n  : 5\n',
        encoding="utf-8",
    )
    done = cli("check", "--validator", "builtin", "--manifests", "d.yaml", cwd=str(tmp_path))
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr and "d.yaml:6:1" in done.stdout, done.stdout
