"""`starter-lint fix`: fixes applied with comments, order and quoting kept; idempotent; a safe fix
never changes what Helm renders, an unsafe one needs --unsafe-fixes."""

from __future__ import annotations

import itertools
import os
import stat

import pytest

from starter_lint.catalog import load_catalog
from starter_lint.findings import Finding, Fix, Location, Severity
from starter_lint.fix import FileFix, apply_fixes, choose_fixes, notices, secret_lines, unsafe_reason
from starter_lint.options import Options
from starter_lint.pipeline import run
from starter_lint.yamlio import load_values

from .support import cli

COMMENTED = """\
# Production values (owned by the platform team)
api:
  env:
    DEBUG: yes       # turn off after the launch
    APP_VERSION: 1.10
    on: 'x'
    MODE: 0644
  hosts:
      - a.example.com   # primary
      - 'b.example.com'
worker:
  enabled: true
"""


def finding(rule, path, value, key="", safe=True):
    return Finding(
        rule,
        "x",
        Severity.WARNING,
        "m",
        Location("values.yaml", 1),
        logical="",
        fix=Fix("fix", safe=safe, path=tuple(path), value=value),
        key=key,
    )


def rendered(data):
    """What Helm renders for every scalar of a values tree (keys as Helm reads them)."""
    from starter_lint.checks.contract import helm_string

    if isinstance(data, dict):
        return {key: rendered(value) for key, value in data.items()}
    if isinstance(data, list):
        return [rendered(value) for value in data]
    return data if isinstance(data, str) or data is None else helm_string(data)


def test_fix_keeps_comments_order_and_what_helm_renders(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(COMMENTED)
    values.chmod(0o640)
    done = cli("fix", "values.yaml", "--select", "SL104", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = values.read_text()
    assert "    DEBUG: true      # turn off after the launch\n" in text
    for line in COMMENTED.splitlines():
        if "#" in line and "DEBUG" not in line:
            assert line in text  # comments, quoting and indentation of the rest are kept
    assert rendered(load_values(text).data) == rendered(load_values(COMMENTED).data)
    assert '"1.10"' not in text and '"0644"' not in text and '"on"' not in text  # unsafe: held back
    assert stat.S_IMODE(values.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["values.yaml"]  # no temporary files left
    again = cli("fix", "values.yaml", "--select", "SL104", cwd=tmp_path)
    assert again.returncode == 0 and "fixed" not in again.stderr and values.read_text() == text


def test_diff_prints_and_does_not_write(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(COMMENTED)
    done = cli("fix", "values.yaml", "--select", "SL104", "--diff", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("--- a/values.yaml\n+++ b/values.yaml\n@@ ")
    assert "\n-    DEBUG: yes       # turn off after the launch\n" in done.stdout
    assert "\n+    DEBUG: true      # turn off after the launch\n" in done.stdout
    assert values.read_text() == COMMENTED
    cli("fix", "values.yaml", "--select", "SL104", cwd=tmp_path)
    done = cli("fix", "values.yaml", "--select", "SL104", "--diff", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == ""


# ---------------------------------------------------------------------------------------------
# Safe and unsafe

ORIGINAL = load_values(
    "api:\n  env:\n    VERSION: 1.10\n    MODE: 017\n    DEBUG: yes\n    NUM: 5\n"
    "    on: x\n    TAG: v1\n  secrets:\n    PIN: 007734\n"
).data


@pytest.mark.parametrize(
    "path,value,key",
    [
        (("api", "env", "DEBUG"), True, ""),  # yes -> true: what Helm reads, made explicit
        (("api", "env", "DEBUG"), "true", ""),  # quoted as Helm renders it
        (("api", "env", "MODE"), 15, ""),  # 017 -> 15
        (("api", "env", "MODE"), "15", ""),
        (("api", "env", "NUM"), "5", ""),
        (("api", "env", "VERSION"), "1.1", ""),  # what Helm renders for 1.10
        (("api", "env", "true"), "true", "ambiguous-key"),  # on: -> "true":
        (("api", "env", "TAG"), "v2", ""),  # a string for a string: the rule's own claim
        (("worker", "env", "NEW"), "true", ""),  # a new setting: the rule's own claim
    ],
)
def test_a_safe_fix_keeps_what_helm_renders(path, value, key):
    assert unsafe_reason(finding("SL104", path, value, key), ORIGINAL) is None


@pytest.mark.parametrize(
    "path,value,key,reason",
    [
        (("api", "env", "VERSION"), "1.10", "", 'as "1.1"; the fix would make it "1.10"'),
        (("api", "env", "MODE"), "017", "", 'as "15"; the fix would make it "017"'),
        (("api", "env", "DEBUG"), "yes", "", 'as "true"; the fix would make it "yes"'),
        (("api", "env", "NUM"), 6, "", 'as "5"; the fix would make it "6"'),
        (("api", "env", "DEBUG"), 1, "", 'as "true"; the fix would make it "1"'),
        (("api", "env", "true"), "on", "ambiguous-key", 'the key as "true"; the fix would make it "on"'),
        (("api", "secrets", "PIN"), "007734", "", "Helm renders api.secrets.PIN differently"),
    ],
)
def test_a_fix_that_changes_what_helm_renders_is_unsafe(path, value, key, reason):
    got = unsafe_reason(finding("SL104", path, value, key), ORIGINAL)
    assert got is not None and reason in got
    if path[1] == "secrets":
        assert "7734" not in got  # never the secret, nor the number it reads as


def test_unsafe_fixes_are_held_back_and_reported_unless_asked_for():
    quoting = finding("SL104", ("api", "env", "VERSION"), "1.10")  # "safe" by its rule
    marked = finding("SL603", ("api", "env", "MODE"), "strict", safe=False)  # unsafe by its rule
    good = finding("SL104", ("api", "env", "DEBUG"), True)
    applied, held = choose_fixes([quoting, marked, good], ORIGINAL)
    assert applied == [good]
    assert [f for f, _ in held] == [quoting, marked]
    assert held[1][1] == "the rule marks this fix unsafe"
    applied, held = choose_fixes([quoting, marked, good], ORIGINAL, unsafe=True)
    assert applied == [quoting, marked, good] and held == []


def test_per_path_safe_beats_unsafe_then_the_domain_rule_wins_in_any_order():
    generic = finding("SL104", ("api", "env", "DEBUG"), True)
    domain = finding("SL604", ("api", "env", "DEBUG"), "true")
    other = finding("SL104", ("worker", "enabled"), True)
    for order in ([generic, domain, other], [other, domain, generic]):
        applied, held = choose_fixes(order, ORIGINAL)
        assert (
            sorted(f.rule for f in applied) == ["SL104", "SL604"] and domain in applied and other in applied
        )
        assert held == []
    assert (
        apply_fixes("api:\n  env:\n    DEBUG: yes\n", choose_fixes([generic, domain])[0])
        == 'api:\n  env:\n    DEBUG: "true"\n'
    )
    # SL604's unsafe "1.10" loses to SL104's safe 1.1, with or without --unsafe-fixes
    safe_generic = finding("SL104", ("api", "env", "VERSION"), "1.1")
    unsafe_domain = finding("SL604", ("api", "env", "VERSION"), "1.10", safe=False)
    for unsafe in (False, True):
        assert choose_fixes([unsafe_domain, safe_generic], ORIGINAL, unsafe)[0] == [safe_generic]


def test_unsafe_fixes_flag_end_to_end(tmp_path):
    values = tmp_path / "values.yaml"
    text = "api:\n  env:\n    APP_VERSION: 1.10   # the client\n"
    values.write_text(text)
    done = cli("fix", "values.yaml", "--select", "SL604", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert values.read_text() == text
    assert "1 unsafe fix not applied" in done.stderr and "--unsafe-fixes" in done.stderr
    done = cli("fix", "values.yaml", "--select", "SL604", "--unsafe-fixes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert values.read_text() == 'api:\n  env:\n    APP_VERSION: "1.10" # the client\n'


def test_a_rewrite_that_changes_other_values_is_held_back():
    # ruamel shares an anchored mapping with its alias: setting a.k would change b.k too
    text = "a: &x\n  k: 1\n  m: yes\nb: *x\n"
    plan = FileFix("values.yaml", "values.yaml", [finding("SL104", ("a", "k"), 2)], before=text)
    from starter_lint.fix.verify import apply_checked

    apply_checked(plan, load_values(text))
    assert plan.findings == [] and plan.after == text
    assert "change other values Helm loads" in plan.held[0][1]
    assert (
        notices([plan], unsafe=True)
        == notices([plan])
        == [
            "values.yaml:1: SL104 fix not applied: rewriting the file for it would change other values Helm loads"
        ]
    )


def test_every_safe_fix_of_the_catalog_keeps_what_helm_renders_and_converges(tmp_path):
    from starter_lint.fix import plan_fixes

    for rule in [rule for rule in load_catalog().values() if rule.fix in ("safe", "mixed")]:
        for example in rule.failing:
            if example.values is None or example.chart or example.manifests or example.files or example.set:
                continue
            values = tmp_path / "values.yaml"
            values.write_text(example.values)
            options = Options(
                cwd=str(tmp_path),
                values_files=[str(values)],
                select=[rule.id],
                **{k.replace("-", "_"): v for k, v in (example.options or {}).items()},
            )
            old = os.getcwd()
            os.chdir(tmp_path)
            try:
                plans = plan_fixes(run(options), options)
            finally:
                os.chdir(old)
            before = load_values(example.values).data
            for plan in plans:
                for applied in plan.findings:
                    assert unsafe_reason(applied, before) is None, (rule.id, example.title)
            done = cli("fix", "values.yaml", "--select", rule.id, cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            text = values.read_text()
            again = cli("fix", "values.yaml", "--select", rule.id, cwd=tmp_path)
            assert again.returncode == 0 and "fixed" not in again.stderr, (rule.id, example.title, text)
            assert values.read_text() == text


# ---------------------------------------------------------------------------------------------
# Editing: indentation, creation, style


def test_missing_paths_are_created_with_the_files_indentation():
    text = "# worker\nworker:\n    enabled: true   # dedicated\n    image: app:1.2\nlist:\n    - a\n"
    fixes = [
        finding("SL402", ("worker", "env", "ENABLE_BILLING_RETRY_WORKER"), "true"),
        finding("SL402", ("worker", "env", "BILLING_RETRY_DEPLOYMENT_MODE"), "dedicated"),
    ]
    out = apply_fixes(text, fixes)
    assert out == (
        "# worker\nworker:\n    enabled: true   # dedicated\n    image: app:1.2\n"
        "    env:\n        ENABLE_BILLING_RETRY_WORKER: \"true\"\n"
        "        BILLING_RETRY_DEPLOYMENT_MODE: \"dedicated\"\nlist:\n    - a\n"
    )
    assert apply_fixes(out, fixes) == out


def test_creation_under_null_and_flow_mappings():
    out = apply_fixes(
        "worker:\n  enabled: true\n  env:\n", [finding("SL402", ("worker", "env", "A"), "true")]
    )
    assert load_values(out).data["worker"]["env"] == {"A": "true"}
    out = apply_fixes("worker:\n  env: {}\n", [finding("SL402", ("worker", "env", "A"), "true")])
    assert load_values(out).data["worker"]["env"] == {"A": "true"}


def test_non_string_env_values_are_quoted():
    text = "api:\n  env:\n    PORT: 8080  # the API port\n    RATIO: 0.5\n    FLAG: true\n"
    fixes = [
        finding("SL604", ("api", "env", key), value)
        for key, value in (("PORT", "8080"), ("RATIO", "0.5"), ("FLAG", "true"))
    ]
    out = apply_fixes(text, fixes)
    # the comment stays; ruamel moves it one column when the value outgrows its old place
    assert out == 'api:\n  env:\n    PORT: "8080" # the API port\n    RATIO: "0.5"\n    FLAG: "true"\n'


def test_a_string_replacing_a_string_keeps_its_style():
    text = "hosts:\n  - App.Acme.io   # main\n  - 'B.Acme.io'\n  - \"C.Acme.io\"\n  - D.Acme.io\n"
    fixes = [
        finding("SL306", ("hosts", i), name)
        for i, name in enumerate(["app.acme.io", "b.acme.io", "c.acme.io", "yes"])
    ]
    assert apply_fixes(text, fixes) == (
        "hosts:\n  - app.acme.io   # main\n  - 'b.acme.io'\n  - \"c.acme.io\"\n  - \"yes\"\n"
    )  # plain `yes` is a bool


def test_sl306_keeps_a_plain_host_plain_end_to_end(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("ingress:\n  hosts:\n    - host: App.Acme.io   # main\n")
    done = cli("fix", "values.yaml", "--select", "SL306", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert values.read_text() == "ingress:\n  hosts:\n    - host: app.acme.io   # main\n"


def test_indented_and_unindented_sequences_are_kept():
    for text in ("a:\n  - x: 1\n    y: yes\n", "a:\n- x: 1\n  y: yes\n", "a:\n    - x: 1\n      y: yes\n"):
        out = apply_fixes(text, [finding("SL104", ("a", 0, "y"), True)])
        assert out == text.replace("yes", "true")


def test_a_fix_that_does_not_apply_changes_nothing():
    text = "api:\n  env: [1, 2]\n"
    assert apply_fixes(text, [finding("SL604", ("api", "env", "PORT"), "1")]) == text


def test_fix_end_to_end_with_overlapping_rules(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("api:\n  env:\n    DEBUG: yes   # verbose logs\n")
    done = cli("fix", "values.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert 'DEBUG: "true" # verbose logs' in values.read_text()
    text = values.read_text()
    assert cli("fix", "values.yaml", "--diff", cwd=tmp_path).returncode == 0 and values.read_text() == text


# ---------------------------------------------------------------------------------------------
# Files: symlinks, line endings, BOM, mode, duplicate keys


def test_a_symlink_is_written_through_and_kept(tmp_path):
    real = tmp_path / "real.yaml"
    real.write_text("api:\n  env:\n    DEBUG: yes\n")
    link = tmp_path / "link.yaml"
    link.symlink_to("real.yaml")
    done = cli("fix", "link.yaml", "--select", "SL104", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and os.readlink(link) == "real.yaml"
    assert real.read_text() == "api:\n  env:\n    DEBUG: true\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.yaml", "real.yaml"]


def test_crlf_bom_and_mode_are_kept(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_bytes(b"\xef\xbb\xbfapi:\r\n  env:\r\n    DEBUG: yes\r\n    NUM: 5 # c\r\n")
    values.chmod(0o600)
    done = cli("fix", "values.yaml", "--select", "SL604", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert values.read_bytes() == b'\xef\xbb\xbfapi:\r\n  env:\r\n    DEBUG: "true"\r\n    NUM: "5" # c\r\n'
    assert stat.S_IMODE(values.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "text,newline",
    [
        ("a:\r\n  b: yes # c\r\n  d: 1\r\n", "\r\n"),
        ("a:\r\n  b: yes # c\r\n  d: 1\n  e: 2\r\n", "\r\n"),  # mixed: the majority, everywhere
        ("a:\n  b: yes # c\n  d: 1\r\n  e: 2\n", "\n"),
    ],
)
def test_line_endings_come_out_consistent(text, newline):
    out = apply_fixes(text, [finding("SL104", ("a", "b"), True)])
    assert out.replace("\r\n", "").count("\r") == 0
    assert out.count("\n") == text.count("\n") and out.count("\r\n") == (
        out.count("\n") if newline == "\r\n" else 0
    )
    assert out.replace("\r\n", "\n") == "a:\n  b: true # c\n  d: 1\n" + ("  e: 2\n" if "e:" in text else "")


def test_duplicate_keys_give_one_clear_error_and_nothing_is_written(tmp_path):
    values = tmp_path / "values.yaml"
    text = "api:\n  env:\n    DEBUG: yes\n    DEBUG: no\n"
    values.write_text(text)
    done = cli("fix", "values.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "starter-lint: error: values.yaml:4: cannot fix a file with a duplicate key (api.env.DEBUG, SL103): "
        "keep one of them, then run fix again; nothing written"
    ]
    assert values.read_text() == text


# ---------------------------------------------------------------------------------------------
# Secrets in the diff

SECRET_VALUES = """\
api:
  secrets:
    PIN: 007734
    KEY: |
      line-one-secret
      line-two-secret
  env:
    DB_PASSWORD: 10
    DEBUG: yes
    URL: postgres://u:hunter2@db/app
    PORT: 007734
"""


def test_secret_lines_are_found_by_position():
    hidden = secret_lines(load_values(SECRET_VALUES))
    # a block scalar's lines whole, only a URL's password; not line 11, which holds the same text
    assert hidden == {3: 10, 4: 10, 5: 1, 6: 1, 8: 18, 10: 23}


def test_the_diff_never_shows_a_secret_value(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(SECRET_VALUES)
    # the unsafe fix changes PIN's own line: a patch that applies would have to show it
    done = cli("fix", "values.yaml", "--diff", "--unsafe-fixes", "--select", "SL104,SL604", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    for secret in ("007734", "7734", "line-one", "line-two", "hunter2", "DB_PASSWORD: 10", '"10"'):
        assert secret not in done.stdout + done.stderr
    assert done.stdout == ""
    assert "values.yaml: no --diff: the fix changes line 3, which holds a secret value" in done.stderr
    assert values.read_text() == SECRET_VALUES


def test_the_diff_stops_its_context_before_a_secret_line_found_by_position():
    plan = FileFix(
        "v.yaml",
        "v.yaml",
        before="PIN: 1234\nx: 0\na: 1\nPORT: 1234\n",
        after="PIN: 1234\nx: 0\na: 2\nPORT: 1234\n",
        hidden_before={1: 6},
        hidden_after={1: 6},
    )
    assert plan.diff() == "--- a/v.yaml\n+++ b/v.yaml\n@@ -2,3 +2,3 @@\n x: 0\n-a: 1\n+a: 2\n PORT: 1234\n"


def test_the_diff_keeps_ordinary_text_that_equals_a_short_secret_and_hides_an_aliased_one(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(
        'common: &pw hunter2secret\napi:\n  env:\n    DEBUG: yes\n    LOG: info\n    TZ: utc\n'
        '    JWT_SECRET: "api"\n  secrets:\n    DB: *pw\n'
    )
    done = cli("fix", "values.yaml", "--diff", "--select", "SL604", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "\n api:\n" in done.stdout  # `api` is also a (short) secret's text: kept here
    assert (
        "hunter2secret" not in done.stdout and "common" not in done.stdout and "JWT_SECRET" not in done.stdout
    )


def test_a_utf16_file_is_refused_in_one_line(tmp_path):
    values = tmp_path / "values.yaml"
    raw = "api:\n  env:\n    DEBUG: yes\n".encode("utf-16")
    values.write_bytes(raw)
    done = cli("fix", "--helm-version", "3", "values.yaml", cwd=tmp_path)  # Helm 4 refuses this one
    assert done.returncode == 2
    assert (
        done.stderr
        == "starter-lint: error: values.yaml: cannot fix a UTF-16 file; convert it to UTF-8 first\n"
    )
    assert values.read_bytes() == raw


# ---------------------------------------------------------------------------------------------
# fix --diff applies with git and patch; counts say what was done (issue 10 item 6)

FIXED_LINES = ("    DEBUG: yes\n", "    WORKERS: 4\n")
SECRET_LINE = "    DATABASE_URL: postgres://app:hunter2secretpw@db:5432/app\n"
PLAIN_LINES = ("    LOG_LEVEL: info\n", "    REGION: eu-west-1\n", "    ZONE: a\n", "    TIMEOUT: \"30\"\n")


def _layouts():
    """Env blocks with a secret line at every distance (0..4 lines) before and after each fixed
    line, two fixes in one hunk, and a file ending without a newline."""

    def plain(prefix, n):
        return [f"    {prefix}_{k}: v{k}\n" for k in range(n)]

    for distance in range(5):
        for fixed in FIXED_LINES:
            name = fixed.split(":")[0].strip()
            yield (
                f"before-{distance}-{name}",
                plain("HEAD", 1) + [SECRET_LINE] + plain("MID", distance) + [fixed] + plain("TAIL", distance),
            )
            yield (
                f"after-{distance}-{name}",
                plain("HEAD", distance) + [fixed] + plain("MID", distance) + [SECRET_LINE] + plain("TAIL", 1),
            )
    yield (
        "two-fixes-one-hunk",
        [
            PLAIN_LINES[0],
            FIXED_LINES[0],
            PLAIN_LINES[1],
            FIXED_LINES[1],
            PLAIN_LINES[2],
            PLAIN_LINES[3],
            SECRET_LINE,
        ],
    )
    yield (
        "no-final-newline",
        [PLAIN_LINES[0], SECRET_LINE, PLAIN_LINES[1], PLAIN_LINES[2], FIXED_LINES[0].rstrip("\n")],
    )


LAYOUTS = list(_layouts())


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("name,lines", LAYOUTS, ids=[name for name, _ in LAYOUTS])
def test_the_diff_applies_with_git_and_patch_and_never_shows_a_secret(name, lines, crlf, tmp_path):
    import shutil
    import subprocess

    text = "worker:\n  enabled: false\napi:\n  env:\n" + "".join(lines)
    if crlf:
        text = text.replace("\n", "\r\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "values.yaml").write_bytes(text.encode())
    import sys

    raw = subprocess.run(
        [sys.executable, "-m", "starter_lint", "fix", "values.yaml", "--diff", "--select", "SL104,SL604"],
        cwd=work,
        capture_output=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "STARTER_LINT_DEBUG"},
    )
    done = subprocess.CompletedProcess(raw.args, raw.returncode, raw.stdout.decode(), raw.stderr.decode())
    assert "hunter2secretpw" not in done.stdout + done.stderr and "postgres://app" not in done.stdout
    adjacent = any(
        (a == SECRET_LINE and b in FIXED_LINES) or (b == SECRET_LINE and a in FIXED_LINES)
        for a, b in itertools.pairwise(lines)
    )
    if adjacent:  # the only case a patch that applies must show the secret line: refused, said why
        assert done.returncode == 2 and done.stdout == ""
        assert "no --diff" in done.stderr and "holds a secret value" in done.stderr
        return
    assert done.returncode == 1, done.stderr
    (tmp_path / "d.patch").write_bytes(raw.stdout)  # as written: CRLF lines stay CRLF
    # what `fix` itself writes is what the patch must produce
    fixed = tmp_path / "fixed"
    shutil.copytree(work, fixed)
    assert cli("fix", "values.yaml", "--select", "SL104,SL604", cwd=fixed).returncode == 0
    expected = (fixed / "values.yaml").read_bytes()
    assert expected != text.encode()
    tried = 0
    if shutil.which("git"):
        repo = tmp_path / "git"
        shutil.copytree(work, repo)
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        check = subprocess.run(
            ["git", "apply", "--check", str(tmp_path / "d.patch")], cwd=repo, capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr + done.stdout
        subprocess.run(["git", "apply", str(tmp_path / "d.patch")], cwd=repo, check=True)
        assert (repo / "values.yaml").read_bytes() == expected
        tried += 1
    if shutil.which("patch"):
        plain = tmp_path / "patch"
        shutil.copytree(work, plain)
        applied = subprocess.run(
            ["patch", "-p1", "--fuzz=0", "-i", str(tmp_path / "d.patch")],
            cwd=plain,
            capture_output=True,
            text=True,
        )
        assert applied.returncode == 0 and "fuzz" not in applied.stdout, applied.stdout + applied.stderr
        assert (plain / "values.yaml").read_bytes() == expected
        tried += 1
    if not tried:
        pytest.skip("neither git nor patch is installed")


def test_fix_counts_what_it_did(tmp_path):
    """One edit fixes the finding of `DEBUG: yes` (SL104, with SL604 as its related location: one
    mistake, one finding) and another WORKERS (SL604); two rules proposing one unsafe edit
    (`1.10`) are one unsafe fix."""
    values = tmp_path / "values.yaml"
    values.write_text(
        "worker:\n  enabled: false\napi:\n  env:\n    DEBUG: yes\n    WORKERS: 4\n    FEATURE_RATE: 1.10\n"
    )
    before = cli("check", "values.yaml", "--select", "SL104,SL604", "--format", "json", cwd=tmp_path)
    done = cli("fix", "values.yaml", "--select", "SL104,SL604", cwd=tmp_path)
    after = cli("check", "values.yaml", "--select", "SL104,SL604", "--format", "json", cwd=tmp_path)
    import json

    def count(run_):
        return sum(len(t["findings"]) for t in json.loads(run_.stdout)["targets"])

    assert count(before) - count(after) == 2  # DEBUG (SL104, SL604 related) and WORKERS (SL604)
    assert "starter-lint: fixed 2 findings in values.yaml\n" in done.stderr
    assert "1 unsafe fix not applied (it changes what Helm renders" in done.stderr
    assert "FEATURE_RATE: 1.10" in values.read_text()


def test_nulls_keep_their_spelling(tmp_path):
    """`cpu: null` and `~` are lines no fix touches: they stay as written (ruamel would write
    every null back as an empty value); a null map a fix fills in becomes the map."""
    path = tmp_path / "values.yaml"
    path.write_text(
        "api:\n  env:\n    DEBUG: yes\nweb:\n  resources:\n    limits: {cpu: null, memory: ~}\n"
        "    requests:\n      cpu: Null\nworker:\n  enabled: true\n  env: null\n"
    )
    done = cli("fix", "values.yaml", "--select", "SL604,SL402", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = path.read_text()
    assert "limits: {cpu: null, memory: ~}" in text and "      cpu: Null\n" in text
    assert 'DEBUG: "true"' in text and "  env:\n    BILLING_RETRY_DEPLOYMENT_MODE:" in text
