#!/usr/bin/env bash
# README command 2: run every test against real servers.
#
# Provisions PostgreSQL + pgvector and Redis the way deploy/local/up.sh does (deploy/local/infra.sh), imports the
# models when missing, builds the solution, runs the unit, integration and end-to-end tests and the deployment checks,
# stops what it started, and ends with one line: "N passed, N failed" (", N skipped" when any were skipped).
# Exit status 0 only when nothing failed. Results: tests/artifacts/ (git-ignored).
set -uo pipefail
FP_TAG=tests
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/local/lib.sh"
set -e

require_dotnet
artifacts="$FP_ROOT/tests/artifacts"
rm -rf "$artifacts/results"
mkdir -p "$artifacts/results"

started_infra=0
if ! "$FP_ROOT/deploy/local/infra.sh" status >/dev/null 2>&1; then
  started_infra=1
fi
"$FP_ROOT/deploy/local/infra.sh" start
eval "$("$FP_ROOT/deploy/local/infra.sh" env)"
export FACEPLATFORM_POSTGRES FACEPLATFORM_REDIS

cleanup() {
  if (( started_infra )); then
    "$FP_ROOT/deploy/local/infra.sh" stop || true
  fi
}
trap cleanup EXIT

import_models
build_web
build_solution || true
set +e

passed=0
failed=0
skipped=0

# Adds the counts of a check suite's last line "NAME: N passed, M failed" to the totals; no such line is a failure.
add_summary() {
  local name="$1" log="$2" line ok bad
  line="$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)"
  if [[ -z "$line" ]]; then
    say "$name printed no summary"
    failed=$((failed + 1))
    return
  fi
  read -r ok bad <<<"$(sed -E "s/^$name: ([0-9]+) passed, ([0-9]+) failed.*/\\1 \\2/" <<<"$line")"
  passed=$((passed + ok))
  failed=$((failed + bad))
}

# First: they install the Node tools (tests/deploy/node_modules) and Debian's prometheus package (promtool for the
# alert-rule unit tests; the prometheus binary for the end-to-end DashboardQueryTests), which later tests use too.
if [[ -x "$FP_ROOT/tests/deploy/check.sh" ]]; then
  say "running deployment checks (Helm chart, Kubernetes schemas, Dockerfiles, promtool alert-rule tests)"
  "$FP_ROOT/tests/deploy/check.sh" 2>&1 | tee "$artifacts/deploy-checks.log"
  add_summary deploy-checks "$artifacts/deploy-checks.log"
fi

# The protobuf contracts: buf lint, the public contract's independence and breaking changes against the released
# baseline (tests/contracts/run.sh installs buf from npm beside itself).
if [[ -x "$FP_ROOT/tests/contracts/run.sh" ]]; then
  say "running contract checks (buf lint and breaking, protos/)"
  "$FP_ROOT/tests/contracts/run.sh" 2>&1 | tee "$artifacts/contract-checks.log"
  add_summary contract-checks "$artifacts/contract-checks.log"
fi

say "running .NET tests (unit, integration on ${FACEPLATFORM_POSTGRES%%;Username*} and Redis ${FACEPLATFORM_REDIS%%,*}, end-to-end)"
FACEPLATFORM_CONFIGURATION=Release dotnet test "$FP_ROOT/FacePlatform.sln" -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$artifacts/results" \
  2>&1 | tee "$artifacts/dotnet-test.log" | grep -E '^\s*(Passed|Failed|Skipped) FacePlatform|^(Passed|Failed)!|^\s*Error Message|^\s+(Assert|System)\.' || true

trx_count=0
for trx in "$artifacts"/results/*.trx; do
  [[ -f "$trx" ]] || continue
  trx_count=$((trx_count + 1))
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  value() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  total="$(value total)"; ok="$(value passed)"; bad="$(value failed)"; errors="$(value error)"; executed="$(value executed)"
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${bad:-0} + ${errors:-0}))
  skipped=$((skipped + ${total:-0} - ${executed:-0}))
done
expected_projects=0
while read -r project; do
  [[ "$project" == *.csproj ]] && grep -q 'Microsoft.NET.Test.Sdk' "$FP_ROOT/$project" && expected_projects=$((expected_projects + 1))
done < <(dotnet sln "$FP_ROOT/FacePlatform.sln" list 2>/dev/null | tr '\\' '/')
if (( trx_count < expected_projects )); then
  say "only $trx_count of $expected_projects test projects reported results (a test host crashed or did not build)"
  failed=$((failed + expected_projects - trx_count))
fi

# Browser tests of the web UI against the platform started the way a user starts it (deploy/local/up.sh).
if [[ -x "$FP_ROOT/tests/web/run.sh" ]]; then
  say "starting the platform for the browser tests"
  services_were_running=0
  curl -fsS -o /dev/null "http://127.0.0.1:${FACEPLATFORM_HTTP_PORT:-8080}/readyz" 2>/dev/null && services_were_running=1
  if "$FP_ROOT/deploy/local/up.sh" --detach > "$artifacts/up.log" 2>&1; then
    FACEPLATFORM_URL="http://127.0.0.1:${FACEPLATFORM_HTTP_PORT:-8080}" FACEPLATFORM_ADMIN_KEY="$(tr -d '\n' < "$FP_DATA/admin-api-key")" \
      "$FP_ROOT/tests/web/run.sh" 2>&1 | tee "$artifacts/web-checks.log"
    add_summary web-checks "$artifacts/web-checks.log"
    # The TypeScript client and the Python example against the same platform (the .NET client's tests ran above).
    FACEPLATFORM_URL="http://127.0.0.1:${FACEPLATFORM_HTTP_PORT:-8080}" FACEPLATFORM_ADMIN_KEY="$(tr -d '\n' < "$FP_DATA/admin-api-key")" \
      "$FP_ROOT/tests/clients/run.sh" 2>&1 | tee "$artifacts/client-checks.log"
    add_summary client-checks "$artifacts/client-checks.log"
  else
    say "the platform did not start for the browser and client tests; see tests/artifacts/up.log"
    tail -n 20 "$artifacts/up.log"
    failed=$((failed + 2))
  fi
  (( services_were_running )) || "$FP_ROOT/deploy/local/down.sh" --services-only > /dev/null 2>&1 || true
fi


trap - EXIT
cleanup

# The failures again, right above the total, so that the last lines of a long log name them (with their messages).
if (( failed > 0 )); then
  say "what failed:"
  awk '/^[[:space:]]*Failed FacePlatform/ { n = 12 } n > 0 { print; n-- }' "$artifacts/dotnet-test.log" 2>/dev/null | cut -c1-400
  for log in "$artifacts/deploy-checks.log" "$artifacts/contract-checks.log" "$artifacts/web-checks.log" "$artifacts/client-checks.log"; do
    [[ -f "$log" ]] && grep -E '^FAIL ' "$log" | cut -c1-400
  done
fi
summary="$passed passed, $failed failed"
(( skipped > 0 )) && summary="$summary, $skipped skipped"
echo "$summary"
(( failed == 0 ))
