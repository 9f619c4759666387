"""Output injection, as an attacker on a pull request would try it (issue 15, deliverable 2).

Hostile key, value and file names — a newline followed by a workflow command, ESC sequences, CR,
bidi overrides, Markdown links and HTML, bytes that are not UTF-8, lone surrogates — go through
every format and stderr. Nothing may start a line with `::` (GitHub Actions executes it) except
the `github` format's own annotations, nothing raw reaches the terminal, JSON and SARIF parse
(SARIF passes tests/sarif_rules.py), junit is well-formed XML, and SARIF messages stay plain text.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starter_lint.catalog import load_catalog
from starter_lint.findings import Finding, Location, Severity
from starter_lint.options import Options
from starter_lint.pipeline import Report, TargetResult
from starter_lint.report import FORMATS, render
from starter_lint.report.escape import json_text, line_start, sarif_message, terminal

from .support import REPO, run_in_process

HOSTILE = [
    "x\n::error file=a.yaml::INJECTED",
    "esc\x1b[31mRED\x1b]8;;http://evil\x07",
    "cr\r::warning::OVER",
    "rlo\u202eevil\u2066iso\u200f",
    "[x](javascript:alert(1))",
    "<img src=x onerror=alert(1)>&#x202e;",
    "c1\x9b31m\x85nel",
    "ls\u2028ps\u2029",
]
# what may not reach any output raw: controls but LF, bidi and line separators, noncharacters,
# lone surrogates (any of which makes the output invalid UTF-8)
RAW = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]"
)
ANNOTATION = re.compile(
    r"::(error|warning|notice)( (file|line|col|endLine|endColumn|title)=[^:,\r\n]*"
    r"(,(file|line|col|endLine|endColumn|title)=[^:,\r\n]*)*)?::"
)


def assert_inert(text: str, fmt: str, where: str) -> None:
    """No raw control, bidi or surrogate; no line that GitHub Actions would run as a command."""
    raw = RAW.search(text)
    assert raw is None, f"{where}: raw {raw.group()!r} in {text[max(0, raw.start() - 60) : raw.end() + 20]!r}"
    text.encode("utf-8")  # valid UTF-8 (a lone surrogate would raise)
    for line in text.split("\n"):
        if re.match(r"\s*::", line):
            assert fmt == "github" and ANNOTATION.match(line), f"{where}: workflow command {line!r}"


def sarif_markup(text: str) -> list:
    """The characters of a SARIF message that are not escaped with a backslash and that Markdown
    or SARIF's embedded links would interpret (our own links to related locations aside)."""
    text = re.sub(r"\[SL\d{3} [a-z0-9-]+\]\(\d+\)", "", text)
    found, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in "[]<>&":
            found.append(text[i])
        i += 1
    return found


def sarif_problems(checker, text: str, root: Path) -> list:
    path = root / "attack.sarif.json"
    path.write_text(text, encoding="utf-8")
    try:
        return checker.problems_in_file(path, root)
    finally:
        path.unlink()


def hostile_values() -> str:
    """Unknown keys (SL101 quotes them), a value the contract shows (SL100), and a raw bidi
    override in the file itself (the excerpt shows the line)."""
    lines = ["api:"] + [f"  {json.dumps(key)}: 1" for key in HOSTILE + ["sur\udcffrogate"]]
    lines += [
        "  \u202eraw-bidi-key: 1",
        "ingress:",
        f"  className: {json.dumps(HOSTILE[0])}",
        "externalSecrets:",
        "  secretStoreRef:",
        f"    kind: {json.dumps(HOSTILE[1] + HOSTILE[3])}",
    ]
    return "\n".join(lines) + "\n"


FILE_NAMES = [
    "f\n::error file=b.yaml::FILE.yaml",
    "::error file=c.yaml::LEAD.yaml",
    " ::notice::BLANK.yaml",
    "f\x1b[31m.yaml",
    "f\r::error::CR.yaml",
    "f\u202eLMX.yaml",
    "[f](javascript:x)<b>.yaml",
    os.fsdecode(b"f\xff\xfe.yaml"),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("attack")
    (root / ".git").mkdir()  # the repository root the SARIF paths are relative to
    for name in FILE_NAMES:
        (root / name).write_text(hostile_values(), encoding="utf-8", errors="surrogatepass")
    return root


def _check(workspace, fmt):
    return run_in_process(
        [
            "check",
            *FILE_NAMES,
            "--set",
            "api.k\udcff=1",
            "--set",
            HOSTILE[0].replace("\n", "\r") + "=1",
            "--format",
            fmt,
        ],
        str(workspace),
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_names_and_values_in_every_format(workspace, checker, fmt):
    code, out, err = _check(workspace, fmt)
    assert code == 1, err
    assert "internal error" not in err and "Traceback" not in err
    assert_inert(out, fmt, f"{fmt} stdout")
    assert_inert(err, fmt, f"{fmt} stderr")
    # neutralised, not dropped: the hostile texts are reported, escaped
    assert "INJECTED" in out and "LEAD.yaml" in out and "RED" in out
    if fmt == "json":
        document = json.loads(out)
        paths = {finding["path"] for target in document["targets"] for finding in target["findings"]}
        assert "f\\xff\\xfe.yaml" in paths  # the undecodable bytes, shown as every format shows them
        messages = [finding["message"] for target in document["targets"] for finding in target["findings"]]
        assert any(HOSTILE[0] in message for message in messages)  # JSON keeps the data exact
    elif fmt == "sarif":
        log = json.loads(out)
        texts = [result["message"]["text"] for run in log["runs"] for result in run["results"]]
        texts += [
            note["message"]["text"]
            for run in log["runs"]
            for inv in run["invocations"]
            for note in inv["toolExecutionNotifications"]
        ]
        assert texts
        for text in texts:
            assert not sarif_markup(text), text
        uris = {
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for run in log["runs"]
            for result in run["results"]
        }
        assert "f%FF%FE.yaml" in uris  # the file's own bytes, percent-encoded (RFC 3986)
        # the checker decodes URIs as UTF-8, so it cannot find the one file that is not UTF-8
        assert [p for p in sarif_problems(checker, out, workspace) if "f%FF%FE.yaml" not in p] == []
    elif fmt == "junit":
        root = ET.fromstring(out.encode("utf-8"))
        assert len(root.findall("testsuite")) == len(FILE_NAMES)
        for element in root.iter():
            for line in (element.text or "").split("\n"):
                assert not re.match(r"\s*::", line), line
    elif fmt == "github":
        annotations = [line for line in out.splitlines() if line.startswith("::")]
        assert annotations and all(ANNOTATION.match(line) for line in annotations)
        assert any("file=f\\x1b[31m.yaml," in line for line in annotations)


def test_text_excerpt_escapes_the_source_line_and_keeps_the_caret_under_the_key(workspace):
    code, out, _ = run_in_process(["check", FILE_NAMES[3], "--select", "SL101"], str(workspace))
    assert code == 1
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "raw-bidi-key" in line and line.lstrip().startswith("1"))
    excerpt, caret = lines[at], lines[at + 1]
    assert "\\u202eraw-bidi-key" in excerpt
    assert caret.index("^") == excerpt.index("\\u202e")
    assert caret.count("~") == len("\\u202eraw-bidi-key") - 1


@pytest.mark.parametrize(
    "args",
    [
        ["check", "missing\n::error file=x.yaml::GONE\x1b[31m\u202e.yaml"],
        ["check", "--format", "x\n::error::FORMAT"],
        ["check", "--select", "SL1\n::error::SELECT"],
        ["values", "-f", "gone\n::error::VALUES[\x1b.yaml"],
    ],
)
def test_error_lines_on_stderr_are_escaped(tmp_path, args):
    code, out, err = run_in_process(args, str(tmp_path))
    assert code == 2, (out, err)
    assert err.startswith("starter-lint: ") and err.count("\n") == 1, err
    assert "::" in err and "\\n::" in err  # shown escaped, not dropped
    assert_inert(err, "text", "stderr")


def _cli_bytes(args, cwd):
    """The real CLI with real (bytes) arguments and a real UTF-8 stdout."""
    env = dict(os.environ, PYTHONPATH=str(REPO), LC_ALL="C.UTF-8")
    env.pop("STARTER_LINT_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "starter_lint", *args], cwd=cwd, env=env, capture_output=True, timeout=120
    )


def test_a_file_name_that_is_not_utf8_is_checked_and_shown_escaped(tmp_path):
    name = b"values-\xff.yaml"
    (tmp_path / os.fsdecode(name)).write_text("api:\n  replicaz: 1\n", encoding="utf-8")
    for fmt in ("text", "json", "sarif"):
        done = _cli_bytes([b"check", name, b"--select", b"SL101", b"--format", fmt.encode()], tmp_path)
        assert done.returncode == 1, done.stderr
        out = done.stdout.decode("utf-8")  # valid UTF-8
        assert "values-\\xff.yaml" in out.replace("\\\\", "\\") and "replicaz" in out


@pytest.mark.parametrize(
    "args,shown",
    [
        ([b"check", b"values.yaml", b"--set", b"api.k\xff=1", b"--select", b"SL101"], "api.k\\xff"),
        ([b"check", b"surrogate.yaml", b"--select", b"SL101"], "api.k\\x80x"),
    ],
)
def test_keys_that_are_not_utf8_are_findings_not_crashes(tmp_path, args, shown):
    (tmp_path / "values.yaml").write_text("api:\n  replicas: 1\n")
    (tmp_path / "surrogate.yaml").write_text('api:\n  "k\\udc80x": 1\n')
    for fmt in (b"text", b"json", b"sarif", b"github", b"junit"):
        done = _cli_bytes(args + [b"--format", fmt], tmp_path)
        assert done.returncode == 1, done.stderr
        assert b"internal error" not in done.stderr
        out = done.stdout.decode("utf-8")
        assert shown in out.replace("\\\\", "\\"), out[:500]


def test_a_baseline_of_hostile_names_is_valid_utf8_json(workspace, tmp_path):
    code, _, err = run_in_process(
        ["baseline", FILE_NAMES[-1], "--output", str(tmp_path / "b.json")], str(workspace)
    )
    assert code == 0, err
    assert_inert(err, "text", "stderr")
    text = (tmp_path / "b.json").read_bytes().decode("utf-8")
    json.loads(text)
    code, _, err = run_in_process(
        ["check", FILE_NAMES[-1], "--baseline", str(tmp_path / "b.json")], str(workspace)
    )
    assert code == 0, err  # the baseline still accepts what it recorded


# ---------------------------------------------------------------------------------------------
# The neutralising functions themselves


def test_terminal_escapes_what_a_terminal_or_a_runner_would_obey():
    assert (
        terminal("a\nb\rc\td\x1b[0m\x9b\u202e\u2066\u061c\u200e")
        == "a\\nb\\rc\\td\\x1b[0m\\x9b\\u202e\\u2066\\u061c\\u200e"
    )
    assert terminal(os.fsdecode(b"f\xff")) == "f\\xff"
    assert terminal("plain ünïcode ✓ \\ [x](y) <b>") == "plain ünïcode ✓ \\ [x](y) <b>"


def test_terminal_lets_only_printable_text_pass_unsearched():
    """`terminal` answers a printable text without searching it: sound only while every character
    it escapes is one `str.isprintable` refuses. Checked over every code point, so a character
    added to the escaped set that Python calls printable fails here, not in a reviewer's terminal."""
    from starter_lint.report.escape import _UNSAFE

    unsafe = re.compile(_UNSAFE)
    printable_yet_escaped = [
        hex(code) for code in range(sys.maxunicode + 1) if unsafe.match(chr(code)) and chr(code).isprintable()
    ]
    assert printable_yet_escaped == []
    assert terminal("a\u00a0b") == "a\u00a0b"  # not printable to Python, yet nothing to escape: kept
    assert terminal(12) == "12"  # any object, as its text


def test_line_start_never_begins_a_workflow_command():
    assert line_start("::error::x.yaml") == "./::error::x.yaml"
    assert line_start("  ::x") == "./  ::x"
    assert line_start(" \t::x") == " \\t::x"  # the tab is escaped: no blank then `::` is left
    assert line_start("a::b") == "a::b"


def test_sarif_message_escapes_markup_as_sarif_says():
    assert sarif_message("[x](1) a\\b <i>&amp;") == "\\[x\\](1) a\\\\b \\<i\\>\\&amp;"
    assert sarif_message("k\x1b") == "k\\\\x1b"  # the escape is itself escaped: reads `k\x1b`


def test_json_text_keeps_data_and_drops_nothing():
    value = {"k": "rlo\u202e c1\x85 " + os.fsdecode(b"\xff")}
    text = json_text(json.dumps(value, ensure_ascii=False))
    text.encode("utf-8")
    assert json.loads(text) == {"k": "rlo\u202e c1\x85 \\xff"}
    assert not RAW.search(text)


# ---------------------------------------------------------------------------------------------
# Fuzz: random names and messages through every format

NASTY = st.sampled_from(
    [
        "\n",
        "\r",
        "\x1b",
        "\x00",
        "\x7f",
        "\x85",
        "\x9b",
        "\u202e",
        "\u2066",
        "\u2028",
        "\ufeff",
        "\uffff",
        "\ud800",
        "\udcff",
        "::",
        ":",
        ",",
        "%",
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "&",
        "\\",
        " ",
        "\t",
        "é",
        "✓",
        "/",
    ]
)
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=3)), max_size=12).map("".join)
NAME = st.lists(
    st.one_of(NASTY.filter(lambda c: c not in ("/", "\x00")), st.sampled_from(["a", "-", "."])),
    min_size=1,
    max_size=10,
).map("".join)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    file_name=NAME,
    message=TEXT,
    logical=TEXT,
    note=TEXT,
    template=TEXT,
    name=TEXT,
    suppressed=st.one_of(st.none(), TEXT.filter(bool)),
    severity=st.sampled_from(list(Severity)),
    line=st.integers(1, 3),
    col=st.integers(1, 40),
)
def test_fuzz_every_format(
    file_name, message, logical, note, template, name, suppressed, severity, line, col
):
    catalog = load_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        try:  # a real file where the name can be one, so SARIF and github place it
            (Path(tmp) / file_name).write_text(
                "a: 1\n" + message[:20].replace("\x00", "") + "\nb: 2\n",
                encoding="utf-8",
                errors="surrogatepass",
            )
        except (OSError, ValueError):
            pass
        finding = Finding(
            "SL101",
            name or "unknown-key",
            severity,
            message or "m",
            Location(file_name, line, col, line, col + 3),
            logical=logical,
            target=file_name,
            template=template or None,
            notes=(note,) if note else (),
            suppressed=suppressed,
            suppression_kind="external" if suppressed else None,
        )
        result = TargetResult(
            name=file_name,
            findings=[finding],
            files=[file_name],
            sources={file_name: "a: 1\n" + message + "\nb: 2\n"},
        )
        report = Report(targets=[result])
        for fmt in FORMATS:
            options = Options(cwd=tmp, format=fmt, color=False)
            old = os.getcwd()
            os.chdir(tmp)
            try:
                out = render(report, catalog, options)
            finally:
                os.chdir(old)
            assert_inert(out, fmt, fmt)
            if fmt in ("json", "sarif"):
                document = json.loads(out)
                if fmt == "sarif":
                    for run in document["runs"]:
                        for item in run["results"] + run["invocations"][0]["toolExecutionNotifications"]:
                            assert not sarif_markup(item["message"]["text"]), item["message"]["text"]
            elif fmt == "junit":
                ET.fromstring(out.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# Denial of service: 20,000 unknown keys (issue 15 measured 102 s for SARIF, quadratic)


def test_twenty_thousand_findings_in_one_file_render_in_linear_time(tmp_path):
    count = 20_000
    (tmp_path / ".git").mkdir()
    text = "api:\n" + "".join(f"  unknownkey{i}: {i}\n" for i in range(count))
    (tmp_path / "values.yaml").write_text(text)
    findings = [
        Finding(
            "SL101",
            "unknown-key",
            Severity.ERROR,
            f"api.unknownkey{i} is not a key",
            Location("values.yaml", i + 2, 3, i + 2, 15),
            logical=f"api.unknownkey{i}",
            target="values.yaml",
        )
        for i in range(count)
    ]
    report = Report(
        targets=[
            TargetResult(
                name="values.yaml", findings=findings, files=["values.yaml"], sources={"values.yaml": text}
            )
        ]
    )
    catalog = load_catalog()
    for fmt in ("text", "sarif"):
        started = time.process_time()  # CPU time: the machine running the tests may be busy
        out = render(report, catalog, Options(cwd=str(tmp_path), format=fmt))
        assert time.process_time() - started < 10, fmt
        assert out.count("unknownkey19999") >= 1
