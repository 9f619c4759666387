"""The kubeconform wrapper, against a fake kubeconform that replays real recordings or misbehaves."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from starter_lint.errors import StarterLintError
from starter_lint.manifests import stream
from starter_lint.options import Options
from starter_lint.pipeline import run
from starter_lint.validate.crds import CrdSchemas
from starter_lint.validate.kube import BuiltinValidator
from starter_lint.validate.kubeconform import KubeconformValidator
from starter_lint.validate.validators import select_validator
from starter_lint.validate.verdicts import INVALID, MISSING, VALID

from .support import DATA, cli

FAKE = Path(__file__).resolve().parent / "fake_kubeconform" / "fake_kubeconform.py"
CASES = DATA / "kubeconform" / "cases"
RECORDED = DATA / "kubeconform" / "recordings" / "standalone-json-summary"
REPLAYABLE = [
    "01-valid-deployment",
    "02-unknown-field",
    "03-wrong-type",
    "07-multi-doc-mixed",
    "12-helm-template-style",
    "13-root-extra-and-missing-required",
]


@pytest.fixture(scope="module")
def schema_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture()
def fake_bin(tmp_path, monkeypatch, schema_cache):
    """A `kubeconform` on PATH that runs the fake with this interpreter; schema cache in tmp."""
    folder = tmp_path / "bin"
    folder.mkdir()
    binary = folder / "kubeconform"
    binary.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{FAKE}' \"$@\"\n")
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("STARTER_LINT_CACHE_DIR", str(schema_cache))
    monkeypatch.setenv("FAKE_KUBECONFORM_ARGS", str(tmp_path / "args.json"))
    return binary


@pytest.mark.parametrize("case", REPLAYABLE)
def test_replayed_results_map_back_to_objects_like_the_builtin(case, fake_bin, tmp_path):
    loaded = stream.load_text((CASES / f"{case}.yaml").read_text(), f"{case}.yaml")
    wrapper = KubeconformValidator(str(fake_bin), "1.27.2", CrdSchemas())
    theirs = wrapper.validate_all(loaded.objects)
    ours = BuiltinValidator("1.27").validate_all(loaded.objects)
    assert [(v.status, [(e.pointer, e.message) for e in v.errors]) for v in theirs] == [
        (v.status, [(e.pointer, e.message) for e in v.errors]) for v in ours
    ]
    argv = json.loads((tmp_path / "args.json").read_text())
    for flag in ("-strict", "-summary"):
        assert flag in argv
    assert argv[argv.index("-output") + 1] == "json"
    assert argv[argv.index("-kubernetes-version") + 1] == "1.27.0"
    assert argv[argv.index("-n") + 1] == "2"
    locations = [argv[i + 1] for i, a in enumerate(argv) if a == "-schema-location"]
    assert (Path(locations[0]) / "v1.27.0-standalone-strict" / "deployment-apps-v1.json").is_file()
    assert any(loc.endswith("{{ .ResourceKind }}{{ .KindSuffix }}.json") for loc in locations[1:])


def test_auto_prefers_kubeconform_and_findings_have_lines(fake_bin, tmp_path):
    options = Options(manifests=[str(CASES / "07-multi-doc-mixed.yaml")], select=["SL701"], cwd=str(tmp_path))
    assert select_validator(options).name == "kubeconform"
    report = run(options)
    got = sorted((f.location.line, f.message.split(";")[0]) for f in report.active)
    assert got == [
        (17, "Deployment/api apps/v1: spec.replicas: got string, want null or integer"),
        (43, "Service/api v1: spec.ports[0].port: got string, want integer"),
        (44, "Service/api v1: spec.ports[0]: additional properties 'bogus' not allowed"),
    ]
    assert select_validator(Options(validator="builtin")).name == "builtin"


def test_recorded_error_statuses():
    for case, status in (
        ("05-crd-no-schema", MISSING),
        ("08-removed-api-hpa-v2beta2", MISSING),
        ("11-duplicate-key", INVALID),
        ("02-unknown-field", INVALID),
    ):
        [resource] = json.loads((RECORDED / f"{case}.json").read_text())["resources"]
        assert KubeconformValidator._verdict(resource, "x").status == status
    assert KubeconformValidator._verdict({"status": "statusSkipped"}, "x").status == VALID
    leaky = {
        "status": "statusInvalid",
        "validationErrors": [
            {"path": "/data/0/secretKey", "msg": "'hunter2-password' does not match pattern '^[a-z]+$'"}
        ],
    }
    [error] = KubeconformValidator._verdict(leaky, "x").errors
    assert error.message == "does not match pattern '^[a-z]+$'"


@pytest.mark.parametrize(
    "mode,message",
    [
        ("crash", "crashed (signal"),
        ("garbage", "not its JSON report"),
        ("exit1", "exited 1 without its JSON report"),
        ("hang", "did not finish within 1 s"),
    ],
)
def test_misbehaving_kubeconform_is_one_clear_error(mode, message, fake_bin, monkeypatch):
    monkeypatch.setenv("FAKE_KUBECONFORM_MODE", mode)
    loaded = stream.load_text((CASES / "01-valid-deployment.yaml").read_text(), "x.yaml")
    with pytest.raises(StarterLintError, match=message.replace("(", r"\(")):
        KubeconformValidator(str(fake_bin), "1.27", CrdSchemas(), timeout=1).validate_all(loaded.objects)


def test_missing_kubeconform_when_asked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(StarterLintError, match="kubeconform is not on PATH"):
        select_validator(Options(validator="kubeconform"))
    with pytest.raises(StarterLintError, match="no such file"):
        select_validator(Options(validator="auto", kubeconform=str(tmp_path / "nope" / "kubeconform")))
    assert select_validator(Options(validator="auto")).name == "builtin"


def test_cli_exit_2_and_one_line_without_traceback(fake_bin, tmp_path, schema_cache):
    result = cli(
        "check",
        "--manifests",
        str(CASES / "01-valid-deployment.yaml"),
        cwd=str(tmp_path),
        env={
            "FAKE_KUBECONFORM_MODE": "garbage",
            "PATH": os.environ["PATH"],
            "STARTER_LINT_CACHE_DIR": str(schema_cache),
        },
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


# The real binary, when a developer or CI puts it on PATH (.ci/run does, given KUBECONFORM=path);
# a user's clone has none and these skip.
REAL_KUBECONFORM = shutil.which("kubeconform")
needs_real = pytest.mark.skipif(
    REAL_KUBECONFORM is None,
    reason=(
        "kubeconform is not on PATH: install kubeconform v0.7.0 (github.com/yannh/kubeconform) "
        "to test the wrapper against the real binary"
    ),
)


@needs_real
@pytest.mark.parametrize("case", REPLAYABLE)
def test_real_kubeconform_agrees_with_the_builtin(case, schema_cache, monkeypatch):
    monkeypatch.setenv("STARTER_LINT_CACHE_DIR", str(schema_cache))
    loaded = stream.load_text((CASES / f"{case}.yaml").read_text(), f"{case}.yaml")
    wrapper = KubeconformValidator(REAL_KUBECONFORM, "1.27.3", CrdSchemas())
    theirs = wrapper.validate_all(loaded.objects)
    ours = BuiltinValidator("1.27").validate_all(loaded.objects)
    assert [(v.status, [(e.pointer, e.message) for e in v.errors]) for v in theirs] == [
        (v.status, [(e.pointer, e.message) for e in v.errors]) for v in ours
    ]


@needs_real
def test_real_kubeconform_through_the_cli(tmp_path, schema_cache):
    env = {"STARTER_LINT_CACHE_DIR": str(schema_cache)}
    mixed = str(CASES / "07-multi-doc-mixed.yaml")
    real = cli(
        "check", "--manifests", mixed, "--validator", "kubeconform", "--format", "json", cwd=tmp_path, env=env
    )
    builtin = cli(
        "check", "--manifests", mixed, "--validator", "builtin", "--format", "json", cwd=tmp_path, env=env
    )
    assert real.returncode == builtin.returncode == 1, real.stderr

    def found(done):
        return [
            (f["rule"], f["line"], f["message"])
            for t in json.loads(done.stdout)["targets"]
            for f in t["findings"]
        ]

    assert found(real) == found(builtin) and found(real)


@needs_real
def test_real_kubeconform_on_a_document_without_kind(schema_cache, monkeypatch):
    """Where the two differ: kubeconform calls a missing kind a parse error, as its recording says."""
    monkeypatch.setenv("STARTER_LINT_CACHE_DIR", str(schema_cache))
    loaded = stream.load_text((CASES / "04-missing-kind.yaml").read_text(), "04-missing-kind.yaml")
    [verdict] = KubeconformValidator(REAL_KUBECONFORM, "1.27", CrdSchemas()).validate_all(loaded.objects)
    [recorded] = json.loads((RECORDED / "04-missing-kind.json").read_text())["resources"]
    assert verdict.status == INVALID and recorded["msg"] in verdict.errors[0].message
