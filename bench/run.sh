#!/usr/bin/env bash
# Load benchmark for POST /api/v1/requests, with GET /healthz as the ceiling.
#
#   bash bench/run.sh
#   BACKENDS=sqlite DURATION=30 bash bench/run.sh
#
# See bench/README.md. Release build only.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"

BACKENDS="${BACKENDS:-sqlite postgres}"
DURATION="${DURATION:-15}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
WRK_TIMEOUT="${WRK_TIMEOUT:-10s}"        # wrk's own default (2s) would hide slow writes as timeouts
READY_TIMEOUT="${READY_TIMEOUT:-60}"     # seconds to wait for GET /readyz -> 200
SKIP_BUILD="${SKIP_BUILD:-0}"            # 1: reuse an existing target/release/upturn
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-postgres}"
PG_ADMIN_DB="${PG_ADMIN_DB:-test}"

ADMIN_EMAIL="admin@bench.test"
ADMIN_PASSWORD="bench-password"
JWT_SECRET="bench-secret-0123456789abcdef0123"

# Must match the body in bench/file_request.lua (used once, as a sanity check).
FILING='{"kind":"improvement","category":"product","urgency":"normal","channel":"in_person","title":"Trousers in size 44","description":"Customer asked for size 44","customer_expectation":"Find size 44 in store"}'

LOG_TAG=bench
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -gt 0 ]] || die "DURATION must be a positive number of seconds"
for backend in $BACKENDS; do
  case "$backend" in sqlite|postgres) ;; *) die "unknown backend '$backend' (sqlite, postgres)" ;; esac
done

# ---------------------------------------------------------------- state and cleanup
SERVER_PID=""
PG_DB=""
RUN_TMP=""

stop_server() {
  stop_pid "$SERVER_PID" 10
  SERVER_PID=""
}

cleanup_backend() {
  stop_server
  drop_pg_db
  if [[ -n "$RUN_TMP" ]]; then
    rm -rf "$RUN_TMP"
    RUN_TMP=""
  fi
}

on_exit_run cleanup_backend

# ---------------------------------------------------------------- prerequisites
command -v curl >/dev/null || die "curl is required"
command -v python3 >/dev/null || die "python3 is required"

ensure_wrk

if [[ " $BACKENDS " == *" postgres "* ]]; then
  command -v psql >/dev/null || die "psql is required for the postgres backend"
fi

build_release

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$BENCH_DIR/results/$STAMP"
mkdir -p "$RESULTS"

{
  echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:      $(commit_desc)"
  echo "binary:      $BIN (release)"
  echo "host:        $(uname -srm), $(nproc) cores"
  echo "wrk:         $(wrk --version 2>&1 | head -n1 || true)"
  echo "backends:    $BACKENDS"
  echo "duration:    ${DURATION}s per run; threads $THREADS; connections $CONNECTIONS; timeout $WRK_TIMEOUT"
  echo "note:        wrk and the server share this host"
} >"$RESULTS/meta.txt"

# ---------------------------------------------------------------- helpers
check_alive() {
  kill -0 "$SERVER_PID" 2>/dev/null && return 0
  log "server died during '$1'; last log lines:"
  tail -n 40 "$SERVER_LOG" >&2 || true
  return 1
}

SUMMARY_ROWS=()
summary_header() {
  printf '%-9s %14s %10s %9s %9s %8s %9s\n' backend "healthz req/s" "files/s" "p50 ms" "p99 ms" non-2xx "sock err"
}

# ---------------------------------------------------------------- one backend
run_backend() {
  local backend="$1" port url db_url token code
  RUN_TMP="$(mktemp -d -t upturn-bench.XXXXXX)"
  port="$(free_port)"
  url="http://127.0.0.1:$port"

  case "$backend" in
    sqlite)
      db_url="sqlite://$RUN_TMP/bench.db?mode=rwc"
      ;;
    postgres)
      PG_DB="upturn_bench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')"
      log "creating database $PG_DB"
      psql_admin "CREATE DATABASE \"$PG_DB\"" >/dev/null || { PG_DB=""; die "could not create database on $PG_HOST:$PG_PORT"; }
      db_url="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB"
      ;;
  esac

  SERVER_LOG="$RESULTS/$backend-server.log"
  log "[$backend] starting server on $url"
  (
    cd "$RUN_TMP"
    export UPTURN_DATABASE_URL="$db_url" \
      UPTURN_BIND="127.0.0.1:$port" \
      UPTURN_JWT_SECRET="$JWT_SECRET" \
      UPTURN_BOOTSTRAP_ADMIN_EMAIL="$ADMIN_EMAIL" \
      UPTURN_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
      UPTURN_LOG=warn
    exec "$BIN" serve
  ) >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!

  wait_ready "$url" "$SERVER_PID" "$SERVER_LOG" "$READY_TIMEOUT" || die "[$backend] server not ready"
  log "[$backend] ready; seeding"
  token="$(ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$ADMIN_PASSWORD" bash "$BENCH_DIR/seed.sh" "$url")" \
    || die "[$backend] seeding failed"
  [[ -n "$token" ]] || die "[$backend] seed.sh printed no token"

  # One filing by hand, so that a broken contract fails loudly instead of benchmarking 4xx.
  code="$(printf '%s' "$FILING" | curl -s -o "$RUN_TMP/sanity.json" -w '%{http_code}' --max-time 10 \
    -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary @- "$url/api/v1/requests" || true)"
  if [[ "$code" != "201" ]]; then
    log "[$backend] sanity filing answered HTTP ${code:-none}, expected 201:"
    head -c 2000 "$RUN_TMP/sanity.json" >&2 2>/dev/null || true
    echo >&2
    die "[$backend] POST /api/v1/requests is not working"
  fi

  log "[$backend] wrk GET /healthz (${DURATION}s, -t$THREADS -c$CONNECTIONS)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout "$WRK_TIMEOUT" --latency \
    "$url/healthz" | tee "$RESULTS/$backend-healthz.txt"
  check_alive "healthz" || die "[$backend] server crashed"

  log "[$backend] wrk POST /api/v1/requests (${DURATION}s, -t$THREADS -c$CONNECTIONS)"
  TOKEN="$token" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout "$WRK_TIMEOUT" --latency \
    -s "$BENCH_DIR/file_request.lua" "$url" | tee "$RESULTS/$backend-file_request.txt"
  check_alive "file_request" || die "[$backend] server crashed"

  local h f
  read -r h _ _ _ _ < <(parse_wrk "$RESULTS/$backend-healthz.txt")
  f="$(parse_wrk "$RESULTS/$backend-file_request.txt")"
  local rps p50 p99 non2xx sockerr
  read -r rps p50 p99 non2xx sockerr <<<"$f"
  SUMMARY_ROWS+=("$(printf '%-9s %14s %10s %9s %9s %8s %9s' "$backend" "$h" "$rps" "$p50" "$p99" "$non2xx" "$sockerr")")

  echo
  summary_header
  printf '%s\n' "${SUMMARY_ROWS[-1]}"
  echo

  log "[$backend] stopping server"
  cleanup_backend
}

for backend in $BACKENDS; do
  run_backend "$backend"
done

{
  echo "Upturn load benchmark — $STAMP (${DURATION}s per run, $THREADS threads, $CONNECTIONS connections, release build)"
  echo "files/s = POST /api/v1/requests (201 expected); p50/p99 of filings; quote beside the healthz ceiling of the same run."
  echo
  summary_header
  printf '%s\n' "${SUMMARY_ROWS[@]}"
} | tee "$RESULTS/summary.txt"
echo
log "raw wrk outputs and server logs: $RESULTS"
