#!/usr/bin/env python3
"""Generates a tree of Helm-chart-like YAML for the Kubernetes analyzer's benchmark.

Each chart has a Chart.yaml, a large values.yaml (nested settings for several components, as
the big community charts have), templated manifests and a few rendered ones (Deployment,
Service, ConfigMap, Secret with base64 data). About one chart in ten carries a synthetic
password or token (random characters, never a real credential), so the analyzer has work to
report. Seeded: the same arguments always give the same tree.

usage: make_helm.py DIR CHARTS
"""

import base64
import os
import random
import string
import sys

WORDS = (
    "api worker cache queue gateway auth metrics ingest search billing mailer scheduler "
    "frontend backend store proxy index report export import notify audit"
).split()


def token(rng, n):
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def component(rng, name, secret):
    lines = [
        f"{name}:",
        "  enabled: true",
        f"  replicaCount: {rng.randint(1, 5)}",
        "  image:",
        "    registry: docker.io",
        f"    repository: example/{name}",
        f"    tag: {rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
        "    pullPolicy: IfNotPresent",
        "  resources:",
        "    limits:",
        f"      cpu: {rng.randint(100, 2000)}m",
        f"      memory: {rng.choice([128, 256, 512, 1024])}Mi",
        "  service:",
        "    type: ClusterIP",
        f"    port: {rng.randint(1024, 9999)}",
        "  podAnnotations: {}",
        "  nodeSelector: {}",
        "  tolerations: []",
        "  extraEnv:",
    ]
    for i in range(rng.randint(5, 25)):
        key = f"{rng.choice(WORDS).upper()}_{rng.choice(WORDS).upper()}_{i}"
        lines += [f"    - name: {key}", f"      value: \"{rng.choice(WORDS)}-{i}\""]
    lines += ["  auth:", "    existingSecret: \"\""]
    if secret:
        lines.append(f"    password: \"{token(rng, 24)}\"")
    else:
        lines.append("    password: \"\"  # set at install time")
    lines += [
        "  # -- Liveness probe; see the Kubernetes documentation for the fields.",
        "  livenessProbe:",
        "    httpGet:",
        "      path: /healthz",
        "      port: http",
        f"    initialDelaySeconds: {rng.randint(5, 60)}",
    ]
    return "\n".join(lines) + "\n"


TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ include "{chart}.fullname" . }}}}-{name}
  labels:
    {{{{- include "{chart}.labels" . | nindent 4 }}}}
spec:
  replicas: {{{{ .Values.{name}.replicaCount }}}}
  template:
    spec:
      containers:
        - name: {name}
          image: "{{{{ .Values.{name}.image.registry }}}}/{{{{ .Values.{name}.image.repository }}}}"
          env:
            {{{{- toYaml .Values.{name}.extraEnv | nindent 12 }}}}
"""


def rendered_secret(rng, chart, secret):
    value = token(rng, 32) if secret else "changeme"
    data = base64.b64encode(value.encode()).decode()
    return (
        "apiVersion: v1\nkind: Secret\nmetadata:\n"
        f"  name: {chart}-credentials\ntype: Opaque\ndata:\n  api-key: {data}\n"
    )


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def chart(rng, root, index):
    name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{index}"
    secret = rng.random() < 0.1
    base = os.path.join(root, "charts", name)
    write(f"{base}/Chart.yaml", f"apiVersion: v2\nname: {name}\nversion: 1.{index}.0\n")
    parts = rng.sample(WORDS, rng.randint(4, 10))
    values = "".join(component(rng, p, secret and i == 0) for i, p in enumerate(parts))
    write(f"{base}/values.yaml", values)
    for p in parts:
        write(f"{base}/templates/{p}-deployment.yaml", TEMPLATE.format(chart=name, name=p))
    write(f"{base}/rendered/secret.yaml", rendered_secret(rng, name, secret))


def main():
    root, charts = sys.argv[1], int(sys.argv[2])
    rng = random.Random(6)
    for i in range(charts):
        chart(rng, root, i)


if __name__ == "__main__":
    main()
