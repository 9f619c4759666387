#!/usr/bin/env python3
"""Benchmark: starter-lint's built-in validator vs kubeconform and kubernetes-validate (docs/design/performance.md).

Generates two inputs into bench/out/ — one release (13 documents, one file) and 500 releases
(6,500 documents in 500 files) — then measures, in this one run, the median wall time and peak
RSS of cold processes:
  - `starter-lint check --validator builtin --manifests INPUT` (manifest rules only),
  - `kubeconform -n 2 -strict -summary` with the same standalone schemas, when it is on PATH,
  - `kubernetes-validate --strict -k 1.27.0` (the Python reference; one process per run).
It prints a table and the ratios starter-lint / reference. Without kubeconform the reference is
kubernetes-validate measured here, and kubeconform's recorded times (bench/README.md) are shown
beside it for scale, labelled as recorded.

    python bench/run.py [--repeat 5] [--skip-large] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
# kubeconform v0.7.0, standalone schemas, medians on this class of machine (bench/README.md)
RECORDED_KUBECONFORM = {"one release": 0.116, "500 releases": 1.33}


def _env(**pairs) -> str:
    return "".join(f"\n            - {{{{name: {k}, value: \"{v}\"}}}}" for k, v in pairs.items())


# A clean, realistic release: billing runs in the dedicated worker only (SL806), probes on the
# guide's paths (SL807); the worker runs the API image.
_BILLING_OFF = _env(ENABLE_BILLING_RETRY_WORKER="false", ENABLE_BILLING_STREAM_REPLAY="false")
_WORKLOAD = {
    "api": {"replicas": 2, "image": "api", "probe": "/health/ready", "env": _BILLING_OFF},
    "web": {"replicas": 2, "image": "web", "probe": "/api/health/ready", "env": _BILLING_OFF},
    "worker": {
        "replicas": 1,
        "image": "api",
        "probe": "/health/ready",
        "env": _env(
            ENABLE_BILLING_RETRY_WORKER="true",
            ENABLE_BILLING_STREAM_REPLAY="true",
            BILLING_RETRY_DEPLOYMENT_MODE="dedicated",
        ),
    },
}

RELEASE = (
    """\
---
# Source: starter/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {r}-starter
  labels: {{app.kubernetes.io/instance: {r}}}
---
# Source: starter/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: {r}-starter-env
data:
  ENVIRONMENT: production
  APP_PUBLIC_URL: https://{r}.example.org
  SECRETS_PROVIDER: vault
---
# Source: starter/templates/secretstore.yaml
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: {r}-vault
spec:
  provider:
    vault:
      server: https://vault.example.org
      path: secret
      version: v2
      auth:
        tokenSecretRef: {{name: vault-token, key: token}}
---
# Source: starter/templates/externalsecret.yaml
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: {r}-starter
spec:
  refreshInterval: 1h
  secretStoreRef: {{name: {r}-vault, kind: SecretStore}}
  target: {{name: {r}-starter-secrets}}
  data:
    - secretKey: DATABASE_URL
      remoteRef: {{key: {r}/database-url}}
    - secretKey: REDIS_URL
      remoteRef: {{key: {r}/redis-url}}
---
# Source: starter/templates/api-service.yaml
apiVersion: v1
kind: Service
metadata:
  name: {r}-starter-api
spec:
  selector: {{app.kubernetes.io/instance: {r}, app.kubernetes.io/component: api}}
  ports:
    - {{name: http, port: 80, targetPort: http, protocol: TCP}}
---
# Source: starter/templates/web-service.yaml
apiVersion: v1
kind: Service
metadata:
  name: {r}-starter-web
spec:
  selector: {{app.kubernetes.io/instance: {r}, app.kubernetes.io/component: web}}
  ports:
    - {{name: http, port: 80, targetPort: http, protocol: TCP}}
"""
    + "".join(
        """\
---
# Source: starter/templates/{c}-deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{r}}-starter-{c}
  labels: {{{{app.kubernetes.io/instance: {{r}}, app.kubernetes.io/component: {c}}}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{{{app.kubernetes.io/instance: {{r}}, app.kubernetes.io/component: {c}}}}}
  template:
    metadata:
      labels: {{{{app.kubernetes.io/instance: {{r}}, app.kubernetes.io/component: {c}}}}}
    spec:
      serviceAccountName: {{r}}-starter
      securityContext: {{{{runAsNonRoot: true, fsGroup: 1000}}}}
      containers:
        - name: {c}
          image: registry.example.org/app-{image}:1.4.2
          imagePullPolicy: IfNotPresent
          env:{env}
          ports:
            - {{{{name: http, containerPort: 8080, protocol: TCP}}}}
          envFrom:
            - configMapRef: {{{{name: {{r}}-starter-env}}}}
            - secretRef: {{{{name: {{r}}-starter-secrets}}}}
          readinessProbe:
            httpGet: {{{{path: {probe}, port: http}}}}
            periodSeconds: 10
          livenessProbe:
            httpGet: {{{{path: /health/live, port: http}}}}
          resources:
            requests: {{{{cpu: 100m, memory: 256Mi}}}}
            limits: {{{{memory: 512Mi}}}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{{{drop: [ALL]}}}}
""".format(c=c, **_WORKLOAD[c])
        for c in ("api", "web", "worker")
    )
    + "".join(
        f"""\
---
# Source: starter/templates/{c}-hpa.yaml
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{r}}-starter-{c}
spec:
  scaleTargetRef: {{{{apiVersion: apps/v1, kind: Deployment, name: {{r}}-starter-{c}}}}}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {{{{type: Utilization, averageUtilization: 70}}}}
"""
        for c in ("api", "web")
    )
    + """\
---
# Source: starter/templates/ingress.yaml
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {r}-starter
  annotations: {{cert-manager.io/cluster-issuer: letsencrypt}}
spec:
  ingressClassName: nginx
  tls:
    - hosts: [{r}.example.org, api.{r}.example.org]
      secretName: {r}-starter-tls
  rules:
    - host: {r}.example.org
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {{service: {{name: {r}-starter-web, port: {{name: http}}}}}}
    - host: api.{r}.example.org
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {{service: {{name: {r}-starter-api, port: {{name: http}}}}}}
"""
)


def generate() -> dict:
    """{label: path} of the generated inputs (rewritten each run: cheap and deterministic)."""
    one = OUT / "one-release"
    many = OUT / "500-releases"
    for folder in (one, many):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    (one / "release.yaml").write_text(RELEASE.format(r="shop"), encoding="utf-8")
    for i in range(500):
        (many / f"release-{i:03d}.yaml").write_text(RELEASE.format(r=f"r{i:03d}"), encoding="utf-8")
    return {"one release": one / "release.yaml", "500 releases": many}


def measure(command: list, repeat: int, env=None) -> dict:
    """Median wall time, median CPU time (user+sys) and peak RSS (MiB) over `repeat` cold runs.

    os.wait4 gives each child's own resource usage, so runs never contaminate each other.
    """
    walls, cpus, peaks = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        stderr = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        walls.append(time.perf_counter() - start)
        child.returncode = os.waitstatus_to_exitcode(status)
        child.stderr.close()
        if child.returncode not in (0, 1):
            return {"error": stderr.decode(errors="replace").strip().splitlines()[-1:]}
        cpus.append(usage.ru_utime + usage.ru_stime)
        peaks.append(usage.ru_maxrss / 1024)
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "rss": max(peaks)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-large", action="store_true", help="only the one-release input")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    inputs = generate()
    if args.skip_large:
        inputs.pop("500 releases")
    python = sys.executable
    env = dict(os.environ)
    # a user's installed package has its bytecode cached; measure that, not recompilation
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # every rule runs, as in a user's pre-commit hook: more work than kubeconform does, same input
    starter = [
        python,
        "-m",
        "starter_lint",
        "check",
        "--validator",
        "builtin",
        "--fail-on",
        "error",
        "-q",
        "--manifests",
    ]
    kubeconform = shutil.which("kubeconform")
    kv = shutil.which("kubernetes-validate") or str(Path(python).with_name("kubernetes-validate"))
    schema_root = None
    if kubeconform:
        sys.path.insert(0, str(HERE.parent))
        from starter_lint.validate.standalone import standalone_dir

        schema_root = str(standalone_dir("1.27"))
    # warm the file-system cache and the schema cache once; every measured run is a cold process
    subprocess.run(
        starter + [str(inputs["one release"])], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )

    results = {}
    for label, path in inputs.items():
        row = {"starter-lint": measure(starter + [str(path)], args.repeat, env)}
        if kubeconform:
            command = [
                kubeconform,
                "-n",
                "2",
                "-strict",
                "-summary",
                "-output",
                "json",
                "-kubernetes-version",
                "1.27.0",
                "-schema-location",
                schema_root,
                "-schema-location",
                str(HERE.parent / "schemas" / "crds" / "{{ .ResourceKind }}{{ .KindSuffix }}.json"),
                str(path),
            ]
            row["kubeconform"] = measure(command, args.repeat, env)
        else:
            row["kubeconform"] = {"absent": True, "recorded_wall": RECORDED_KUBECONFORM[label]}
        if Path(kv).exists():
            files = [str(path)] if path.is_file() else sorted(str(p) for p in path.glob("*.yaml"))
            command = [kv, "--strict", "-k", "1.27.0", "--quiet", *files]
            kv_repeat = args.repeat if label == "one release" else 1  # about 50 s a run
            row["kubernetes-validate"] = measure(command, kv_repeat, env)
        results[label] = row

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'input':14} {'tool':20} {'median wall':>12} {'median CPU':>11} {'peak RSS':>10}")
    for label, row in results.items():
        for tool, data in row.items():
            if data.get("absent"):
                print(
                    f"{label:14} {tool:20} {'absent':>12} {'':>10}  (recorded: {data['recorded_wall']:.3f} s)"
                )
            elif "error" in data:
                print(f"{label:14} {tool:20} {'failed':>12}  {data['error']}")
            else:
                print(
                    f"{label:14} {tool:20} {data['wall']:>10.3f} s {data['cpu']:>9.3f} s {data['rss']:>6.1f} MiB"
                )
    print()
    for label, row in results.items():
        ours = row["starter-lint"].get("wall")
        kc = row["kubeconform"]
        if kc.get("absent"):
            print(
                f"{label}: starter-lint / kubeconform (recorded {kc['recorded_wall']:.3f} s, absent here) "
                f"= {ours / kc['recorded_wall']:.2f}x"
            )
        else:
            print(f"{label}: starter-lint / kubeconform = {ours / kc['wall']:.2f}x")
        kv_row = row.get("kubernetes-validate") or {}
        if kv_row.get("wall"):
            print(f"{label}: starter-lint / kubernetes-validate = {ours / kv_row['wall']:.2f}x")
    one, many = results.get("one release"), results.get("500 releases")
    if one and many:
        print(
            f"peak RSS, 500 releases / one release: starter-lint "
            f"{many['starter-lint']['rss'] / one['starter-lint']['rss']:.1f}x for 500x the documents"
        )
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
