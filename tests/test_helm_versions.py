"""`--helm-version 3|4`: a `-f` file read as each Helm major reads it, against Helm's SDK.

Helm 4's `-f` reading is `LoadValues` (k8s.io/apimachinery's YAMLReader cuts the bytes at `---`
lines, every document is merged with MergeMaps); the SDK exposes it as `Chart.load(dir).values`,
which reads the chart's values.yaml with the same function. Helm 3's `-f` reading is one
`yaml.Unmarshal` (sigs.k8s.io/yaml: the first document), the SDK's `values_from_yaml`. The SDK
takes text, not bytes, for `values_from_yaml`, so Helm 3's reading of UTF-16 bytes is checked
against go-yaml's rules as written (a BOM names the encoding; an odd byte count is refused).
"""

from __future__ import annotations

import codecs
import json
import random

import pytest

from starter_lint.options import Options
from starter_lint.pipeline import build_context
from starter_lint.targets import Target
from starter_lint.values.load import read_values_file
from starter_lint.yamlio import YamlLoadError, load_values

from .support import NEEDS_HELM_SDK, cli

try:
    import helm_python
    from helm_python import HelmError
except ImportError as exc:  # pragma: no cover - the SDK is a test dependency
    pytest.skip(f"{NEEDS_HELM_SDK} ({exc})", allow_module_level=True)

from .test_helm_parity import corpus, normalise  # after the skip: it needs the SDK too


@pytest.fixture(scope="module")
def chart_dir(tmp_path_factory):
    chart = tmp_path_factory.mktemp("chart")
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: majors\nversion: 0.1.0\n")
    return chart


def helm3(raw: bytes):
    try:
        return "ok", normalise(helm_python.values_from_yaml(raw.decode("utf-8")))
    except HelmError as exc:
        return "error", str(exc)


def helm4(chart, raw: bytes):
    (chart / "values.yaml").write_bytes(raw)
    try:
        with helm_python.Chart.load(str(chart)) as loaded:
            return "ok", normalise(loaded.values)
    except HelmError as exc:
        return "error", str(exc)


def ours(tmp_path, raw: bytes, major: str):
    path = tmp_path / "f.yaml"
    path.write_bytes(raw)
    loaded, error = read_values_file(str(path), tmp_path, helm_version=major)
    if error is not None:
        assert error.line >= 1 and error.col >= 1 and error.message
        return ("error", error.message), None
    assert loaded is not None
    return ("ok", normalise(loaded.data)), loaded


def same(helm, mine) -> bool:
    return helm[0] == mine[0] and (helm[0] == "error" or helm[1] == mine[1])


# --------------------------------------------------------------------------------------------
# The corpus: hand-written files, then random documents joined the ways a file holds several

HAND_WRITTEN = [
    "a: 1\n---\nb: 2\na: 3\n",
    "a: {b: 1, c: 2}\n---\na: {b: null}\n",
    "a: {b: 1}\n---\na: null\n",
    "a: [1, 2]\n---\na: [3]\n",
    "a: 1\n--- # next\nb: 2\n",
    "a: 1\n---   \nb: 2\n",
    "a: 1\r\n---\r\nb: 2\r\n",
    "a: 1\n---\n---\nb: 1\n",
    "---\n---\na: 1\n",
    "a: 1\n---\n",
    "a: 1\n---\n# only a comment\n",
    "a: 1\n---\nnull\n---\nb: 1\n",
    "a: 1\n---\n~\n",
    "a: 1\n---\n{}\n",
    "a: 1\n---\n- x\n",
    "a: 1\n---\n3\n",
    "a: 1\n---\n'text'\n",
    "a: 1\n--- b: 2\n",
    "--- a: 1\n",
    "a: 1\n---b\n",
    "---x\na: 1\n",
    "a: 1\n----\n",
    "a: 1\n--- |\n  text\n",
    "a: 1\n...\nb: 2\n",
    "a: 1\n---\n...\n",
    "a: &x 1\n---\nb: *x\n",
    "a: 1\n---\nb: [\n",
    "a: 1\n---\nb: {c: 1\n",
    "a: 1\n---\nb: \x07\n",
    "%TAG ! tag:example.com,2000:\n---\na: 1\n",
    "%YAML 1.1\n---\na: 1\n",
    "# c\n%YAML 1.1\n---\na: 1\n",
    "%YAML 1.2\n---\na: 1\n",
    "%FOO bar\n---\na: 1\n",
    "a: 1\n---\n%YAML 1.1\n---\nb: 1\n",
    'a: "\\/"\n',
    'a: "x\\/y"\n',
    'a: "\\\\/"\n',
    "a: '\\/'\n",
    "a: \\/\n",
    '"\\/": 1\n',
    'a: "x"\n---\nb: "\\/"\n',
    'a: "line\n  \\/ two"\n',
    "\ufeffa: 1\n",
    "\ufeffa: 1\n---\nb: 2\n",
    "a: 1\n---\n\ufeffb: 2\n",
    "password: s3cret\n---\npassword: other\n",
]


def random_files(count: int, seed: int) -> list[str]:
    r = random.Random(seed)
    parts = [t if t.endswith("\n") else t + "\n" for t in corpus(400, seed)]
    separators = ["---\n", "--- # next\n", "---   \n", "---\r\n", "---\n---\n"]
    extra = ["null\n", "~\n", "", "# c\n", "{}\n", "a: null\n", "k0: {x: null}\n", "- x\n", 'k1: "\\/"\n']
    out = []
    for _ in range(count):
        chosen = [
            r.choice(parts + extra[: 3 + r.randrange(len(extra) - 2)]) for _ in range(r.randrange(2, 5))
        ]
        text = r.choice(separators).join(chosen)
        if r.random() < 0.1:
            text = r.choice(["%YAML 1.1\n---\n", "--- x: 1\n", "---x\n"]) + text
        out.append(text)
    return out


RANDOM = random_files(150, 11)


@pytest.mark.parametrize("texts", [HAND_WRITTEN, RANDOM], ids=["hand-written", "random"])
def test_every_file_reads_as_each_helm_major_reads_it(texts, chart_dir, tmp_path):
    bad, compared = [], 0
    for text in texts:
        raw = text.encode("utf-8")
        for major, helm in (("3", helm3(raw)), ("4", helm4(chart_dir, raw))):
            mine, _ = ours(tmp_path, raw, major)
            compared += 1
            if not same(helm, mine):
                bad.append(f"helm {major} {text!r}\n    helm: {str(helm)[:200]}\n    ours: {str(mine)[:200]}")
    assert not bad, f"{len(bad)} of {compared} readings differ:\n" + "\n".join(bad[:10])


def test_the_random_files_are_broad():
    outcomes = {(helm3(t.encode())[0], helm_read4(t)) for t in RANDOM}
    assert len(outcomes) >= 3  # both majors read some, refuse some, and disagree on some


def helm_read4(text):
    try:
        load_values(text, merge_documents=True)
        return "ok"
    except YamlLoadError:
        return "error"


UTF16 = [
    ("utf-16-le, BOM, final line break", codecs.BOM_UTF16_LE + "a: 1\n".encode("utf-16-le")),
    ("utf-16-le, BOM, no final break", codecs.BOM_UTF16_LE + "a: 1".encode("utf-16-le")),
    ("utf-16-be, BOM, final line break", codecs.BOM_UTF16_BE + "a: 1\n".encode("utf-16-be")),
    ("utf-16-be, BOM, no final break", codecs.BOM_UTF16_BE + "a: 1".encode("utf-16-be")),
    ("utf-16-be, two documents", codecs.BOM_UTF16_BE + "a: 1\n---\nb: 2\n".encode("utf-16-be")),
    ("utf-16-le, odd byte count", codecs.BOM_UTF16_LE + "a: 1\n".encode("utf-16-le") + b"x"),
    ("utf-16-le, no BOM", "a: 1\n".encode("utf-16-le")),
    ("utf-16-be, no BOM", "a: 1\n".encode("utf-16-be")),
    ("utf-8 BOM", codecs.BOM_UTF8 + b"a: 1\n---\nb: 2\n"),
]


@pytest.mark.parametrize("raw", [raw for _, raw in UTF16], ids=[name for name, _ in UTF16])
def test_utf16_and_byte_order_marks_read_as_helm_4_reads_them(raw, chart_dir, tmp_path):
    helm = helm4(chart_dir, raw)
    mine, _ = ours(tmp_path, raw, "4")
    assert same(helm, mine), (helm, mine)


def test_helm_3_reads_utf16_with_a_byte_order_mark_as_go_yaml_does(tmp_path):
    # go-yaml (sigs.k8s.io/yaml's Unmarshal, Helm 3's -f) takes the encoding from the BOM and
    # reads the first document; the SDK's values_from_yaml cannot be given bytes to compare
    for raw, expected in [
        (codecs.BOM_UTF16_LE + "a: 1\n".encode("utf-16-le"), {"a": 1.0}),
        (codecs.BOM_UTF16_BE + "a: 1\n---\nb: 2\n".encode("utf-16-be"), {"a": 1.0}),
    ]:
        assert ours(tmp_path, raw, "3")[0] == ("ok", expected)
    assert ours(tmp_path, codecs.BOM_UTF16_LE + b"a\x00:\x00 \x001", "3")[0][0] == "error"  # odd count


# --------------------------------------------------------------------------------------------
# Positions, the note, and every consumer of a file's values


def test_refusals_point_at_their_line(tmp_path):
    for text, major, line in [
        ("a: 1\n--- b: 2\n", "4", 2),
        ("a: 1\nb: 2\n---\n%YAML 1.1\n---\nc: 1\n", "4", 4),
        ("a: 1\nb:\n  c: \"x\\/y\"\n", "3", 3),
        ("a: 1\n---\nb: \"\\/\"\n", "4", 3),
    ]:
        (tmp_path / "f.yaml").write_text(text)
        loaded, error = read_values_file(str(tmp_path / "f.yaml"), tmp_path, helm_version=major)
        assert loaded is None and error is not None and error.line == line, (text, error and error.line)


def test_a_later_documents_value_has_its_own_line(tmp_path):
    (tmp_path / "f.yaml").write_text("a: 1\nb: {c: 1}\n---\nb: {c: 2}\n")
    loaded, _ = read_values_file(str(tmp_path / "f.yaml"), tmp_path, helm_version="4")
    assert loaded is not None and loaded.data == {"a": 1, "b": {"c": 2}}
    assert loaded.spans[("b", "c")].line == 4 and loaded.spans[("a",)].line == 1


def note_of(tmp_path, text, major):
    (tmp_path / "f.yaml").write_text(text)
    done = cli(
        "check", "--helm-version", major, "--select", "SL102", "--format", "json", "f.yaml", cwd=tmp_path
    )
    assert done.returncode in (0, 1), done.stderr
    findings = [f for target in json.loads(done.stdout)["targets"] for f in target["findings"]]
    return [f for f in findings if f["severity"] == "note"], done.stdout


def test_the_note_names_the_keys_that_differ_and_never_their_values(tmp_path):
    text = (
        "api:\n  secrets: {DB_PASSWORD: hunter2-first}\n  replicas: 2\n---\n"
        "api:\n  secrets: {DB_PASSWORD: hunter2-second}\nweb: {x: 1}\n"
    )
    for major in ("3", "4"):
        notes, output = note_of(tmp_path, text, major)
        assert len(notes) == 1 and notes[0]["line"] == 4, output
        message = notes[0]["message"]
        assert "api.secrets.DB_PASSWORD" in message and "web" in message and "api.replicas" not in message
        assert f"--helm-version {major}" in message
        assert "hunter2" not in output


def test_the_note_says_when_both_majors_agree_or_the_other_refuses(tmp_path):
    notes, _ = note_of(tmp_path, "a: {b: 1}\n---\na: {b: 1}\n", "4")
    assert len(notes) == 1 and "both read the same values" in notes[0]["message"]
    notes, _ = note_of(tmp_path, "a: 1\n--- b: 2\n", "3")
    assert len(notes) == 1 and "Helm 4 refuses" in notes[0]["message"] and notes[0]["line"] == 2
    assert note_of(tmp_path, "a: 1\n---\n", "4")[0] == []  # nothing after the separator
    assert note_of(tmp_path, "a: 1\n", "3")[0] == []


def test_every_consumer_sees_the_chosen_majors_values(tmp_path):
    (tmp_path / "f.yaml").write_text("api: {replicas: 1}\n---\napi: {replicas: 3}\n")
    for major, replicas in (("3", 1), ("4", 3)):
        target = Target("t", [str(tmp_path / "f.yaml")])
        ctx, problems = build_context(target, Options(helm_version=major, cwd=str(tmp_path)))
        assert ctx.get(("api", "replicas")) == replicas and not problems
        done = cli("values", "--helm-version", major, "-f", "f.yaml", "--format", "json", cwd=tmp_path)
        assert json.loads(done.stdout)["api"]["replicas"] == replicas, done.stderr


def test_fix_edits_the_document_whose_value_the_chosen_major_reads(tmp_path):
    text = "api:\n  env:\n    DEBUG: \"x\"\n---\napi:\n  env:\n    DEBUG: yes\n"
    (tmp_path / "f.yaml").write_text(text)
    done = cli("fix", "--helm-version", "3", "f.yaml", cwd=tmp_path)
    assert (tmp_path / "f.yaml").read_text() == text, done.stdout + done.stderr
    done = cli("fix", "--helm-version", "4", "f.yaml", cwd=tmp_path)
    after = (tmp_path / "f.yaml").read_text()
    assert after == text.replace("DEBUG: yes", 'DEBUG: "true"'), done.stdout + done.stderr


def test_a_secret_only_the_other_major_reads_never_reaches_the_output(tmp_path):
    text = "api:\n  image: x\n---\napi:\n  secrets:\n    TOKEN: 0755123456\n  image: y\n"
    for major in ("3", "4"):
        (tmp_path / "f.yaml").write_text(text)
        done = cli("check", "--helm-version", major, "f.yaml", cwd=tmp_path)
        assert "0755123456" not in done.stdout + done.stderr


def test_an_unknown_helm_version_is_one_error_line(tmp_path):
    (tmp_path / "f.yaml").write_text("a: 1\n")
    done = cli("check", "--helm-version", "5", "f.yaml", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines()[-1].endswith("'5' is not one of '4', '3'.")
    (tmp_path / ".starter-lint.yaml").write_text("helm-version: 5\n")
    done = cli("check", "f.yaml", cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "helm-version" in done.stderr and "4, 3" in done.stderr
    for value in ("3", "'3'"):
        (tmp_path / ".starter-lint.yaml").write_text(f"helm-version: {value}\n")
        (tmp_path / "f.yaml").write_text("a: 1\n---\na: 2\n")
        done = cli("values", "-f", "f.yaml", "--format", "json", cwd=tmp_path)
        assert json.loads(done.stdout)["a"] == 1, done.stderr


def escaped_scalars(count: int, seed: int) -> list[str]:
    """Double-quoted scalars made of random escapes (`\\/` among them), plain text and line breaks."""
    r = random.Random(seed)
    pieces = ["\\/", "\\\\/", "\\\\", "\\n", '\\"', "\\t", "\\x41", "\\u00e9", "/", "a", " ", "\\ ", "\\q"]
    out = []
    for _ in range(count):
        body = "".join(r.choice(pieces) for _ in range(r.randrange(1, 6)))
        where = r.choice(
            ["k: \"{}\"\n", "\"{}\": 1\n", "k:\n  - \"{}\"\n", "k: \"x\n  {}\"\n", "k: {{a: \"{}\"}}\n"]
        )
        out.append(where.format(body))
    return out


def test_escapes_in_double_quoted_scalars_read_as_helm_reads_them(chart_dir, tmp_path):
    texts = escaped_scalars(200, 3)
    bad = [t for t in texts if not same(helm3(t.encode()), ours(tmp_path, t.encode(), "3")[0])]
    assert not bad, f"{len(bad)} of {len(texts)} differ: {bad[:5]!r}"
    assert sum(helm3(t.encode())[0] == "error" for t in texts) > 20  # `\/` refused often enough
