#!/usr/bin/env bash
# Stops what deploy/local/up.sh started: the four services, then PostgreSQL and Redis. Data stays in .data/.
#   deploy/local/down.sh                  everything
#   deploy/local/down.sh --services-only  only the four services
set -euo pipefail
FP_TAG=down
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for service in Gateway Attributes Embedding Identity; do
  pid_file="$FP_DATA/run/$service.pid"
  [[ -f "$pid_file" ]] || continue
  pid="$(cat "$pid_file")"
  if kill -0 "$pid" 2>/dev/null; then
    # The pid is the subshell that exec'd dotnet, so it is the service itself: SIGTERM shuts ASP.NET Core down cleanly.
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    say "stopped $service"
  fi
  rm -f "$pid_file"
done

if [[ "${1:-}" != "--services-only" ]]; then
  "$FP_ROOT/deploy/local/infra.sh" stop
fi
