#!/usr/bin/env bash
# End-to-end tests of the web page in real Chromium (Debian's `chromium` package, driven by playwright-core; no
# browser download), against a running platform.
#
#   FACEPLATFORM_URL=http://localhost:8080 FACEPLATFORM_ADMIN_KEY=... tests/web/run.sh [test-name-regex]
#
# FACEPLATFORM_URL        the gateway (REST API and the page); default http://localhost:8080
# FACEPLATFORM_ADMIN_KEY  a platform admin key (each test creates its own tenant and key with it);
#                         default: the contents of .data/admin-api-key
# FACEPLATFORM_WEB_URL    where the page is served, when not from the gateway (e.g. `vite preview`); default FACEPLATFORM_URL
# FACEPLATFORM_FACES_DIR  the photo set; default ../shared/data/faces next to the repository
#
# Prints PASS name / FAIL name: reason per test, then exactly one line "web-checks: N passed, M failed"; exit 1 when
# M > 0. Screenshots of every state land in tests/artifacts/web/<test>/ (git-ignored).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

setup_fail() {
  echo "FAIL setup: $*"
  echo "web-checks: 0 passed, 1 failed"
  exit 1
}

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

# Debian's Chromium, once.
if [[ ! -x /usr/bin/chromium ]]; then
  echo "[web] installing chromium (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  { as_root apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
      || { as_root apt-get update >/dev/null 2>&1 && as_root apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; }; } \
    || setup_fail "could not install chromium with apt-get (need root or sudo)"
fi
[[ -x /usr/bin/chromium ]] || setup_fail "/usr/bin/chromium is missing"

command -v node >/dev/null || setup_fail "node is missing (deploy/local/up.sh installs it)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || setup_fail "node $(node --version) is too old; need 20+"

# npm ci, only when the lock file changed since the last install.
npm_ci() {
  local dir="$1"
  if [[ -d "$dir/node_modules" && "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]]; then
    return 0
  fi
  echo "[web] npm ci in ${dir#"$root"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || return 1
}
npm_ci "$here" || setup_fail "npm ci in tests/web failed"
if [[ -f "$root/services/web/package-lock.json" ]]; then
  npm_ci "$root/services/web" || setup_fail "npm ci in services/web failed"
fi

export FACEPLATFORM_URL="${FACEPLATFORM_URL:-http://localhost:8080}"
if [[ -z "${FACEPLATFORM_ADMIN_KEY:-}" && -r "$root/.data/admin-api-key" ]]; then
  FACEPLATFORM_ADMIN_KEY="$(tr -d '\n' < "$root/.data/admin-api-key")"
fi
[[ -n "${FACEPLATFORM_ADMIN_KEY:-}" ]] || setup_fail "FACEPLATFORM_ADMIN_KEY is not set (and .data/admin-api-key is not readable)"
export FACEPLATFORM_ADMIN_KEY

web="${FACEPLATFORM_WEB_URL:-$FACEPLATFORM_URL}"
if ! curl -fsS -o /dev/null --max-time 10 "$web/"; then
  echo "[web] note: $web/ does not serve the page (is the web UI built into the gateway's wwwroot?)"
fi

export FACEPLATFORM_WEB_ARTIFACTS="${FACEPLATFORM_WEB_ARTIFACTS:-$root/tests/artifacts/web}"
rm -rf "$FACEPLATFORM_WEB_ARTIFACTS"
mkdir -p "$FACEPLATFORM_WEB_ARTIFACTS"

cd "$here" && exec node runner.mjs "$@"
