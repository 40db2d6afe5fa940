#!/usr/bin/env bash
# README command 1: bring the whole platform up on this machine, no containers.
#
#   deploy/local/up.sh            provision, build, start, wait until ready, then stay in the foreground (Ctrl-C stops)
#   deploy/local/up.sh --detach   the same, but return once everything is ready (stop with deploy/local/down.sh)
#
# Installs what is missing (PostgreSQL 15 + pgvector, Redis, Node.js for the UI and the model importer), imports the
# models, keeps all state in .data/ (git-ignored), starts identity, embedding, attributes and the gateway, and prints
# the URLs. A second run on a provisioned machine only starts what is not running.
#
# Environment: FACEPLATFORM_HTTP_PORT (REST + web, 8080), FACEPLATFORM_GRPC_PORT (public gRPC, 8081),
# FACEPLATFORM_POSTGRES / FACEPLATFORM_REDIS (use existing servers instead of local ones; see deploy/local/infra.sh),
# FACEPLATFORM_MODELS_DIR (model directory, default .data/models), FACEPLATFORM_DATA_DIR (state, default .data).
# With a local read replica running (`deploy/local/infra.sh replica start`), identity reads from it
# (ConnectionStrings__PostgresReadOnly from FACEPLATFORM_POSTGRES_READONLY).
# Identity, embedding and attributes listen on 127.0.0.1 only and serve gRPC over mutual TLS with certificates made by
# deploy/local/pki.sh in .data/pki; only the gateway's certificate may call them.
set -euo pipefail
FP_TAG=up
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

detach=0
[[ "${1:-}" == "--detach" || "${1:-}" == "-d" ]] && detach=1

require_dotnet
"$FP_ROOT/deploy/local/infra.sh" start
eval "$("$FP_ROOT/deploy/local/infra.sh" env)"
import_models
pki="$FP_DATA/pki"
certificates_before="$( { cat "$pki"/*.crt 2>/dev/null || true; } | cksum)"
"$FP_ROOT/deploy/local/pki.sh" "$pki"
build_web
rebuilt=0
build_solution && rebuilt=1

mkdir -p "$FP_DATA/run" "$FP_DATA/logs"
key_file="$FP_DATA/admin-api-key"
new_key=0
if [[ ! -s "$key_file" ]]; then
  (umask 077 && printf 'fp_%s\n' "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" > "$key_file")
  new_key=1
fi
chmod 600 "$key_file"
admin_key="$(tr -d '\n' < "$key_file")"
models_dir="${FACEPLATFORM_MODELS_DIR:-$FP_DATA/models}"

running() { [[ -f "$FP_DATA/run/$1.pid" ]] && kill -0 "$(cat "$FP_DATA/run/$1.pid")" 2>/dev/null; }

# New binaries or new certificates: running services restart to take them.
if (( rebuilt )) || [[ "$(cat "$pki"/*.crt | cksum)" != "$certificates_before" ]]; then
  "$FP_ROOT/deploy/local/down.sh" --services-only >/dev/null
fi

for service in "${FP_SERVICES[@]}"; do
  read -r grpc http <<<"$(service_ports "$service")"
  if running "$service"; then
    say "$service is already running (pid $(cat "$FP_DATA/run/$service.pid"))"
    continue
  fi
  dir="$FP_ROOT/services/FacePlatform.$service/bin/Release/net10.0"
  # Internal services listen on loopback only and serve gRPC over mutual TLS; the gateway's public ports stay open.
  if [[ "$service" == Gateway ]]; then
    grpc_url="http://0.0.0.0:$grpc" http_url="http://0.0.0.0:$http"
  else
    grpc_url="https://127.0.0.1:$grpc" http_url="http://127.0.0.1:$http"
  fi
  (
    cd "$dir"
    exec env \
      ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Production}" \
      Kestrel__Endpoints__Grpc__Url="$grpc_url" \
      Kestrel__Endpoints__Http__Url="$http_url" \
      InternalTls__CertificatePath="$pki/${service,,}.crt" \
      InternalTls__KeyPath="$pki/${service,,}.key" \
      InternalTls__CaPath="$pki/ca.crt" \
      ConnectionStrings__Postgres="$FACEPLATFORM_POSTGRES" \
      ConnectionStrings__PostgresReadOnly="${FACEPLATFORM_POSTGRES_READONLY:-}" \
      ConnectionStrings__Redis="$FACEPLATFORM_REDIS" \
      Identity__BootstrapAdminApiKey="$admin_key" \
      Models__Directory="$models_dir" \
      Services__Identity__Url="https://127.0.0.1:5103" \
      Services__Embedding__Url="https://127.0.0.1:5101" \
      Services__Attributes__Url="https://127.0.0.1:5102" \
      nohup dotnet "FacePlatform.$service.dll" >>"$FP_DATA/logs/${service,,}.log" 2>&1 9>&-
  ) &
  echo $! > "$FP_DATA/run/$service.pid"
  say "started $service (pid $!, gRPC :$grpc, HTTP :$http, log .data/logs/${service,,}.log)"
done

for service in "${FP_SERVICES[@]}"; do
  read -r grpc http <<<"$(service_ports "$service")"
  wait_ready "$service" "$http" 120 "$FP_DATA/logs/${service,,}.log"
  say "$service is ready"
done

http_port="${FACEPLATFORM_HTTP_PORT:-8080}"
cat <<TXT
[up] FacePlatform is ready.
[up]   REST API + web UI   http://localhost:$http_port/
[up]   API docs            http://localhost:$http_port/docs   (OpenAPI: /openapi/v1.json)
[up]   public gRPC (h2c)   localhost:${FACEPLATFORM_GRPC_PORT:-8081}   (faceplatform.face.v1.FaceService, reflection on)
[up]   metrics             http://localhost:$http_port/metrics and 127.0.0.1:5181 :5182 :5183 /metrics
[up]   internal gRPC       127.0.0.1:5101-5103, mutual TLS only (certificates in .data/pki)
[up]   admin API key       in .data/admin-api-key (mode 600)
TXT
if (( new_key )); then
  say "bootstrap admin API key (shown once): $admin_key"
fi

if (( detach )); then
  say "running in the background; stop with deploy/local/down.sh"
  exit 0
fi
say "Ctrl-C stops everything (data stays in .data/)"
trap '"$FP_ROOT/deploy/local/down.sh"; exit 0' INT TERM
while true; do
  sleep 5
  for service in "${FP_SERVICES[@]}"; do
    running "$service" || say "warning: $service has stopped; see .data/logs/${service,,}.log"
  done
done
