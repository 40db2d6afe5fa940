# Shared by deploy/local/up.sh, deploy/local/down.sh and tests/run.sh (sourced, not run).
# shellcheck shell=bash

FP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FP_DATA="${FACEPLATFORM_DATA_DIR:-$FP_ROOT/.data}"
FP_SERVICES=(Identity Embedding Attributes Gateway)

say() { printf '[%s] %s\n' "${FP_TAG:-faceplatform}" "$*"; }
fail() { printf '[%s] ERROR: %s\n' "${FP_TAG:-faceplatform}" "$*" >&2; exit 1; }

# The .NET SDK is the one thing the scripts cannot install: Debian 12 does not package it and Microsoft's feed is not
# reachable from every machine. Say so clearly instead of failing somewhere later.
require_dotnet() {
  command -v dotnet >/dev/null 2>&1 || fail "the .NET 10 SDK is required (https://dot.net); install it and run again"
  local major
  major="$(dotnet --version 2>/dev/null | cut -d. -f1)"
  [[ "${major:-0}" -ge 10 ]] || fail "the .NET SDK must be version 10 or newer (found $(dotnet --version))"
}

# Node.js and npm come from Debian when missing (the web UI build and the model importer need them).
require_node() {
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    return
  fi
  say "installing Node.js and npm from Debian"
  local sudo=()
  [[ $EUID -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq nodejs npm >/dev/null
}

# Prometheus and promtool come from Debian's `prometheus` package when missing: the alert-rule unit tests
# (tests/deploy/check.sh) and the dashboard-query test (a real Prometheus scraping the platform) need them. Recommends
# (node exporter) are left out; the package's own service is not used (the tests start theirs on a free port).
require_prometheus() {
  if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    return
  fi
  say "installing Prometheus from Debian"
  local sudo=()
  [[ $EUID -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  command -v promtool >/dev/null 2>&1 || fail "apt-get install prometheus did not provide promtool"
}

# Ports of a service: "grpc http".
service_ports() {
  case "$1" in
    Gateway) echo "${FACEPLATFORM_GRPC_PORT:-8081} ${FACEPLATFORM_HTTP_PORT:-8080}" ;;
    Identity) echo "5103 5183" ;;
    Embedding) echo "5101 5181" ;;
    Attributes) echo "5102 5182" ;;
  esac
}

# Builds the solution (Release) unless nothing under services/ or protos/ changed since the last build.
build_solution() {
  local stamp="$FP_DATA/build/solution.stamp"
  mkdir -p "$FP_DATA/build"
  if [[ -f "$stamp" ]] && [[ -z "$(find "$FP_ROOT/services" "$FP_ROOT/protos" "$FP_ROOT/tests" \
        \( -name bin -o -name obj -o -name node_modules -o -name dist -o -name wwwroot -o -name artifacts \) -prune -o \
        -type f -newer "$stamp" -print -quit)" ]]; then
    say "build is up to date"
    return 1
  fi
  say "building the solution (Release)"
  dotnet build "$FP_ROOT/FacePlatform.sln" -c Release -nologo -v quiet -clp:ErrorsOnly || fail "the build failed"
  touch "$stamp"
  return 0
}

# Builds the web UI into the gateway's static files when the web project exists.
build_web() {
  [[ -f "$FP_ROOT/services/web/package.json" ]] || return 0
  require_node
  local web="$FP_ROOT/services/web" stamp="$FP_DATA/build/web.stamp"
  if [[ -f "$stamp" && -d "$web/node_modules" ]] && [[ -z "$(find "$web" \( -name node_modules -o -name dist \) -prune -o -type f -newer "$stamp" -print -quit)" ]]; then
    say "web UI is up to date"
    return 0
  fi
  say "building the web UI"
  (cd "$web" && { [[ -d node_modules && node_modules/.package-lock.json -nt package-lock.json ]] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent) \
    || fail "the web UI build failed"
  mkdir -p "$FP_DATA/build"
  touch "$stamp"
}

# Imports the pretrained models when the model directory lacks them (deploy/local/models.sh is idempotent).
import_models() {
  if [[ -x "$FP_ROOT/deploy/local/models.sh" ]]; then
    require_node
    "$FP_ROOT/deploy/local/models.sh"
  fi
}

# Polls http://127.0.0.1:PORT/readyz until 200 or TIMEOUT seconds.
wait_ready() {
  local name="$1" port="$2" timeout="${3:-90}" log="${4:-}" waited=0
  until curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; do
    if (( waited >= timeout * 5 )); then
      [[ -n "$log" && -f "$log" ]] && tail -n 30 "$log" | sed "s/^/[$name] /" >&2
      fail "$name was not ready after ${timeout}s ($(curl -s "http://127.0.0.1:$port/readyz" 2>&1 | head -c 300))"
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
}
