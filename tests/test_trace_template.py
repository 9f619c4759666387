"""The trace of rendered findings reads the chart's template (manifests/template_source.py), and
an SL901 finding on a list's element points at that element (policy/admission_pointer.py).

The chart tests/fixtures/traced-chart writes `replicas: 1` and a readiness path as literals,
composes the worker's image from `worker.image.repository` and `.tag`, and its policies/ hold a
replica floor and trusted registries written as `containers.all(c, …)`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from starter_lint.manifests.template_source import _same, _scalar
from starter_lint.options import Options
from starter_lint.pipeline import run

from .test_policy_admission import binding, deployment, evaluate, policy

pytest.importorskip("cel_expr_python", reason="CEL policies need cel-expr-python (Python 3.11+)")

CHART = Path(__file__).resolve().parent / "fixtures" / "traced-chart"


def _check(tmp_path, values: str, select: list[str]):
    (tmp_path / "values.yaml").write_text(values, encoding="utf-8")
    return run(
        Options(
            files=[str(tmp_path / "values.yaml")],
            chart=str(CHART),
            cwd=str(tmp_path),
            policies=[str(CHART / "policies")],
            select=select,
        )
    )


def _at(finding) -> tuple[str, int]:
    return Path(finding.location.path).name, finding.location.line


def _rendered(finding) -> bool:
    return finding.location.path.startswith("<rendered") and not any(
        note.startswith("rendered at") for note in finding.notes
    )


def test_a_literal_in_the_template_is_not_traced_to_an_equal_value(tmp_path):
    # scheduler.minReadySeconds is 1 like the scheduler's `replicas: 1`, which the template writes
    report = _check(tmp_path, "scheduler:\n  minReadySeconds: 1\n", ["SL901"])
    [floor] = [f for f in report.active if "starter-scheduler" in f.message]
    assert "at least two replicas" in floor.message
    assert _rendered(floor), floor.location
    assert floor.template == "traced/templates/scheduler.yaml"


def test_a_literal_is_not_traced_for_other_rules_either(tmp_path):
    # SL807 on the API's readiness path, a literal `/healthz`; api.metricsPath is set to the same
    report = _check(tmp_path, "api:\n  metricsPath: /healthz\n", ["SL807"])
    [probe] = report.active
    assert "/healthz" in probe.message
    assert _rendered(probe), probe.location


def test_the_key_line_tells_which_equal_value_wrote_the_field(tmp_path):
    # two user values equal 1: the worker template's `replicas:` line reads worker.replicas
    # (through `$worker := .Values.worker`)
    values = "scheduler:\n  minReadySeconds: 1\nworker:\n  replicas: 1\n"
    report = _check(tmp_path, values, ["SL901"])
    [worker] = [f for f in report.active if "starter-worker" in f.message]
    assert _at(worker) == ("values.yaml", 4)
    assert any(note.startswith("rendered at <rendered") for note in worker.notes)


def test_an_image_composed_from_two_values_stays_on_the_manifest(tmp_path):
    # `"{{ …repository }}:{{ …tag }}"`: the repository or the tag may be the fix (a no-latest
    # policy rejects the tag), so neither line is picked
    values = "worker:\n  image:\n    repository: docker.io/someone/worker\n"
    report = _check(tmp_path, values, ["SL901"])
    [image] = [f for f in report.active if "registry.example.org" in f.message]
    assert image.logical == "Deployment/starter-worker#/spec/template/spec/containers/1/image"
    assert _rendered(image), image.location


def test_a_trusted_render_has_no_registry_finding(tmp_path):
    report = _check(tmp_path, "worker:\n  replicas: 3\n", ["SL901"])
    assert not [f for f in report.active if "registry.example.org" in f.message]


def test_chart_reads_are_what_the_templates_read(tmp_path):
    # an equal value under a key no template reads is no candidate (trace._written)
    from starter_lint.manifests.template_source import chart_reads
    from starter_lint.pipeline import build_context
    from starter_lint.targets import Target

    (tmp_path / "values.yaml").write_text("extra:\n  proxyImage: x\n", encoding="utf-8")
    target = Target("t", [str(tmp_path / "values.yaml")], chart=str(CHART))
    ctx, _ = build_context(target, Options(cwd=str(tmp_path)))
    reads = chart_reads(ctx)
    assert reads is not None and ("worker", "image", "repository") in reads
    assert ("scheduler", "minReadySeconds") in reads
    assert not any(ref[:1] == ("extra",) for ref in reads)


@pytest.mark.parametrize(
    "line",
    [
        "replicas: " + "1" * 100_000 + "x",  # digits: a number pattern split them every way
        "replicas: a" + " " * 100_000 + "b",  # blanks before the end: a lazy value was quadratic
        "replicas: a" + " " * 100_000 + "b #c",  # blanks before a comment
        "- " * 50_000 + "replicas: 1",
        "a" + " " * 100_000 + "b",  # no key at all
    ],
    ids=["digits", "blanks", "comment", "dashes", "no-key"],
)
def test_reading_a_key_line_is_linear(line):
    from starter_lint.manifests import template_source

    started = time.process_time()  # CPU: other load must not fail it
    for key_line in template_source._layout(line)[0]:
        template_source._scalar(template_source._uncommented(key_line.value))
    assert time.process_time() - started < 2


API = """apiVersion: apps/v1
kind: Deployment
spec:
  replicas: 1
  template:
    spec:
      initContainers:
        - name: migrate
          env:
            - name: MIGRATE_ONLY
              value: {FLAG}
      containers:
        - name: api
          image: {{ .Values.api.image | quote }}
          {{- with include "env" . | trim }}
          {{- . | nindent 10 }}
          {{- end }}
"""
ENV_VALUE = "/spec/template/spec/containers/0/env/0/value"


def _source(template: str, pointer: str, rendered):
    from types import SimpleNamespace

    from starter_lint.manifests.template_source import field_source

    node = SimpleNamespace(name="c", templates={"c/templates/api.yaml": template})
    ctx = SimpleNamespace(chart="c", values=SimpleNamespace(charts=SimpleNamespace(enabled={(): node})))
    return field_source(ctx, "c/templates/api.yaml", pointer, rendered, None)


def test_a_line_of_another_field_under_the_same_key_decides_nothing():
    # the initContainer's `value:` is not the api container's, whose env an include writes
    source = _source(API.replace("{FLAG}", "{{ .Values.migrate.flag | quote }}"), ENV_VALUE, "true")
    assert not source.refs and not source.literal
    literal = _source(API.replace("{FLAG}", '"true"'), ENV_VALUE, "true")
    assert not literal.refs and not literal.literal
    # the initContainer's own value is told by its line
    mine = "/spec/template/spec/initContainers/0/env/0/value"
    assert _source(API.replace("{FLAG}", '"true"'), mine, "true").literal
    assert _source(API.replace("{FLAG}", "{{ .Values.migrate.flag }}"), mine, "x").refs == {
        ("migrate", "flag")
    }


def test_a_key_line_is_matched_by_its_whole_path():
    text = API.replace("{FLAG}", "x")
    assert _source(text, "/spec/replicas", 1).literal
    assert _source(text, "/spec/template/spec/containers/0/image", "a").refs == {("api", "image")}
    # two `image:` lines at one path (two containers): which one cannot be told
    two = text.replace(
        "          image: {{", "          image: {{ .Values.other }}\n        - name: b\n          image: {{"
    )
    assert not _source(two, "/spec/template/spec/containers/1/image", "a").refs
    # an output action at the root could write any field
    assert not _source('{{ include "x" . }}\n' + text, "/spec/replicas", 1).literal


def test_an_indentless_list_and_a_block_scalar_keep_their_paths():
    text = "spec:\n  containers:\n  - name: a\n    args: |\n      replicas: 1\n    image: {{ .Values.i }}\n"
    assert _source(text, "/spec/containers/0/image", "x").refs == {("i",)}
    assert not _source(text, "/spec/containers/0/args/replicas", 1).literal


def test_a_line_composing_several_values_is_composed():
    text = 'spec:\n  image: "{{ .Values.repo }}:{{ .Values.tag }}"\n  other: "{{ .Values.repo }}:1.0"\n'
    both = _source(text, "/spec/image", "r:latest")
    assert both.composed and both.refs == {("repo",), ("tag",)}
    one = _source(text, "/spec/other", "r:1.0")
    assert not one.composed and one.refs == {("repo",)}


def test_written_scalars_compare_as_yaml_reads_them():
    assert _same(1, _scalar("1")) and _same(2.5, _scalar("2.5"))
    assert _same("/healthz", _scalar('"/healthz"')) and _same("a b", _scalar("'a b'"))
    assert not _same(True, _scalar("true")) and not _same(1, _scalar("10"))


TRUSTED = "object.spec.template.spec.containers.{}(c, c.image.startsWith('registry.example.org/'))"
SIDECAR = "        - name: proxy\n          image: docker.io/proxy:1\n"


def _pointer(expression: str, manifest: str) -> str:
    [problem] = evaluate(policy(f'  validations:\n    - expression: "{expression}"\n') + binding(), manifest)
    return problem.logical.partition("#")[2]


@pytest.mark.parametrize(
    "expression",
    [
        TRUSTED.format("all"),
        "!"
        + TRUSTED.format("exists")
        .replace("startsWith", "contains")
        .replace("'registry.example.org/'", "'docker.io'"),
    ],
)
def test_a_failing_element_is_pointed_at(expression):
    assert _pointer(expression, deployment(extra=SIDECAR)) == "/spec/template/spec/containers/1/image"


def test_what_cannot_be_told_keeps_the_list():
    # `&&` around the macro: not the simple shape; the finding stays at what it reads first
    expression = "has(object.spec.template) && " + TRUSTED.format("all")
    assert _pointer(expression, deployment(extra=SIDECAR)) == "/spec/template"
    # a container without an image: the predicate fails to evaluate on it, so `map` does, and
    # no element is told (the untrusted third one denies the `all`, as CEL absorbs the error)
    no_image = deployment(extra="        - name: proxy\n" + SIDECAR.replace("proxy", "other"))
    assert _pointer(TRUSTED.format("all"), no_image) == "/spec/template/spec/containers"


def test_a_list_of_scalars_points_at_the_element():
    manifest = deployment().replace("  labels:", "  finalizers: [example.org/ok, example.org/bad]\n  labels:")
    expression = "object.metadata.finalizers.all(f, f != 'example.org/bad')"
    assert _pointer(expression, manifest) == "/metadata/finalizers/1"
    hosts = deployment(extra="      hostAliases: [{ip: 10.0.0.1}, {ip: 127.0.0.1}]\n")
    expression = "object.spec.template.spec.hostAliases.all(h, h.ip != '127.0.0.1')"
    assert _pointer(expression, hosts) == "/spec/template/spec/hostAliases/1/ip"
    # an index in the path is not the simple shape: the list the expression reads, as before
    args = deployment(extra="          args: [--ok, --debug]\n")
    expression = "object.spec.template.spec.containers[0].args.all(a, a != '--debug')"
    assert _pointer(expression, args) == "/spec/template/spec/containers"


def test_a_subchart_template_reads_its_values_under_its_alias(tmp_path):
    import shutil

    parent = tmp_path / "parent"
    shutil.copytree(CHART, parent / "charts" / "traced", ignore=shutil.ignore_patterns("policies"))
    (parent / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 0.1.0\n"
        "dependencies:\n  - name: traced\n    version: 0.1.0\n    alias: jobs\n",
        encoding="utf-8",
    )
    values = (
        "jobs:\n  scheduler:\n    minReadySeconds: 1\n  worker:\n    replicas: 1\n"
        "    image:\n      repository: docker.io/someone/worker\n"
    )
    (tmp_path / "values.yaml").write_text(values, encoding="utf-8")
    report = run(
        Options(
            files=[str(tmp_path / "values.yaml")],
            chart=str(parent),
            cwd=str(tmp_path),
            policies=[str(CHART / "policies")],
            select=["SL901"],
        )
    )
    found = {(f.template, f.message.rpartition(": ")[2]): f for f in report.active}
    scheduler = found["parent/charts/jobs/templates/scheduler.yaml", "at least two replicas"]
    assert _rendered(scheduler)
    worker = found["parent/charts/jobs/templates/worker.yaml", "at least two replicas"]
    assert _at(worker) == ("values.yaml", 5)
    image = found[
        "parent/charts/jobs/templates/worker.yaml",
        "every container's image must come from registry.example.org",
    ]
    assert _rendered(image)  # composed from repository and tag


REPO = CHART.parents[2]
MIGRATE = (
    "      initContainers:\n        - name: migrate\n          image: {{ .Values.api.image | quote }}\n"
    "          env:\n            - name: MIGRATE_ONLY\n              value: {FLAG}\n"
)


@pytest.mark.parametrize("flag", ["{{ .Values.migrate.flag | quote }}", '"true"'])
def test_an_include_written_env_value_is_not_decided_by_another_containers_line(tmp_path, flag):
    # the team review's chart: the API's env comes from an include, an initContainer's `value:`
    # reads migrate.flag (or is the literal "true"); SL806's value is api.env's, not either
    import shutil

    chart = tmp_path / "chart"
    shutil.copytree(REPO / "examples" / "chart", chart)
    template = chart / "templates" / "api-deployment.yaml"
    text = template.read_text(encoding="utf-8")
    assert "      containers:\n" in text
    template.write_text(
        text.replace("      containers:\n", MIGRATE.replace("{FLAG}", flag) + "      containers:\n", 1)
    )
    values = (REPO / "examples" / "values.prod.yaml").read_text(encoding="utf-8")
    values = values.replace(
        '    ENVIRONMENT: "production"\n',
        '    ENVIRONMENT: "production"\n    ENABLE_BILLING_RETRY_WORKER: "true"\n',
        1,
    )
    (tmp_path / "values.yaml").write_text(values + 'migrate:\n  flag: "true"\n', encoding="utf-8")
    report = run(
        Options(files=[str(tmp_path / "values.yaml")], chart=str(chart), cwd=str(tmp_path), select=["SL806"])
    )
    [billing] = [f for f in report.active if f.rule == "SL806"]
    assert _at(billing) == ("values.yaml", 7)  # api.env.ENABLE_BILLING_RETRY_WORKER
