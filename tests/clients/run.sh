#!/usr/bin/env bash
# Checks of the client libraries and examples other than .NET (whose tests run with the end-to-end tests), against a
# running platform:
#   - the TypeScript client of the web page (services/web/src/api) is what the checked-in OpenAPI document generates;
#   - the generated TypeScript client enrols, searches and verifies on the platform (vitest, services/web/tests);
#   - the Python example (examples/python, standard library only) enrols and searches, and reports a refusal.
#
#   FACEPLATFORM_URL=http://localhost:8080 FACEPLATFORM_ADMIN_KEY=... tests/clients/run.sh
#
# FACEPLATFORM_ADMIN_KEY is a platform admin key (default: .data/admin-api-key); the checks make their own tenant and
# key with it. python3 is installed with apt-get when missing; if it cannot be, the Python checks fail (they never skip).
# Prints PASS name / FAIL name: reason per check, then exactly one line "client-checks: N passed, M failed".
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
web="$root/services/web"
passed=0
failed=0

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
finish() { echo "client-checks: $passed passed, $failed failed"; (( failed == 0 )); exit $?; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

command -v node >/dev/null || { fail setup "node is missing (deploy/local/up.sh installs it)"; finish; }
if ! [[ -d "$web/node_modules" && "$web/node_modules/.package-lock.json" -nt "$web/package-lock.json" ]]; then
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || { fail setup "npm ci in services/web failed"; finish; }
fi
if ! command -v python3 >/dev/null; then
  echo "[clients] installing python3 (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y --no-install-recommends python3 >/dev/null 2>&1 \
    || { as_root apt-get update >/dev/null 2>&1 && as_root apt-get install -y --no-install-recommends python3 >/dev/null 2>&1; } || true
fi

export FACEPLATFORM_URL="${FACEPLATFORM_URL:-http://localhost:8080}"
if [[ -z "${FACEPLATFORM_ADMIN_KEY:-}" && -r "$root/.data/admin-api-key" ]]; then
  FACEPLATFORM_ADMIN_KEY="$(tr -d '\n' < "$root/.data/admin-api-key")"
fi
[[ -n "${FACEPLATFORM_ADMIN_KEY:-}" ]] || { fail setup "FACEPLATFORM_ADMIN_KEY is not set (and .data/admin-api-key is not readable)"; finish; }
faces="${FACEPLATFORM_FACES_DIR:-$(cd "$root/.." && pwd)/shared/data/faces}"
export FACEPLATFORM_FACES_DIR="$faces"

# A tenant and a read-write key of its own, so the checks see only their own collections.
json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(!v)process.exit(1);console.log(v)})' "$1"; }
admin() { curl -fsS --max-time 30 -H "X-Api-Key: $FACEPLATFORM_ADMIN_KEY" -H 'Content-Type: application/json' "$@"; }
tenant="$(admin -d "{\"name\":\"clients-$(date +%s)-$$\"}" "$FACEPLATFORM_URL/v1/admin/tenants" | json_field id)" \
  || { fail setup "could not create a tenant at $FACEPLATFORM_URL"; finish; }
FACEPLATFORM_API_KEY="$(admin -d '{"name":"client-checks","scopes":["read","write"]}' "$FACEPLATFORM_URL/v1/admin/tenants/$tenant/keys" | json_field key)" \
  || { fail setup "could not create a key for tenant $tenant"; finish; }
export FACEPLATFORM_API_KEY

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if (cd "$web" && node scripts/check-generated-api.mjs) >"$log" 2>&1; then pass typescript-client-generated-from-the-checked-in-document
else fail typescript-client-generated-from-the-checked-in-document "$(tail -n 3 "$log")"; fi

if (cd "$web" && npx vitest run --config vitest.platform.config.js) >"$log" 2>&1; then pass typescript-client-against-the-platform
else fail typescript-client-against-the-platform "$(grep -E 'FAIL|Error|expected' "$log" | head -n 5)"; fi

example="$root/examples/python/faceplatform_example.py"
knn="$faces/face_recognition/examples/knn_examples"
if ! command -v python3 >/dev/null; then
  fail python-example "python3 is missing and could not be installed with apt-get"
  fail python-example-reports-a-refusal "python3 is missing and could not be installed with apt-get"
else
  if python3 "$example" --enroll "$knn/train/obama/obama.jpg" --name obama --search "$knn/test/obama1.jpg" >"$log" 2>&1 \
      && grep -q '^enrolled obama' "$log" && grep -q '^face 1: obama (' "$log"; then
    pass python-example
  else
    fail python-example "$(tail -n 5 "$log")"
  fi
  if python3 "$example" --enroll "$faces/face-api-js/no_face/white.png" --name nobody --search "$knn/test/obama1.jpg" >"$log" 2>&1; then
    fail python-example-reports-a-refusal "a photo without a face was enrolled: $(tail -n 3 "$log")"
  elif grep -q '^refused: 422' "$log"; then
    pass python-example-reports-a-refusal
  else
    fail python-example-reports-a-refusal "$(tail -n 5 "$log")"
  fi
fi

finish
