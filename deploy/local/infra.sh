#!/usr/bin/env bash
# FacePlatform local infrastructure: PostgreSQL 15 + pgvector and Redis, run as plain
# processes (no containers) with all state under the repo's git-ignored .data/ folder.
#
# Usage: deploy/local/infra.sh <command>
#   install  Install what is missing: postgresql-15, pgvector (built from Debian trixie's
#            source package; only deb-src is ever taken from trixie), redis-server.
#            apt-get is used directly as root, through sudo otherwise.
#   start    install, then start both servers if they are not running yet, create the
#            role/database `faceplatform` and the `vector` extension, and wait until both
#            answer. Idempotent: on a running system it returns in well under a second.
#   stop     Stop both servers (data stays).
#   restart  stop + start.
#   status   Print whether each server is up; exit 0 when all are up, 1 otherwise.
#   replica [start|stop|status]
#            A hot-standby streaming replica of the local cluster on 127.0.0.1:FACEPLATFORM_PG_REPLICA_PORT
#            (default 55433), for identity's ConnectionStrings__PostgresReadOnly: made once with
#            pg_basebackup -R (WAL streamed, standby.signal written) into .data/postgres-replica, then
#            started/stopped like the primary. Needs the primary running (`start`). `env` prints
#            FACEPLATFORM_POSTGRES_READONLY while it runs. Remove .data/postgres-replica to make a new one.
#   env      Print `export` lines for other scripts: eval "$(deploy/local/infra.sh env)"
#              FACEPLATFORM_POSTGRES  Npgsql connection string of the app role
#                                     (Host=127.0.0.1;Port=55432;Username=faceplatform;
#                                      Password=faceplatform;Database=faceplatform).
#                                     The role has LOGIN CREATEDB, so tests can create
#                                     their own databases with it; every new database
#                                     already has the `vector` extension (it is installed
#                                     in template1).
#              FACEPLATFORM_REDIS     StackExchange.Redis configuration
#                                     (127.0.0.1:56379,password=<.data/redis-password>).
#              FACEPLATFORM_PG_ADMIN  libpq conninfo of the superuser `postgres` over the
#                                     cluster's unix socket (psql "$FACEPLATFORM_PG_ADMIN");
#                                     only printed for the cluster this script manages.
#
# Environment:
#   FACEPLATFORM_DATA_DIR    state folder (default: <repo>/.data). Holds postgres/ (cluster),
#                            redis/ (AOF + RDB), redis-password, run/ (sockets, pid files), logs/, build/.
#   FACEPLATFORM_PG_PORT     PostgreSQL TCP port on 127.0.0.1 (default 55432).
#   FACEPLATFORM_REDIS_PORT  Redis TCP port on 127.0.0.1 (default 56379).
#   FACEPLATFORM_POSTGRES    When set to anything other than the local default above, an
#   FACEPLATFORM_REDIS       EXISTING server is used: start/stop/install leave that server
#                            alone (nothing is installed or started for it) and `env`
#                            passes the given value through. Each is decided separately.
#
# Security: this is a dev/test cluster that listens on 127.0.0.1 only. Unix-socket
# connections are trusted (that is how this script administers it as `postgres`, which has
# no password); TCP connections need a password (scram-sha-256), which the app role has.
# Redis asks every client for a password (requirepass), generated once into .data/redis-password
# (mode 600); its data folder and files are readable by their owner only (700 / 600), as are
# PostgreSQL's (initdb makes the cluster folder 700).
set -euo pipefail

readonly PG_MAJOR=15
readonly PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
readonly VECTOR_CONTROL="/usr/share/postgresql/${PG_MAJOR}/extension/vector.control"
readonly TRIXIE_SRC_FILE=/etc/apt/sources.list.d/faceplatform-trixie-src.sources

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
DATA_DIR="${FACEPLATFORM_DATA_DIR:-$REPO_ROOT/.data}"
PG_PORT="${FACEPLATFORM_PG_PORT:-55432}"
REDIS_PORT="${FACEPLATFORM_REDIS_PORT:-56379}"
PG_REPLICA_PORT="${FACEPLATFORM_PG_REPLICA_PORT:-55433}"

PGDATA_DIR="$DATA_DIR/postgres"
RUN_DIR="$DATA_DIR/run"
LOG_DIR="$DATA_DIR/logs"
REDIS_DIR="$DATA_DIR/redis"
PG_LOG="$LOG_DIR/postgres.log"
REDIS_LOG="$LOG_DIR/redis.log"
REDIS_PIDFILE="$RUN_DIR/redis.pid"
REDIS_CONF="$RUN_DIR/redis.conf"
REDIS_PASSWORD_FILE="$DATA_DIR/redis-password"
APT_LOG="$LOG_DIR/apt.log"
BUILD_LOG="$LOG_DIR/pgvector-build.log"
WAIT_SECONDS=30

# A unix socket path must fit in 107 bytes; fall back to /tmp when the data dir is deep.
PG_SOCKET_DIR="$RUN_DIR/postgres"
if (( ${#PG_SOCKET_DIR} + 20 > 107 )); then
  PG_SOCKET_DIR="/tmp/faceplatform-pg-$(printf '%s' "$DATA_DIR" | cksum | cut -d' ' -f1)"
fi

LOCAL_POSTGRES="Host=127.0.0.1;Port=${PG_PORT};Username=faceplatform;Password=faceplatform;Database=faceplatform"
LOCAL_REDIS="127.0.0.1:${REDIS_PORT}"
PG_ADMIN="host=${PG_SOCKET_DIR} port=${PG_PORT} user=postgres dbname=postgres"

log() { printf '[infra] %s\n' "$*"; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }
# Print the last lines of a log file, prefixed, to stderr.
tail_log() {
  local file="$1" lines="${2:-30}"
  [[ -f "$file" ]] || return 0
  printf '[infra] --- last %s lines of %s ---\n' "$lines" "$file" >&2
  tail -n "$lines" "$file" | sed 's/^/[infra] | /' >&2
}

# An environment value that differs from the local default means "use that existing server"
# (an earlier `eval "$(infra.sh env)"` exports exactly the local default, which stays managed).
pg_external()    { [[ -n "${FACEPLATFORM_POSTGRES:-}" && "${FACEPLATFORM_POSTGRES}" != "$LOCAL_POSTGRES" ]]; }
# Redis is compared by its endpoint (before the first comma), so a value with the local password stays managed.
redis_external() { [[ -n "${FACEPLATFORM_REDIS:-}" && "${FACEPLATFORM_REDIS%%,*}" != "$LOCAL_REDIS" ]]; }

if [[ $EUID -eq 0 ]]; then
  SUDO=()
  PG_USER=postgres          # PostgreSQL refuses to run as root.
else
  SUDO=(sudo)
  PG_USER="$(id -un)"       # Not root: the cluster simply belongs to the invoking user.
fi

# Run a command as the cluster's owner, from / (the caller's cwd may be unreadable to it).
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    (cd / && runuser -u "$PG_USER" -- "$@")
  else
    (cd / && "$@")
  fi
}

# Serialise concurrent invocations (e.g. two test runs calling `start` at once).
# Daemons must not inherit this descriptor: every daemon start below closes fd 9.
take_lock() {
  mkdir -p "$DATA_DIR"
  exec 9>"$DATA_DIR/.infra.lock"
  flock -w 300 9 || die "another infra.sh holds $DATA_DIR/.infra.lock for over 300 s"
}

# ---------------------------------------------------------------------------- install ----

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

APT_UPDATED=0
apt_get() {
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get -y -q -o DPkg::Lock::Timeout=300 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}
apt_update() {
  mkdir -p "$LOG_DIR"
  log "apt-get update ..."
  apt_get update >>"$APT_LOG" 2>&1 || { tail_log "$APT_LOG"; die "apt-get update failed (log: $APT_LOG)"; }
  APT_UPDATED=1
}
# Install the given packages; refresh the package lists first when they do not know a package
# (fresh machine) and once more if the install fails on stale lists.
apt_install() {
  mkdir -p "$LOG_DIR"
  local p
  if [[ $APT_UPDATED -eq 0 ]]; then
    for p in "$@"; do
      if ! apt-cache show --no-all-versions "$p" >/dev/null 2>&1; then apt_update; break; fi
    done
  fi
  log "apt-get install $* ..."
  if ! apt_get install --no-install-recommends "$@" >>"$APT_LOG" 2>&1; then
    if [[ $APT_UPDATED -eq 0 ]]; then
      apt_update
      apt_get install --no-install-recommends "$@" >>"$APT_LOG" 2>&1 && return 0
    fi
    tail_log "$APT_LOG"
    die "apt-get install $* failed (log: $APT_LOG)"
  fi
}
ensure_pkg() {
  local pkg="$1" label="${2:-$1}"
  if pkg_installed "$pkg"; then
    log "$label: present"
  else
    apt_install "$pkg"
    log "$label: installed"
  fi
}

# The Debian mirror the machine already uses (deb822 debian.sources or one-line sources.list).
debian_mirror() {
  local uri=""
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    uri="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)"
  fi
  if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
    uri="$(awk '$1 == "deb" && $0 ~ /bookworm/ && $0 !~ /security/ {
      for (i = 2; i <= NF; i++) if ($i ~ /^(https?|ftp|file):/) { print $i; exit } }' /etc/apt/sources.list)"
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# pgvector is not packaged for Debian 12: build it from trixie's source package against
# postgresql-server-dev-15. Only a deb-src entry for trixie is added (so no trixie binary can
# ever be installed), and only while building.
install_pgvector() {
  if [[ -f "$VECTOR_CONTROL" ]]; then
    log "pgvector: present ($(pgvector_version))"
    return 0
  fi
  ensure_pkg build-essential
  ensure_pkg dpkg-dev
  ensure_pkg "postgresql-server-dev-${PG_MAJOR}"

  local mirror started build_dir src_dir
  started=$SECONDS
  mirror="$(debian_mirror)"
  log "pgvector: building from Debian trixie source (deb-src $mirror) ..."
  "${SUDO[@]}" tee "$TRIXIE_SRC_FILE" >/dev/null <<EOF
# Added by FacePlatform deploy/local/infra.sh to build pgvector; source packages only.
Types: deb-src
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # shellcheck disable=SC2064
  trap "${SUDO[*]} rm -f '$TRIXIE_SRC_FILE'" EXIT

  build_dir="$DATA_DIR/build/pgvector"
  rm -rf "$build_dir"
  mkdir -p "$build_dir" "$LOG_DIR"
  : >"$BUILD_LOG"
  # Refresh only the trixie deb-src list (fast), and only when apt cannot find the source yet.
  if ! (cd "$build_dir" && apt-get source --print-uris pgvector/trixie >>"$BUILD_LOG" 2>&1); then
    "${SUDO[@]}" apt-get -q -o DPkg::Lock::Timeout=300 update \
      -o Dir::Etc::sourcelist="$TRIXIE_SRC_FILE" -o Dir::Etc::sourceparts=- \
      -o APT::Get::List-Cleanup=0 >>"$BUILD_LOG" 2>&1 \
      || { tail_log "$BUILD_LOG"; die "apt-get update of the trixie deb-src list failed (log: $BUILD_LOG)"; }
  fi
  (cd "$build_dir" && apt-get -q source pgvector/trixie >>"$BUILD_LOG" 2>&1) \
    || { tail_log "$BUILD_LOG"; die "apt-get source pgvector/trixie failed (log: $BUILD_LOG)"; }
  src_dir="$(find "$build_dir" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n1)"
  [[ -n "$src_dir" ]] || die "apt-get source did not unpack a pgvector-* folder in $build_dir"

  # OPTFLAGS="": no -march=native, so the library also runs on other CPUs.
  local make_args=(OPTFLAGS="" PG_CONFIG="$PG_BIN/pg_config")
  # PGXS also compiles LLVM bitcode (for JIT inlining) when the server was built with LLVM;
  # skip that when the matching clang is not installed instead of failing.
  local clang
  clang="$(sed -n 's/^CLANG *= *//p' "$("$PG_BIN/pg_config" --pgxs | sed 's|src/makefiles/pgxs.mk|src/Makefile.global|')" 2>/dev/null | head -n1)"
  if [[ -z "$clang" ]] || ! command -v "${clang%% *}" >/dev/null 2>&1; then make_args+=(with_llvm=no); fi
  {
    make -C "$src_dir" -j"$(nproc)" "${make_args[@]}" &&
    "${SUDO[@]}" make -C "$src_dir" "${make_args[@]}" install
  } >>"$BUILD_LOG" 2>&1 || { tail_log "$BUILD_LOG"; die "building pgvector failed (log: $BUILD_LOG)"; }

  "${SUDO[@]}" rm -f "$TRIXIE_SRC_FILE"
  trap - EXIT
  rm -rf "$build_dir"
  [[ -f "$VECTOR_CONTROL" ]] || die "pgvector build finished but $VECTOR_CONTROL is missing"
  log "pgvector: installed ($(pgvector_version), built from $(basename "$src_dir") in $((SECONDS - started)) s)"
}

pgvector_version() { sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" "$VECTOR_CONTROL"; }

cmd_install() {
  if pg_external; then
    log "postgresql: external server (FACEPLATFORM_POSTGRES is set), nothing to install"
  else
    ensure_pkg "postgresql-${PG_MAJOR}"
    install_pgvector
  fi
  if redis_external; then
    log "redis: external server (FACEPLATFORM_REDIS is set), nothing to install"
  else
    ensure_pkg redis-server
  fi
}

# ---------------------------------------------------------------------------- postgres ----

pg_ready() { "$PG_BIN/pg_isready" -q -h "$PG_SOCKET_DIR" -p "$PG_PORT" -t 2 >/dev/null 2>&1; }
pg_psql() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres "$@"; }

# postmaster.pid / socket lock files left behind by a machine restart can name a PID that is
# now some other process; the postmaster would then refuse to start. Remove such files.
pg_clear_stale_pid() {
  local pidfile="$PGDATA_DIR/postmaster.pid" pid
  [[ -f "$pidfile" ]] || return 0
  pid="$(head -n1 "$pidfile" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == postgres* ]] &&
     tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$PGDATA_DIR"; then
    return 0   # a real postmaster of this cluster: leave it to pg_ctl
  fi
  log "postgres: removing stale $pidfile (PID ${pid:-?} is not this cluster's postmaster)"
  rm -f "$pidfile" "$PG_SOCKET_DIR/.s.PGSQL.${PG_PORT}.lock"
}

pg_write_conf() {
  # dynamic shared memory (parallel HNSW builds use maintenance_work_mem of it) goes to
  # /dev/shm unless that is small, as in some sandboxes.
  local dsm=posix shm_kb
  shm_kb="$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')"
  if [[ -z "$shm_kb" || "$shm_kb" -lt 1048576 ]]; then dsm=mmap; fi
  local conf="$PGDATA_DIR/faceplatform.conf" tmp
  tmp="$(mktemp)"
  cat >"$tmp" <<EOF
# Written by deploy/local/infra.sh on every start; edit the script, not this file.
# Dev/test cluster on a 2-core box.
listen_addresses = '127.0.0.1'
port = ${PG_PORT}
unix_socket_directories = '${PG_SOCKET_DIR}'
max_connections = 200
shared_buffers = 256MB
effective_cache_size = 2GB
work_mem = 8MB
maintenance_work_mem = 512MB          # HNSW index builds are much faster when the graph fits
max_parallel_maintenance_workers = 1
dynamic_shared_memory_type = ${dsm}
max_wal_size = 2GB
# Dev/test only: commits do not wait for the WAL flush. A crash can lose the last few
# hundred milliseconds of commits but never corrupts the cluster.

log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
EOF
  if ! cmp -s "$tmp" "$conf" 2>/dev/null; then
    if [[ -f "$conf" ]] && pg_ready; then
      log "postgres: settings changed; run 'infra.sh restart' to apply them all"
    fi
    install -m 0644 -o "$PG_USER" "$tmp" "$conf" 2>/dev/null || install -m 0644 "$tmp" "$conf"
  fi
  rm -f "$tmp"
}

pg_init() {
  install -d -m 0755 "$DATA_DIR" "$LOG_DIR" "$RUN_DIR"
  if [[ ! -e "$PG_LOG" ]]; then touch "$PG_LOG"; fi
  if [[ $EUID -eq 0 ]]; then
    chown "$PG_USER" "$PG_LOG"
    install -d -m 0755 -o "$PG_USER" "$PG_SOCKET_DIR"
  else
    install -d -m 0755 "$PG_SOCKET_DIR"
  fi
  if [[ -f "$PGDATA_DIR/PG_VERSION" ]]; then
    local owner
    owner="$(stat -c %U "$PGDATA_DIR")"
    [[ "$owner" == "$PG_USER" ]] || die "$PGDATA_DIR belongs to $owner, but this run manages it as $PG_USER"
    return 0
  fi
  if [[ $EUID -eq 0 ]]; then
    install -d -m 0700 -o "$PG_USER" "$PGDATA_DIR"
  else
    install -d -m 0700 "$PGDATA_DIR"
  fi
  as_pg test -w "$PGDATA_DIR" \
    || die "user $PG_USER cannot reach $PGDATA_DIR; make its parent folders traversable (chmod o+x)"
  log "postgres: initialising cluster in $PGDATA_DIR"
  # local (unix socket) = trust: how this script administers the cluster as `postgres`;
  # host (127.0.0.1 TCP) = scram-sha-256: the app role logs in with its password.
  as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >>"$PG_LOG" 2>&1 \
    || { tail_log "$PG_LOG"; die "initdb failed (log: $PG_LOG)"; }
  printf "\n# FacePlatform settings (deploy/local/infra.sh)\ninclude_if_exists = 'faceplatform.conf'\n" \
    >>"$PGDATA_DIR/postgresql.conf"
}

pg_start() {
  pg_init
  pg_write_conf
  if pg_ready; then
    log "postgres: already running on 127.0.0.1:$PG_PORT"
  else
    pg_clear_stale_pid
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 >/dev/null 2>&1; then
      die "port $PG_PORT on 127.0.0.1 already has another PostgreSQL; set FACEPLATFORM_PG_PORT"
    fi
    log "postgres: starting on 127.0.0.1:$PG_PORT"
    # -w waits until the server accepts connections (bounded by -t).
    as_pg "$PG_BIN/pg_ctl" start -D "$PGDATA_DIR" -l "$PG_LOG" -w -t "$WAIT_SECONDS" -s 9>&- \
      || { tail_log "$PG_LOG"; die "PostgreSQL did not start within ${WAIT_SECONDS} s (log: $PG_LOG)"; }
  fi
  local deadline=$((SECONDS + WAIT_SECONDS))
  until pg_ready; do
    (( SECONDS < deadline )) || { tail_log "$PG_LOG"; die "PostgreSQL does not answer (log: $PG_LOG)"; }
    sleep 0.2
  done
  # Role, database and extension; all idempotent, in one psql session. The password is
  # (re)set every time so that a hand-changed role heals. The extension goes into template1
  # too, so databases that tests create later (as the non-superuser app role) have it.
  pg_psql -d postgres >/dev/null <<'SQL' || die "creating role/database/extension failed"
SET client_min_messages = warning;
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'faceplatform') THEN
    CREATE ROLE faceplatform LOGIN CREATEDB PASSWORD 'faceplatform';
  ELSE
    ALTER ROLE faceplatform LOGIN CREATEDB PASSWORD 'faceplatform';
  END IF;
END
$$;
SELECT 'CREATE DATABASE faceplatform OWNER faceplatform'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'faceplatform') \gexec
\c template1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS vector;
ALTER EXTENSION vector UPDATE;
\c faceplatform
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS vector;
ALTER EXTENSION vector UPDATE;
SQL
  log "postgres: ready, database faceplatform with vector $(pg_psql -d faceplatform -Atc "SELECT extversion FROM pg_extension WHERE extname = 'vector'")"
}

pg_stop() {
  if [[ ! -f "$PGDATA_DIR/PG_VERSION" ]]; then
    log "postgres: no cluster in $PGDATA_DIR"
    return 0
  fi
  pg_clear_stale_pid
  if as_pg "$PG_BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1; then
    log "postgres: stopping"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t "$WAIT_SECONDS" -s \
      || { tail_log "$PG_LOG"; die "PostgreSQL did not stop (log: $PG_LOG)"; }
    log "postgres: stopped"
  else
    log "postgres: not running"
  fi
}

# ------------------------------------------------------------------------------ redis ----

# The password, made once: 32 random bytes, URL-safe base64 (no ',' or '=' to confuse a StackExchange.Redis string).
redis_password() {
  if [[ ! -s "$REDIS_PASSWORD_FILE" ]]; then
    mkdir -p "$DATA_DIR"
    (umask 077 && head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$REDIS_PASSWORD_FILE")
  fi
  chmod 600 "$REDIS_PASSWORD_FILE"
  cat "$REDIS_PASSWORD_FILE"
}
# redis-cli takes the password from REDISCLI_AUTH, so it never shows in the process list.
redis_cli() { REDISCLI_AUTH="$(redis_password)" redis-cli --no-auth-warning -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
redis_ping() { [[ "$(redis_cli ping 2>/dev/null)" == PONG ]]; }
# A server started by an earlier version of this script has no password: give it one without a restart.
redis_require_password() {
  [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]] || return 0
  log "redis: running without a password; setting requirepass"
  redis_password | redis-cli -h 127.0.0.1 -p "$REDIS_PORT" -x config set requirepass >/dev/null
}

redis_pid_alive() {
  local pid
  [[ -f "$REDIS_PIDFILE" ]] || return 1
  pid="$(cat "$REDIS_PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server* ]]
}

redis_start() {
  redis_require_password
  if redis_ping; then
    log "redis: already running on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  if [[ -f "$REDIS_PIDFILE" ]] && ! redis_pid_alive; then
    log "redis: removing stale $REDIS_PIDFILE"
    rm -f "$REDIS_PIDFILE"
  fi
  install -d -m 0755 "$DATA_DIR" "$LOG_DIR" "$RUN_DIR"
  install -d -m 0700 "$REDIS_DIR"
  chmod 700 "$REDIS_DIR"
  find "$REDIS_DIR" -type f -exec chmod 600 {} + 2>/dev/null || true
  local password
  password="$(redis_password)"
  (umask 077 && cat >"$REDIS_CONF" <<EOF
# Written by deploy/local/infra.sh on every start; edit the script, not this file.
bind 127.0.0.1
protected-mode yes
port ${REDIS_PORT}
daemonize yes
supervised no
pidfile ${REDIS_PIDFILE}
logfile ${REDIS_LOG}
dir ${REDIS_DIR}
appendonly yes
appendfsync everysec
always-show-logo no
requirepass ${password}
EOF
)
  chmod 600 "$REDIS_CONF"
  log "redis: starting on 127.0.0.1:$REDIS_PORT"
  # umask 077: the AOF and RDB files it writes are readable by their owner only.
  (umask 077 && redis-server "$REDIS_CONF" 9>&- >>"$REDIS_LOG" 2>&1) \
    || { tail_log "$REDIS_LOG"; die "redis-server failed to start (log: $REDIS_LOG)"; }
  local deadline=$((SECONDS + WAIT_SECONDS))
  until redis_ping; do
    (( SECONDS < deadline )) || { tail_log "$REDIS_LOG"; die "Redis does not answer PING within ${WAIT_SECONDS} s (log: $REDIS_LOG)"; }
    sleep 0.1
  done
  log "redis: ready"
}

redis_stop() {
  if redis_ping; then
    log "redis: stopping"
    redis_cli shutdown >/dev/null 2>&1 || true
    local deadline=$((SECONDS + WAIT_SECONDS))
    while redis_ping || redis_pid_alive; do
      (( SECONDS < deadline )) || { tail_log "$REDIS_LOG"; die "Redis did not stop (log: $REDIS_LOG)"; }
      sleep 0.1
    done
    log "redis: stopped"
  else
    log "redis: not running"
  fi
  rm -f "$REDIS_PIDFILE"
}

# ---------------------------------------------------------------------------- commands ----

cmd_start() {
  take_lock
  cmd_install
  relocate_postgres_if_unreachable
  if pg_external; then log "postgres: using existing server from FACEPLATFORM_POSTGRES"; else pg_start; fi
  if redis_external; then log "redis: using existing server from FACEPLATFORM_REDIS"; else redis_start; fi
}

cmd_stop() {
  take_lock
  if pg_external; then log "postgres: external server, left alone"; else pg_stop; fi
  if redis_external; then log "redis: external server, left alone"; else redis_stop; fi
}

cmd_status() {
  local rc=0
  if pg_external; then
    log "postgres: external (FACEPLATFORM_POSTGRES)"
  elif pg_ready; then
    log "postgres: up on 127.0.0.1:$PG_PORT (data $PGDATA_DIR)"
  else
    log "postgres: down"; rc=1
  fi
  if redis_external; then
    log "redis: external (FACEPLATFORM_REDIS)"
  elif command -v redis-cli >/dev/null 2>&1 && redis_ping; then
    log "redis: up on 127.0.0.1:$REDIS_PORT (data $REDIS_DIR)"
  else
    log "redis: down"; rc=1
  fi
  return "$rc"
}

# ---------------------------------------------------------------------------- replica ----

replica_dir() { printf '%s' "${PGDATA_DIR}-replica"; }
replica_log() { printf '%s' "${PG_LOG%.log}-replica.log"; }
replica_ready() { "$PG_BIN/pg_isready" -q -h "$PG_SOCKET_DIR" -p "$PG_REPLICA_PORT" -t 2 >/dev/null 2>&1; }

replica_start() {
  pg_external && die "the replica is made from the cluster this script manages; FACEPLATFORM_POSTGRES names another server"
  pg_ready || die "the primary is not running; run 'infra.sh start' first"
  local dir log
  dir="$(replica_dir)"
  log="$(replica_log)"
  if [[ ! -f "$dir/PG_VERSION" ]]; then
    log "postgres replica: base backup of 127.0.0.1:$PG_PORT into $dir"
    if [[ $EUID -eq 0 ]]; then install -d -m 0700 -o "$PG_USER" "$dir"; else install -d -m 0700 "$dir"; fi
    # Over the unix socket, where the cluster trusts local connections (replication included, as initdb writes it).
    as_pg "$PG_BIN/pg_basebackup" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -D "$dir" -R -X stream -c fast       || die "pg_basebackup failed"
  fi
  if [[ ! -e "$log" ]]; then touch "$log"; [[ $EUID -eq 0 ]] && chown "$PG_USER" "$log"; fi
  if replica_ready; then
    log "postgres replica: already running on 127.0.0.1:$PG_REPLICA_PORT"
    return 0
  fi
  log "postgres replica: starting on 127.0.0.1:$PG_REPLICA_PORT"
  # The copied faceplatform.conf names the primary's port; the command line wins.
  as_pg "$PG_BIN/pg_ctl" start -D "$dir" -l "$log" -w -t "$WAIT_SECONDS" -s -o "-p $PG_REPLICA_PORT" 9>&- \
    || { tail_log "$log"; die "the replica did not start (log: $log)"; }
  log "postgres replica: streaming, replayed up to $(as_pg "$PG_BIN/psql" -X -Atq -h "$PG_SOCKET_DIR" -p "$PG_REPLICA_PORT" -U postgres -d postgres -c 'SELECT pg_last_wal_replay_lsn()')"
}

replica_stop() {
  local dir
  dir="$(replica_dir)"
  if [[ -f "$dir/PG_VERSION" ]] && as_pg "$PG_BIN/pg_ctl" status -D "$dir" >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" stop -D "$dir" -m fast -w -t "$WAIT_SECONDS" -s || die "the replica did not stop"
    log "postgres replica: stopped"
  else
    log "postgres replica: not running"
  fi
}

cmd_replica() {
  case "${1:-start}" in
    start) take_lock; replica_start ;;
    stop) take_lock; replica_stop ;;
    status)
      if replica_ready; then log "postgres replica: up on 127.0.0.1:$PG_REPLICA_PORT (data $(replica_dir))"; else log "postgres replica: down"; return 1; fi ;;
    *) usage >&2; exit 2 ;;
  esac
}

# Single-quote a value for the shell that evals `env`'s output.
shq() { local v=${1//\'/\'\\\'\'}; printf "'%s'" "$v"; }

cmd_env() {
  if pg_external; then
    printf 'export FACEPLATFORM_POSTGRES=%s\n' "$(shq "$FACEPLATFORM_POSTGRES")"
    if [[ -n "${FACEPLATFORM_PG_ADMIN:-}" ]]; then
      printf 'export FACEPLATFORM_PG_ADMIN=%s\n' "$(shq "$FACEPLATFORM_PG_ADMIN")"
    fi
  else
    printf 'export FACEPLATFORM_POSTGRES=%s\n' "$(shq "$LOCAL_POSTGRES")"
    printf 'export FACEPLATFORM_PG_ADMIN=%s\n' "$(shq "$PG_ADMIN")"
    if replica_ready; then
      printf 'export FACEPLATFORM_POSTGRES_READONLY=%s\n' "$(shq "${LOCAL_POSTGRES/Port=${PG_PORT}/Port=${PG_REPLICA_PORT}}")"
    fi
  fi
  if redis_external; then
    printf 'export FACEPLATFORM_REDIS=%s\n' "$(shq "$FACEPLATFORM_REDIS")"
  else
    printf 'export FACEPLATFORM_REDIS=%s\n' "$(shq "$LOCAL_REDIS,password=$(redis_password)")"
  fi
}

# PostgreSQL runs as `postgres`, which must reach its cluster, log and socket. When the data folder sits below a folder
# it cannot traverse (a checkout in a mode-700 folder, such as one made by mktemp -d), those three move to a folder of
# their own under /var/lib/faceplatform, keyed by the data folder, so each checkout still has its own cluster.
relocate_postgres_if_unreachable() {
  [[ $EUID -eq 0 ]] && id -u "$PG_USER" >/dev/null 2>&1 || return 0
  mkdir -p "$DATA_DIR"
  (cd / && runuser -u "$PG_USER" -- test -x "$DATA_DIR") && return 0
  local home
  home="/var/lib/faceplatform/$(printf '%s' "$DATA_DIR" | cksum | cut -d' ' -f1)"
  install -d -m 0755 /var/lib/faceplatform "$home"
  PGDATA_DIR="$home/postgres"
  PG_LOG="$home/postgres.log"
  PG_SOCKET_DIR="$home/run"
  PG_ADMIN="host=${PG_SOCKET_DIR} port=${PG_PORT} user=postgres dbname=postgres"
}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

relocate_postgres_if_unreachable
case "${1:-}" in
  install) take_lock; cmd_install ;;
  start)   cmd_start ;;
  stop)    cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status)  cmd_status ;;
  replica) cmd_replica "${2:-start}" ;;
  env)     cmd_env ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
