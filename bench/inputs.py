"""The benchmark's inputs (bench/README.md), generated, deterministic, in one module that
bench/run.py and the tests both use (tests/test_bench_inputs.py checks the reports of the same
inputs, smaller, with the fast paths on and off).

- one release: 12 documents of the starter chart's shape in one file;
- N releases (500 in the benchmark): the same with N release names, one file each, all in the
  release namespace;
- one namespace (3,000 Deployments in the benchmark: 1,000 releases): the same plus, per release,
  a metrics Service that selects every worker pod of the namespace by one shared label, so
  selectors both match one workload and many (docs/design/performance.md);
- a 20 MB stream: releases in one file until it reaches the size.
"""

from __future__ import annotations

import shutil
from pathlib import Path


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


# a Service of each release that selects every worker of the namespace (one shared label)
METRICS_SERVICE = """\
---
# Source: starter/templates/metrics-service.yaml
apiVersion: v1
kind: Service
metadata:
  name: {r}-starter-metrics
spec:
  selector: {{app.kubernetes.io/component: worker}}
  ports:
    - {{name: metrics, port: 9090, targetPort: http, protocol: TCP}}
"""


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def one_release(path: Path, name: str = "shop") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RELEASE.format(r=name), encoding="utf-8")
    return path


def releases(folder: Path, count: int) -> Path:
    """`count` releases, one file each (names r000, r001, …)."""
    _fresh(folder)
    width = max(3, len(str(count - 1)))
    for i in range(count):
        (folder / f"release-{i:0{width}d}.yaml").write_text(
            RELEASE.format(r=f"r{i:0{width}d}"), encoding="utf-8"
        )
    return folder


def one_namespace(folder: Path, count: int) -> Path:
    """`count` releases with their metrics Services, one file each: 3 Deployments, 3 Services, 2
    HPAs and an Ingress per release, all in the release namespace."""
    _fresh(folder)
    width = max(4, len(str(count - 1)))
    template = RELEASE + METRICS_SERVICE
    for i in range(count):
        (folder / f"release-{i:0{width}d}.yaml").write_text(
            template.format(r=f"r{i:0{width}d}"), encoding="utf-8"
        )
    return folder


def stream(path: Path, size: int) -> Path:
    """Releases one after the other in one file, until it holds at least `size` characters."""
    path.parent.mkdir(parents=True, exist_ok=True)
    parts, total, i = [], 0, 0
    while total < size:
        part = RELEASE.format(r=f"r{i:05d}")
        parts.append(part)
        total += len(part)
        i += 1
    path.write_text("".join(parts), encoding="utf-8")
    return path


def targets_config(path: Path, folder: Path, targets: int) -> Path:
    """A config that checks the files of `folder` as `targets` targets (for `check -j`)."""
    files = sorted(folder.glob("*.yaml"))
    lines = ["targets:"]
    for t in range(targets):
        part = files[t::targets]
        lines.append(f"  part{t}:")
        lines.append("    manifests:")
        lines += [f"      - {f.relative_to(path.parent).as_posix()}" for f in part]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
