#!/usr/bin/env bash
# Login storm: 64 connections logging in as one member for DURATION seconds
# against the release server on SQLite; the server's peak RSS (VmHWM) and
# logins/s. Run it with the default bound on password hashing and with
# HASH_CONCURRENCY=64 (no effective bound) to see what the bound saves, and
# with MALLOC_MMAP_THRESHOLD_=1048576 (as the Dockerfile sets it) to see what
# glibc keeps of the freed hashing memory.
#
#   bash bench/login_storm.sh
#   HASH_CONCURRENCY=64 SKIP_BUILD=1 bash bench/login_storm.sh
#   MALLOC_MMAP_THRESHOLD_=1048576 SKIP_BUILD=1 bash bench/login_storm.sh
#
# See bench/README.md ("Login storm"). Release build only.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"

DURATION="${DURATION:-10}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
HASH_CONCURRENCY="${HASH_CONCURRENCY:-}" # UPTURN_PASSWORD_HASH_CONCURRENCY; empty: the server's default (cores)
WRK_TIMEOUT="${WRK_TIMEOUT:-30s}"         # logins wait in line for the hashing bound
READY_TIMEOUT="${READY_TIMEOUT:-60}"
SKIP_BUILD="${SKIP_BUILD:-0}"

ADMIN_EMAIL="admin@bench.test"
ADMIN_PASSWORD="bench-password"
JWT_SECRET="bench-secret-0123456789abcdef0123"

LOG_TAG=login-storm
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -gt 0 ]] || die "DURATION must be a positive number of seconds"
[[ -z "$HASH_CONCURRENCY" || "$HASH_CONCURRENCY" =~ ^[1-9][0-9]*$ ]] || die "HASH_CONCURRENCY must be a positive number"

SERVER_PID=""
RUN_TMP=""
cleanup() {
  stop_pid "$SERVER_PID" 10
  [[ -n "$RUN_TMP" ]] && rm -rf "$RUN_TMP"
}
on_exit_run cleanup

command -v curl >/dev/null || die "curl is required"
command -v python3 >/dev/null || die "python3 is required"
ensure_wrk
build_release

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$BENCH_DIR/results/login-storm-$STAMP"
mkdir -p "$RESULTS"
RUN_TMP="$(mktemp -d -t upturn-login-storm.XXXXXX)"
PORT="$(free_port)"
URL="http://127.0.0.1:$PORT"
SERVER_LOG="$RESULTS/server.log"

log "starting the server on $URL (SQLite; hash concurrency ${HASH_CONCURRENCY:-default})"
(
  cd "$RUN_TMP"
  export UPTURN_DATABASE_URL="sqlite://$RUN_TMP/bench.db?mode=rwc" \
    UPTURN_BIND="127.0.0.1:$PORT" \
    UPTURN_JWT_SECRET="$JWT_SECRET" \
    UPTURN_BOOTSTRAP_ADMIN_EMAIL="$ADMIN_EMAIL" \
    UPTURN_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    UPTURN_LOGIN_ATTEMPTS_PER_MINUTE=1000000000 \
    UPTURN_LOG=warn
  [[ -n "$HASH_CONCURRENCY" ]] && export UPTURN_PASSWORD_HASH_CONCURRENCY="$HASH_CONCURRENCY"
  exec "$BIN" serve
) >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
wait_ready "$URL" "$SERVER_PID" "$SERVER_LOG" "$READY_TIMEOUT" || die "server not ready"

# One login by hand: a storm of 401s would measure nothing.
code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
  -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" "$URL/api/v1/auth/login" || true)"
[[ "$code" == "200" ]] || die "the member's login answered HTTP ${code:-none}, expected 200"

hwm_before="$(hwm_mib "$SERVER_PID")"
log "peak RSS before the storm: $hwm_before MiB; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"
EMAIL="$ADMIN_EMAIL" PASSWORD="$ADMIN_PASSWORD" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" \
  --timeout "$WRK_TIMEOUT" --latency -s "$BENCH_DIR/login.lua" "$URL" | tee "$RESULTS/wrk.txt"
kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 40 "$SERVER_LOG" >&2; die "the server died during the storm"; }
hwm_after="$(hwm_mib "$SERVER_PID")"
rss_after="$(rss_mib "$SERVER_PID")"
threads_after="$(awk '/^Threads:/ {print $2}' "/proc/$SERVER_PID/status")"

read -r rps p50 p99 non2xx sockerr < <(parse_wrk "$RESULTS/wrk.txt")
{
  echo "Upturn login storm — $STAMP, commit $(commit_desc), $(nproc) cores, release, SQLite"
  echo "hash concurrency: ${HASH_CONCURRENCY:-default ($(nproc), one per core)}; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"
  echo "allocator: MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-unset, the glibc default}; load $(cut -d' ' -f1 /proc/loadavg)"
  printf '%-22s %s\n' "logins/s" "$rps" \
    "p50 / p99 ms" "$p50 / $p99" \
    "non-2xx / sock err" "$non2xx / $sockerr" \
    "peak RSS before MiB" "$hwm_before" \
    "peak RSS storm MiB" "$hwm_after" \
    "RSS after MiB" "$rss_after" \
    "threads after" "$threads_after"
} | tee "$RESULTS/summary.txt"
