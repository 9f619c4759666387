"""A denied validation that reads a variable (`size(variables.untrusted) == 0`, the shipped
examples/policies/admission-trusted-registries.yaml) points at the first field holding one of
the variable's values, so the finding is traced to the values line that set it
(policy/admission_pointer.py `variable_pointer`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from starter_lint import speedups
from starter_lint.options import Options
from starter_lint.pipeline import run
from starter_lint.policy import admission_eval
from starter_lint.policy.admission import Expression
from starter_lint.policy.admission_pointer import read_pointer, variable_pointer

from .test_policy_admission import binding, deployment, evaluate, policy

pytest.importorskip("cel_expr_python", reason="CEL policies need cel-expr-python (Python 3.11+)")

TESTS = Path(__file__).resolve().parent
CHART = TESTS / "fixtures" / "traced-chart"
TRUSTED = TESTS.parent / "examples" / "policies" / "admission-trusted-registries.yaml"
INIT = "      initContainers:\n        - name: migrate\n          image: {{ .Values.worker.migrateImage }}\n"


def _chart(tmp_path: Path, init_first: bool | None = None) -> Path:
    """The traced chart with the shipped trusted-registries policy as its only policy; with
    `init_first` not None, the worker has an initContainer before (True) or after its containers."""
    chart = tmp_path / "chart"
    shutil.copytree(CHART, chart, ignore=shutil.ignore_patterns("policies"))
    (chart / "policies").mkdir()
    shutil.copy(TRUSTED, chart / "policies" / "trusted.yaml")
    if init_first is not None:
        worker = chart / "templates" / "worker.yaml"
        text = worker.read_text(encoding="utf-8")
        head, sep, containers = text.partition("      containers:\n")
        text = head + INIT + sep + containers if init_first else text + "\n" + INIT
        worker.write_text(text, encoding="utf-8")
    return chart


def _findings(tmp_path: Path, chart: Path, values: str) -> list:
    (tmp_path / "values.yaml").write_text(values, encoding="utf-8")
    report = run(
        Options(
            files=[str(tmp_path / "values.yaml")],
            chart=str(chart),
            cwd=str(tmp_path),
            policies=[str(chart / "policies")],
            select=["SL901"],
        )
    )
    return [f for f in report.active if "registry.example.org" in f.message]


def _at(finding) -> tuple[str, int]:
    return Path(finding.location.path).name, finding.location.line


def test_the_shipped_policy_traces_an_untrusted_image_to_its_values_line(tmp_path):
    values = "worker:\n  image:\n    repository: docker.io/someone/worker\n"
    [image] = _findings(tmp_path, _chart(tmp_path), values)
    assert "docker.io/someone/worker:1.4.0" in image.message
    assert image.logical.endswith("#/spec/template/spec/containers/1/image")
    # composed from repository and tag: either may be the fix, so it stays on the manifest
    assert _at(image) == ("<rendered chart>", 70)


def test_an_untrusted_init_container_image_is_traced_to_its_values_line(tmp_path):
    values = "worker:\n  migrateImage: docker.io/someone/migrate:1\n"
    [image] = _findings(tmp_path, _chart(tmp_path, init_first=False), values)
    assert image.logical.endswith("#/spec/template/spec/initContainers/0/image")
    assert _at(image) == ("values.yaml", 2)


@pytest.mark.parametrize(
    ("init_first", "field", "line"), [(True, "initContainers/0", 2), (False, "containers/1", None)]
)
def test_two_untrusted_images_point_at_the_first_in_the_document(tmp_path, init_first, field, line):
    values = "worker:\n  migrateImage: docker.io/someone/migrate:1\n  image:\n    repository: docker.io/w\n"
    [image] = _findings(tmp_path, _chart(tmp_path, init_first=init_first), values)
    assert image.logical.endswith(f"#/spec/template/spec/{field}/image")
    # None: the worker's image is composed from repository and tag, so it stays on the manifest
    assert _at(image)[0] == ("values.yaml" if line else "<rendered chart>")
    assert line is None or _at(image)[1] == line


SIDECAR = "        - name: proxy\n          image: docker.io/proxy:1\n"
VARIABLES = (
    "  variables:\n"
    "    - name: images\n"
    "      expression: object.spec.template.spec.containers.map(c, c.image)\n"
    "    - name: untrusted\n"
    "      expression: \"variables.images.filter(i, !i.startsWith('registry.example.org/')){}\"\n"
    "  validations:\n"
    "    - expression: \"{}\"\n"
)


def _pointer(manifest: str, validation="size(variables.untrusted) == 0", transform="") -> str:
    [problem] = evaluate(policy(VARIABLES.format(transform, validation)) + binding(), manifest)
    return problem.logical.partition("#")[2]


def test_a_variable_pointer_needs_an_equal_value_and_an_emptiness_test():
    manifest = deployment(extra=SIDECAR)
    assert _pointer(manifest) == "/spec/template/spec/containers/1/image"
    # the untrusted values transformed: no field holds one, the finding stays on the list
    assert _pointer(manifest, transform=".map(i, i + '!')") == "/spec/template/spec/containers"
    # a list the validation does not want empty may hold passing values: not pointed into
    allowed = "variables.images.all(i, i.startsWith('registry.example.org/'))"
    assert _pointer(manifest, validation=allowed) == "/spec/template/spec/containers"


def test_objects_sharing_a_verdict_each_get_a_pointer_to_their_own_untrusted_image(monkeypatch):
    monkeypatch.setattr(speedups, "FAST_PATHS", True)
    computed = []
    denials = admission_eval._denials
    monkeypatch.setattr(admission_eval, "_denials", lambda *a: computed.append(1) or denials(*a))
    # equal images under other names (and other container names): the verdict is shared, and
    # each pointer names the untrusted image of its own object
    first = deployment(name="a", extra=SIDECAR)
    second = first.replace("\n  name: a\n", "\n  name: b\n", 1)
    third = deployment(name="c", extra=SIDECAR.replace("name: proxy", "name: other"))
    policies = policy(VARIABLES.format("", "size(variables.untrusted) == 0")) + binding()
    problems = evaluate(policies, first + second + third)
    assert 1 <= len(computed) < 3  # evaluated once for a and b
    assert [p.logical.partition("#")[0] for p in problems] == [f"Deployment/prod/{n}" for n in "abc"]
    for problem in problems:
        assert problem.logical.endswith("#/spec/template/spec/containers/1/image")
    assert [p.location.line for p in problems] == [16, 32, 48]  # each object's own proxy `image:` line


def _variable_pointer(obj: dict, source: str, value) -> str | None:
    variables = {"v": Expression(source, None, "spec.variables[0].expression")}
    return variable_pointer(
        Expression("variables.v == ''", None, "spec.validations[0].expression"), obj, variables, {"v": value}
    )


def test_a_redacted_value_is_never_matched():
    secret = {"data": {"user": "admin", "password": "<redacted>"}, "stringData": {"token": "x-<redacted>"}}
    assert _variable_pointer(secret, "object.data.user", "admin") == "/data/user"
    assert _variable_pointer(secret, "object.data.password", "<redacted>") is None
    assert _variable_pointer(secret, "object.stringData.token", "x-<redacted>") is None
    assert _variable_pointer(secret, "object.data", "<redacted>") is None


def test_paths_read_only_for_presence_or_keys_are_not_searched():
    obj = {"metadata": {"name": "admin", "labels": {"team": "admin"}}}
    assert _variable_pointer(obj, "object.metadata.name", "admin") == "/metadata/name"
    assert _variable_pointer(obj, "has(object.metadata.labels) ? 'admin' : ''", "admin") is None
    assert _variable_pointer(obj, "'team' in object.metadata.labels ? 'admin' : ''", "admin") is None


def test_a_long_chain_of_variables_and_a_deep_object_are_read_in_bounded_time():
    # each variable reads the one before twice: followed once each, not 2**40 times
    variables = {"v0": Expression("object.metadata.name", None, "spec.variables[0].expression")}
    for i in range(1, 40):
        variables[f"v{i}"] = Expression(f"variables.v{i - 1} + variables.v{i - 1}", None, "f")
    validation = Expression("variables.v39 == ''", None, "spec.validations[0].expression")
    obj = {"metadata": {"name": "a"}}
    assert variable_pointer(validation, obj, variables, {"v39": "a"}) == "/metadata/name"
    # a deep map under a path read whole: walked without recursion
    deep: dict = {"leaf": "bottom"}
    for _ in range(5000):
        deep = {"d": deep}
    pointer = _variable_pointer({"spec": deep}, "object.spec", "bottom")
    assert pointer == "/spec" + "/d" * 5000 + "/leaf"


def test_the_fallback_pointer_follows_each_variable_of_a_chain_once():
    # last read: each variable reading the one before twice, and none reading a path the object
    # has, made the fallback follow 2**n reads (24 variables: 49 s of CPU for one Deployment)
    variables = {"v0": Expression("has(object.zzz)", None, "spec.variables[0].expression")}
    for i in range(1, 60):
        variables[f"v{i}"] = Expression(f"variables.v{i - 1} && variables.v{i - 1}", None, "f")
    assert read_pointer("variables.v59", {"metadata": {"name": "a"}}, variables) == ""
    variables["v0"] = Expression("object.metadata.name == 'x'", None, "spec.variables[0].expression")
    assert read_pointer("variables.v59", {"metadata": {"name": "a"}}, variables) == "/metadata/name"
    # a path inside a string literal is not a read
    assert read_pointer("object.metadata.name + ' object.spec.x'", {"spec": {"x": 1}}, {}) == ""
