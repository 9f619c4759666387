"""render.py: the reference chart rendered with Helm's SDK, the helm-binary path (a fake `helm`
on PATH), render failures, and neither renderer installed."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from starter_lint import render
from starter_lint.errors import StarterLintError
from starter_lint.options import Options
from starter_lint.pipeline import build_context, plan_targets

from .chart_specs import write_chart
from .support import NEEDS_HELM_SDK, REPO, cli

CHART = REPO / "examples" / "chart"
PROD = REPO / "examples" / "values.prod.yaml"

pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)


def context_for(tmp_path, values_text=None, chart=CHART, **option_changes):
    files = []
    if values_text is not None:
        path = tmp_path / "values.yaml"
        path.write_text(textwrap.dedent(values_text), encoding="utf-8")
        files.append(str(path))
    options = Options(files=files, chart=str(chart), cwd=str(tmp_path), **option_changes)
    ctx, problems = build_context(plan_targets(options)[0], options)
    assert not problems
    return ctx, options


def prod_context(tmp_path, **option_changes):
    options = Options(files=[str(PROD)], chart=str(CHART), cwd=str(tmp_path), **option_changes)
    ctx, _ = build_context(plan_targets(options)[0], options)
    return ctx, options


def by_kind_and_name(manifests) -> dict:
    return {(o.kind, o.name): o for o in manifests.objects}


def container(obj, index=0) -> dict:
    return obj.get("spec", "template", "spec", "containers", index)


def env_of(obj) -> dict:
    return {e["name"]: e.get("value") for e in container(obj).get("env", [])}


@pytest.fixture()
def no_helm_binary(monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(
        render.shutil, "which", lambda name, *a, **k: None if name == "helm" else real_which(name, *a, **k)
    )


@pytest.fixture(scope="module")
def prod_render(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("prod")
    ctx, options = prod_context(tmp_path, namespace="prod")
    real_which = shutil.which
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            render.shutil,
            "which",
            lambda name, *a, **k: None if name == "helm" else real_which(name, *a, **k),
        )
        return render.render_chart(str(CHART), ctx, options)


# ---------------------------------------------------------------------------------------------
# The reference chart through Helm's SDK


def test_prod_render_has_every_object_of_the_guide(prod_render):
    objects = by_kind_and_name(prod_render)
    assert set(objects) == {
        ("Deployment", "starter-api"),
        ("Deployment", "starter-web"),
        ("Deployment", "starter-worker"),
        ("Service", "starter-api"),
        ("Service", "starter-web"),
        ("HorizontalPodAutoscaler", "starter-api"),
        ("HorizontalPodAutoscaler", "starter-web"),
        ("Ingress", "starter"),
        ("ExternalSecret", "starter-api-secrets"),
        ("ExternalSecret", "starter-worker-secrets"),
    }
    assert prod_render.rendered_by == "helm-python-sdk"
    assert len(prod_render.files) == 1
    assert prod_render.files[0].startswith("<rendered ") and prod_render.files[0].endswith("examples/chart>")
    assert objects[("HorizontalPodAutoscaler", "starter-api")].template == "starter/templates/hpa.yaml"
    assert objects[("Deployment", "starter-api")].template == "starter/templates/api-deployment.yaml"


def test_prod_render_follows_helm_install_order(prod_render):
    kinds = [o.kind for o in prod_render.objects]
    first = {kind: kinds.index(kind) for kind in kinds}
    assert first["Service"] < first["Deployment"] < first["HorizontalPodAutoscaler"] < first["Ingress"]
    assert kinds[-2:] == ["ExternalSecret", "ExternalSecret"]  # kinds Helm does not know go last


def test_prod_render_values_reach_the_objects(prod_render):
    objects = by_kind_and_name(prod_render)
    api = objects[("Deployment", "starter-api")]
    assert container(api)["image"] == "registry.example.org/starter/app-api:1.8.2"
    assert container(api)["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert (
        container(objects[("Deployment", "starter-web")])["readinessProbe"]["httpGet"]["path"]
        == "/api/health/ready"
    )
    assert container(api)["resources"] == {
        "requests": {"cpu": "500m", "memory": "512Mi"},
        "limits": {"memory": "1Gi"},
    }
    assert container(api)["envFrom"] == [{"secretRef": {"name": "starter-api-secrets"}}]
    # the web app maps no secrets: no ExternalSecret and no envFrom for it
    assert "envFrom" not in container(objects[("Deployment", "starter-web")])
    hpa = objects[("HorizontalPodAutoscaler", "starter-api")]
    assert (hpa.get("spec", "minReplicas"), hpa.get("spec", "maxReplicas")) == (3, 12)
    assert hpa.get("spec", "metrics", 0, "resource", "target", "averageUtilization") == 75
    assert "replicas" not in api.get("spec")  # the HPA owns the replica count
    external = objects[("ExternalSecret", "starter-api-secrets")]
    assert external.api_version == "external-secrets.io/v1"
    assert external.get("spec", "secretStoreRef") == {
        "name": "platform-secrets",
        "kind": "ClusterSecretStore",
    }
    assert external.get("spec", "target", "name") == "starter-api-secrets"
    assert [d["secretKey"] for d in external.get("spec", "data")] == ["DATABASE_URL", "REDIS_URL"]


def test_prod_render_routes_ingress_as_the_guide_says(prod_render):
    ingress = by_kind_and_name(prod_render)[("Ingress", "starter")]
    spec = ingress.get("spec")
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [
        {"hosts": ["app.acme-corp.io"], "secretName": "app-acme-corp-tls"},
        {"hosts": ["api.acme-corp.io"], "secretName": "api-acme-corp-tls"},
    ]
    app, api = spec["rules"]
    assert app["host"] == "app.acme-corp.io"
    assert {(p["path"], p["backend"]["service"]["name"]) for p in app["http"]["paths"]} == {
        ("/api", "starter-web"),
        ("/", "starter-web"),
    }
    assert api["host"] == "api.acme-corp.io"
    assert [(p["path"], p["backend"]["service"]["name"]) for p in api["http"]["paths"]] == [
        ("/", "starter-api")
    ]


def test_worker_turns_billing_off_in_the_api(prod_render):
    objects = by_kind_and_name(prod_render)
    api_env = env_of(objects[("Deployment", "starter-api")])
    assert api_env["ENABLE_BILLING_RETRY_WORKER"] == "false"
    assert api_env["ENABLE_BILLING_STREAM_REPLAY"] == "false"
    worker = objects[("Deployment", "starter-worker")]
    assert env_of(worker)["BILLING_RETRY_DEPLOYMENT_MODE"] == "dedicated"
    assert container(worker)["image"] == "registry.example.org/starter/app-api:1.8.2"
    assert worker.get("spec", "replicas") == 1


def test_api_env_overrides_the_auto_disable_one_flag_at_a_time(tmp_path, no_helm_binary):
    ctx, options = context_for(
        tmp_path,
        """
        worker: {enabled: true}
        api:
          env:
            ENABLE_BILLING_RETRY_WORKER: "true"
            WORKERS: 4
            DEBUG: true
        """,
    )
    api = by_kind_and_name(render.render_chart(str(CHART), ctx, options))[("Deployment", "starter-api")]
    env = env_of(api)
    assert env["ENABLE_BILLING_RETRY_WORKER"] == "true"
    assert env["ENABLE_BILLING_STREAM_REPLAY"] == "false"
    # env values are rendered as strings, whatever YAML type the values file used
    assert env["WORKERS"] == "4" and env["DEBUG"] == "true"


def test_defaults_render_without_worker_or_secrets(tmp_path, no_helm_binary):
    ctx, options = context_for(tmp_path)
    manifests = render.render_chart(str(CHART), ctx, options)
    kinds = sorted(o.kind for o in manifests.objects)
    assert kinds == [
        "Deployment",
        "Deployment",
        "HorizontalPodAutoscaler",
        "HorizontalPodAutoscaler",
        "Ingress",
        "Service",
        "Service",
    ]
    api = by_kind_and_name(manifests)[("Deployment", "starter-api")]
    assert "env" not in container(api)  # no env at all: the billing flags stay the app default (on)
    assert not manifests.problems


def test_static_secrets_and_secret_name_override(tmp_path, no_helm_binary):
    ctx, options = context_for(
        tmp_path,
        """
        externalSecrets: {enabled: false}
        autoscaling: {enabled: false}
        api:
          secretName: api-env
          secrets:
            DATABASE_URL: "postgres://app:pw@db/app"
        web:
          secrets: {}
        """,
    )
    objects = by_kind_and_name(render.render_chart(str(CHART), ctx, options))
    secret = objects[("Secret", "api-env")]
    assert secret.get("stringData") == {"DATABASE_URL": "postgres://app:pw@db/app"}
    assert container(objects[("Deployment", "starter-api")])["envFrom"] == [
        {"secretRef": {"name": "api-env"}}
    ]
    assert not any(kind == "ExternalSecret" for kind, _ in objects)
    assert objects[("Deployment", "starter-api")].get("spec", "replicas") == 1
    assert not any(kind == "HorizontalPodAutoscaler" for kind, _ in objects)


def test_a_user_null_deletes_a_chart_default(tmp_path, no_helm_binary):
    ctx, options = context_for(
        tmp_path,
        """
        api:
          resources: null
        ingress:
          enabled: false
        """,
    )
    assert "resources" not in ctx.values.values["api"]
    objects = by_kind_and_name(render.render_chart(str(CHART), ctx, options))
    assert "resources" not in container(objects[("Deployment", "starter-api")])
    assert "resources" in container(objects[("Deployment", "starter-web")])
    assert ("Ingress", "starter") not in objects


def test_render_values_are_what_helm_is_handed(tmp_path):
    # the user's values, nulls kept: Helm coalesces them over the chart's defaults itself
    ctx, _ = context_for(tmp_path, "api: {resources: null}\n", set=[("api.replicas=3", "set")])
    assert render.render_values(ctx) == {"api": {"resources": None, "replicas": 3}}
    assert ctx.values.values["api"]["image"] == "registry/app-api:tag"  # the checks see defaults


def test_a_user_null_deletes_a_subchart_default_in_the_render(tmp_path, no_helm_binary):
    # Helm deletes `sub.image.tag` (a subchart's default) when the user sets it to null; the
    # render must see that, as `values` does
    chart = write_chart(
        {
            "name": "top",
            "values": "sub:\n  enabled: true\n",
            "deps": [{"name": "sub", "condition": "sub.enabled"}],
            "charts": [{"name": "sub", "values": "image:\n  repo: r\n  tag: '1.0'\n", "archive": True}],
        },
        tmp_path / "chart",
    )
    (chart / "templates" / "values.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: top\n"
        "data:\n  image: {{ printf \"%v\" .Values.sub.image | quote }}\n"
    )
    ctx, options = context_for(tmp_path, "sub:\n  image:\n    tag: null\n", chart=chart)
    assert ctx.values.values["sub"]["image"] == {"repo": "r"}
    (configmap,) = [o for o in render.render_chart(str(chart), ctx, options).objects if o.kind == "ConfigMap"]
    assert configmap.obj["data"]["image"] == "map[repo:r]"


def test_release_name_and_namespace_are_passed(tmp_path, no_helm_binary):
    ctx, options = prod_context(tmp_path, release_name="shop", namespace="prod")
    manifests = render.render_chart(str(CHART), ctx, options)
    names = {o.name for o in manifests.objects}
    assert "shop-starter-api" in names and "shop-starter" in names


def test_a_template_error_is_one_clear_error(tmp_path, no_helm_binary):
    chart = tmp_path / "chart"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "broken.yaml").write_text("kind: {{ .Values.api.image | nosuchfunction }}\n")
    ctx, options = context_for(tmp_path, chart=chart)
    with pytest.raises(StarterLintError) as caught:
        render.render_chart(str(chart), ctx, options)
    assert "broken.yaml" in str(caught.value) and "nosuchfunction" in str(caught.value)
    assert caught.value.exit_code == 2


# ---------------------------------------------------------------------------------------------
# join_rendered: the SDK's per-template map as `helm template` prints it


def test_join_rendered_orders_kinds_and_drops_empty_documents_partials_and_notes():
    text = render.join_rendered(
        {
            "c/templates/z-ingress.yaml": "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n",
            "c/templates/a-deploy.yaml": "\n---\n# a comment\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n---\n\n",
            "c/templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n",
            "c/templates/es.yaml": "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: e\n",
            "c/templates/_helpers.tpl": "kind: Secret\n",
            "c/templates/NOTES.txt": "Thanks for installing\n",
            "c/templates/empty.yaml": "\n\n",
        }
    )
    sources = [line for line in text.splitlines() if line.startswith("# Source:")]
    assert sources == [
        "# Source: c/templates/svc.yaml",
        "# Source: c/templates/a-deploy.yaml",
        "# Source: c/templates/z-ingress.yaml",
        "# Source: c/templates/es.yaml",
    ]
    assert text.startswith("---\n# Source: c/templates/svc.yaml\napiVersion: v1\n")
    assert "Thanks" not in text and text.count("---\n") == 4


# ---------------------------------------------------------------------------------------------
# The helm binary path, with a fake `helm` on PATH

FAKE_HELM = """#!{python}
import json, sys, time
args = sys.argv[1:]
with open({record!r}, "w") as out:
    values = json.load(open(args[args.index("-f") + 1]))
    json.dump({{"args": args, "values": values}}, out)
mode = {mode!r}
if mode == "fail":
    sys.stderr.write("walk.go:75: found symbolic link\\nError: template: starter/templates/hpa.yaml:9:3: executing \\"x\\"\\n")
    sys.exit(1)
if mode == "slow":
    time.sleep(5)
sys.stdout.write("---\\n# Source: starter/templates/svc.yaml\\napiVersion: v1\\nkind: Service\\nmetadata:\\n  name: from-helm\\n")
"""


def install_fake_helm(tmp_path, monkeypatch, mode="ok") -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "helm-call.json"
    helm = bin_dir / "helm"
    helm.write_text(FAKE_HELM.format(python=sys.executable, record=str(record), mode=mode), encoding="utf-8")
    helm.chmod(helm.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    return record


def test_helm_binary_is_preferred_and_called_like_helm_template(tmp_path, monkeypatch):
    record = install_fake_helm(tmp_path, monkeypatch)
    ctx, options = prod_context(tmp_path, release_name="shop", namespace="prod", kube_version="1.29")
    manifests = render.render_chart(str(CHART), ctx, options)
    call = json.loads(record.read_text())
    args = call["args"]
    assert args[:3] == ["template", "shop", str(CHART)]
    assert args[args.index("--namespace") + 1] == "prod"
    assert args[args.index("--kube-version") + 1] == "1.29"
    assert call["values"]["api"]["image"] == "registry.example.org/starter/app-api:1.8.2"
    assert call["values"]["worker"]["enabled"] is True
    assert manifests.rendered_by == "helm"
    assert [(o.kind, o.name, o.template) for o in manifests.objects] == [
        ("Service", "from-helm", "starter/templates/svc.yaml")
    ]
    # the values file is temporary
    assert not Path(args[args.index("-f") + 1]).exists()


def test_helm_binary_failure_names_the_template_error(tmp_path, monkeypatch):
    install_fake_helm(tmp_path, monkeypatch, mode="fail")
    ctx, options = prod_context(tmp_path)
    with pytest.raises(StarterLintError) as caught:
        render.render_chart(str(CHART), ctx, options)
    assert "Error: template: starter/templates/hpa.yaml:9:3" in str(caught.value)


def test_helm_binary_that_hangs_is_stopped(tmp_path, monkeypatch):
    install_fake_helm(tmp_path, monkeypatch, mode="slow")
    ctx, options = prod_context(tmp_path, render_timeout=0.5)
    with pytest.raises(StarterLintError, match=r"did not finish within 0\.5 s"):
        render.render_chart(str(CHART), ctx, options)


# ---------------------------------------------------------------------------------------------
# Neither renderer


def test_neither_helm_nor_the_sdk_is_exit_2_with_the_install_hint(tmp_path, monkeypatch, no_helm_binary):
    monkeypatch.setitem(sys.modules, "helm_python", None)  # `import helm_python` raises ImportError
    ctx, options = prod_context(tmp_path)
    with pytest.raises(StarterLintError) as caught:
        render.render_chart(str(CHART), ctx, options)
    message = str(caught.value)
    assert "pip install 'starter-lint[helm]'" in message and "helm" in message
    assert caught.value.exit_code == 2


def test_cli_render_failure_is_one_line_and_exit_2(tmp_path):
    chart = tmp_path / "chart"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "broken.yaml").write_text("{{ fail \"the chart refuses\" }}\n")
    env = {
        "PATH": os.pathsep.join(
            p for p in os.environ.get("PATH", "").split(os.pathsep) if not (Path(p) / "helm").exists()
        )
    }
    done = cli("check", "--chart", str(chart), "-f", str(PROD), cwd=str(tmp_path), env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the chart refuses" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("failure", ["import", "native"])
def test_a_broken_sdk_is_exit_2_naming_the_cause(tmp_path, monkeypatch, no_helm_binary, failure):
    """helm-python-sdk installed but unusable: its native library fails on import or first call."""
    fake = tmp_path / "fake-sdk" / "helm_python"
    fake.mkdir(parents=True)
    if failure == "import":
        fake.joinpath("__init__.py").write_text(
            "raise OSError('libhelm_c.so.0: cannot open shared object file: No such file or directory')\n"
        )
    else:
        fake.joinpath("__init__.py").write_text(
            "class HelmError(Exception):\n    pass\n\n"
            "class Chart:\n    @classmethod\n    def load(cls, path):\n"
            "        raise OSError('libhelm_c.so.0: wrong ELF class: ELFCLASS32')\n"
        )
    monkeypatch.delitem(sys.modules, "helm_python", raising=False)
    monkeypatch.syspath_prepend(str(fake.parent))
    ctx, options = prod_context(tmp_path)
    with pytest.raises(StarterLintError) as caught:
        render.render_chart(str(CHART), ctx, options)
    message = str(caught.value)
    assert "helm-python-sdk is installed but failed to load" in message
    assert "libhelm_c.so.0" in message
    sys.modules.pop("helm_python", None)  # never leave the fake behind for other tests


def test_values_that_break_the_render_are_findings_not_a_tool_failure(tmp_path):
    """A values mistake (a number where the chart expects a map) is SL100 with the failed render
    (SL705) as its related location, exit 1, and Helm's Go log lines never reach stderr."""
    (tmp_path / "p.yaml").write_text("autoscaling:\n  api: 3\n")
    env = {
        "PATH": os.pathsep.join(
            p for p in os.environ.get("PATH", "").split(os.pathsep) if not (Path(p) / "helm").exists()
        )
    }
    done = cli(
        "check",
        "-f",
        str(PROD),
        "-f",
        "p.yaml",
        "--chart",
        str(CHART),
        "--format",
        "json",
        cwd=str(tmp_path),
        env=env,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    rules = {f["rule"]: f for f in json.loads(done.stdout)["targets"][0]["findings"]}
    related = {r["rule"]: r for r in rules["SL100"]["related"]}
    assert rules["SL100"]["line"] == 2 and related["SL705"]["path"] == "p.yaml" and "SL705" not in rules
