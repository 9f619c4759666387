"""The --set family as inputs: --set-file's refusals, the config keys, provenance that names the
flag, secrets that never show, and the bounds every kind shares (no SDK needed)."""

from __future__ import annotations

import json
import os

import pytest

from starter_lint.config import apply_config
from starter_lint.config_reader import ConfigError
from starter_lint.errors import StarterLintError
from starter_lint.options import Options
from starter_lint.textio import MAX_DEPTH
from starter_lint.values.layers import layer_values
from starter_lint.values.setargs import MAX_SET_FILE_BYTES, SetBudget, SetSyntaxError, apply_set
from starter_lint.values.setfile import set_file_reader
from starter_lint.yamlio import MAX_VALUES_BYTES

from .support import run_in_process

SECRET = "hunter2-from-file"


@pytest.fixture()
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "values.yaml").write_text("api:\n  replicas: 2\n")
    (tmp_path / "key.txt").write_text(SECRET)
    return tmp_path


def values_json(repo, *args):
    code, out, err = run_in_process(["values", "-f", "values.yaml", *args, "--format", "json"], repo)
    return code, (json.loads(out) if code == 0 else None), err


# --set-file -----------------------------------------------------------------------------------
def test_set_file_sets_the_files_text_relative_to_the_working_directory(repo):
    (repo / "sub").mkdir()
    (repo / "sub" / "motd.txt").write_text("line 1\nline 2 with = and ,\n")
    code, values, err = values_json(repo, "--set-file", "api.motd=sub/motd.txt")
    assert code == 0, err
    assert values["api"]["motd"] == "line 1\nline 2 with = and ,\n"


@pytest.mark.parametrize(
    "make,path,words",
    [
        (lambda r: None, "missing.txt", "no such file"),
        (lambda r: (r / "folder").mkdir(), "folder", "is a directory"),
        (lambda r: (r / "big.txt").write_bytes(b"x" * (MAX_VALUES_BYTES + 1)), "big.txt", "larger than"),
        (lambda r: (r / "latin1.txt").write_bytes(b"caf\xe9"), "latin1.txt", "not UTF-8"),
        (lambda r: None, "-", "standard input"),
        (lambda r: None, "https://example.org/x", "URL"),
        (lambda r: os.mkfifo(r / "fifo"), "fifo", "not a regular file"),  # would block at open
    ],
)
def test_set_file_refuses_with_one_line_naming_the_flag_and_path(repo, make, path, words):
    make(repo)
    code, _values, err = values_json(repo, "--set-file", f"api.x={path}")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "--set-file" in lines[0] and words in lines[0], err
    assert "Traceback" not in err


def test_set_file_does_not_follow_a_symlink_out_of_the_repository(repo, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "token"
    outside.write_text("runner's token")
    os.symlink(outside, repo / "link.txt")
    code, _values, err = values_json(repo, "--set-file", "api.x=link.txt")
    assert code == 2 and "leads outside the repository" in err and "runner's token" not in err


def test_set_file_content_is_a_secret_when_its_key_is(repo):
    code, out, err = run_in_process(
        ["values", "-f", "values.yaml", "--provenance", "--set-file", "api.secrets.KEY=key.txt"], repo
    )
    assert code == 0, err
    assert SECRET not in out and "--set-file api.secrets.KEY=key.txt" in out  # the path may show
    code, out, err = run_in_process(
        ["check", "-f", "values.yaml", "--set-file", "api.secrets.KEY=key.txt", "--format", "json"], repo
    )
    assert SECRET not in out + err


def test_the_parser_opens_no_file():
    with pytest.raises(AssertionError, match="reader"):
        apply_set({}, "a=key.txt", kind="set-file")  # no reader handed in: nothing is read


def test_set_file_bytes_are_bounded_across_one_target(repo):
    (repo / "quarter.txt").write_text("x" * (MAX_SET_FILE_BYTES // 4 + 1))
    with pytest.raises(SetSyntaxError, match="MiB in all"):
        apply_set(
            {}, "a={" + ",".join(["quarter.txt"] * 4) + "}", kind="set-file", read_file=set_file_reader(repo)
        )


# provenance -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kind,expression,path,shown",
    [
        ("set-json", 'api.env={"A":"1"}', ("api", "env", "A"), '--set-json api.env={"A":"1"}'),
        ("set-json", '{"api":{"n":2}}', ("api", "n"), '--set-json {"api":{"n":2}}'),
        ("set-literal", "api.note=a,b", ("api", "note"), "--set-literal api.note=a,b"),
        ("set-string", "api.n=1", ("api", "n"), "--set-string api.n=1"),
    ],
)
def test_provenance_names_the_flag_and_the_expression(kind, expression, path, shown):
    layered = layer_values(None, [], [(expression, kind)])
    origin = layered.origin(path)
    assert origin is not None and origin.kind == "set" and origin.describe() == shown
    assert layered.layers[-1].flag_for(path) == f"--{kind}"


@pytest.mark.parametrize("kind", ["set-literal", "set-string", "set-json"])
def test_a_map_a_dotted_expression_creates_names_that_expression(kind):
    # `redis.tls` exists only because `redis.tls.caCert=…` made it on the way down: a finding
    # about `redis.tls` (an unknown key, say) names the flag and expression, not plain --set
    expression = 'redis.tls.caCert="x"' if kind == "set-json" else "redis.tls.caCert=x"
    layered = layer_values(None, [], [("other=1", "set"), (expression, kind)])
    set_layer = layered.layers[-1]
    assert set_layer.flag_for(("redis", "tls")) == f"--{kind}"
    assert set_layer.expression_for(("redis",)) == f"--{kind} {expression}"


@pytest.mark.parametrize(
    "kind,expression,secret",
    [
        ("set-json", 'api.env={"DB_PASSWORD":"pw-json-1","X":"1"}', "pw-json-1"),
        ("set-json", 'api.secrets.K="pw-json-2",b=1', "pw-json-2"),
        ("set-json", '{"api":{"secrets":{"K":"pw-json-3"}}}', "pw-json-3"),
        ("set-json", 'api.env.URL="postgres://u:pw-json-4@db/x"', "pw-json-4"),
        ("set-literal", "api.secrets.K=pw,literal-5", "pw,literal-5"),
        ("set-literal", "api.env.API_TOKEN=t", "=t"),
    ],
)
def test_provenance_never_shows_a_secret(kind, expression, secret):
    layered = layer_values(None, [], [(expression, kind)])
    texts = {layer.expression_for(path) for layer in layered.layers for path in layer.expressions}
    assert texts and all(secret not in text and "<redacted>" in text for text in texts), texts


@pytest.mark.parametrize(
    "kind,expression,secret",
    [
        ("set-json", 'api.env={"DB_PASSWORD":"pw-broken-1"', "pw-broken-1"),
        ("set-json", 'api.secrets.K="pw-broken-2', "pw-broken-2"),
        ("set-json", '{"api":{"secrets":{"K":"pw-broken-3"}}', "pw-broken-3"),
        ("set-json", 'api.secrets.K="pw-broken-4"x', "pw-broken-4"),
    ],
)
def test_errors_never_show_a_secret(kind, expression, secret):
    with pytest.raises(SetSyntaxError) as raised:
        apply_set({}, expression, kind=kind)
    assert secret not in str(raised.value) and f"--{kind} " in str(raised.value)


# bounds -----------------------------------------------------------------------------------------
def test_json_nests_no_deeper_than_a_values_file():
    with pytest.raises(SetSyntaxError, match="deeper"):
        apply_set({}, "a=" + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), kind="set-json")
    with pytest.raises(SetSyntaxError, match="deeper"):
        apply_set({}, '{"a":' * (MAX_DEPTH + 5) + "1" + "}" * (MAX_DEPTH + 5), kind="set-json")
    apply_set({}, "a=" + "[" * 20 + "]" * 20, kind="set-json")


@pytest.mark.parametrize("kind", ["set-json", "set-literal", "set"])
def test_list_padding_budget_is_shared_by_every_kind(kind):
    budget = SetBudget(slots=100)
    apply_set({}, "a[60]=1", kind=kind, budget=budget)
    with pytest.raises(SetSyntaxError, match="items in all"):
        apply_set({}, "b[60]=1", kind=kind, budget=budget)


def test_a_long_json_number_is_go_s_float64_not_a_crash():
    data: dict = {}
    apply_set(data, "a=" + "9" * 300 + ",b=1", kind="set-json")
    assert data["b"] == 1 and data["a"] == 1e300
    with pytest.raises(SetSyntaxError, match="cannot unmarshal number") as raised:
        apply_set(data, "a=" + "9" * 5000, kind="set-json")  # beyond float64, as in Go
    assert len(str(raised.value)) < 5100 + 200


# config ---------------------------------------------------------------------------------------
def config_options(repo, text):
    (repo / ".starter-lint.yaml").write_text(text)
    options = Options(cwd=str(repo))
    apply_config(options, None)
    return options


def test_config_keys_at_the_top_and_in_targets(repo):
    options = config_options(
        repo,
        'set-json: [\'a={"b":1}\']\nset-literal: ["c=d,e"]\nset-file: ["k=key.txt"]\n',
    )
    assert options.set == [('a={"b":1}', "set-json"), ("k=key.txt", "set-file"), ("c=d,e", "set-literal")]
    options = config_options(
        repo,
        "targets:\n  prod:\n    values: [values.yaml]\n    set-file: [k=key.txt]\n    set-json: ['j=1']\n",
    )
    assert options.targets[0].set == [("j=1", "set-json"), ("k=key.txt", "set-file")]


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/hostname", ".git/config"])
def test_a_config_set_file_stays_inside_the_repository(repo, path):
    with pytest.raises(ConfigError, match="set-file") as raised:
        config_options(repo, f"set-file: ['k={path}']\n")
    assert isinstance(raised.value, StarterLintError)


def test_a_config_set_file_is_read_relative_to_the_config_file(repo):
    """As the config's other paths (tests/test_config_set_file.py has the targets' cases)."""
    (repo / "conf").mkdir()
    (repo / "conf" / ".starter-lint.yaml").write_text("set-file: ['api.motd=motd.txt']\n")
    (repo / "motd.txt").write_text("from the working directory")
    (repo / "conf" / "motd.txt").write_text("from the config's folder")
    code, values, err = values_json(repo, "--config", "conf/.starter-lint.yaml")
    assert code == 0, err
    assert values["api"]["motd"] == "from the config's folder"


PLANTED = {
    "--set-json": ('api.env={"DB_PASSWORD":"PLNT-json-1","LOG":"x"}', "PLNT-json-1"),
    "--set-literal": ("worker.secrets.X=PLNT-lit,2", "PLNT-lit,2"),
    "--set-file": ("web.secrets.Y=tok.txt", "PLNT-file-3"),
}


@pytest.mark.parametrize(
    "command",
    [
        ["check", "--format", "text"],
        ["check", "--format", "json"],
        ["check", "--format", "sarif"],
        ["check", "--format", "github"],
        ["values", "--provenance"],
        ["values", "--format", "json"],
    ],
)
def test_no_output_shows_a_secret_set_by_any_kind(repo, command):
    (repo / "tok.txt").write_text(PLANTED["--set-file"][1])
    args = [*command, "-f", "values.yaml", "--set-json", '{"api":{"secrets":{"Z":"PLNT-obj-4"}}}']
    args += ["--set-json", 'api.env.CALLBACK="https://u:PLNT-url-5@h.example.org/x"']
    for flag, (expression, _secret) in PLANTED.items():
        args += [flag, expression]
    code, out, err = run_in_process(args, repo)
    assert code in (0, 1), err
    secrets = [secret for _expression, secret in PLANTED.values()] + ["PLNT-obj-4", "PLNT-url-5"]
    for secret in secrets:
        assert secret not in out + err and json.dumps(secret)[1:-1] not in out + err, secret


def test_a_long_expression_is_clipped_in_errors_and_provenance():
    # an error line quotes the start of a 100 KB expression, not all of it; provenance names a
    # long expression once per list item, so it is clipped there too (else output ~ n²)
    long_json = "a=[" + "1," * 50_000
    with pytest.raises(SetSyntaxError) as caught:
        layer_values(None, [], [(long_json, "set-json")])
    assert len(str(caught.value)) < 400 and "characters)" in str(caught.value)
    items = ",".join(f"item{i}" for i in range(2_000))
    layered = layer_values(None, [], [(f"x={{{items}}}", "set")])
    shown = layered.origin(("x", 1999))
    assert shown is not None and len(shown.describe()) < 300


@pytest.mark.parametrize(
    "expression",
    ['db={"postgresPassword":"hunter22-x', 'db={"apiToken": "hunter22-x', 'db.auth={"password":"hunter22-x'],
)
def test_a_malformed_set_json_hides_a_credential_named_value(expression):
    # the parser stopped before the value was read: the text after a credential-named JSON key
    # (camelCase as Bitnami writes them, not only ENV_NAMES) is not shown in the error line
    with pytest.raises(SetSyntaxError) as caught:
        layer_values(None, [], [(expression, "set-json")])
    assert "hunter22" not in str(caught.value)


def test_numbers_of_thousands_of_digits_are_no_internal_error():
    # Python's int() refuses a string of 4,300 digits and more: a value that long is a string
    # (no int64), an index that long is Helm's "value out of range", never a ValueError
    digits = "7" * 5000
    assert layer_values(None, [], [(f"a={digits}", "set")]).values == {"a": digits}
    with pytest.raises(SetSyntaxError, match="value out of range"):
        layer_values(None, [], [(f"a[{digits}]=1", "set")])
    assert layer_values(None, [], [(f"a[{'0' * 5000}1]=x", "set")]).values == {"a": [None, "x"]}
