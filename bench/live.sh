#!/usr/bin/env bash
# Live-stream benchmark: GET /api/v1/stream across two replicas on one PostgreSQL database.
#
#   bash bench/live.sh
#   SKIP_BUILD=1 FILINGS=1000 STREAMS=5000 bash bench/live.sh
#
# 1. starts replicas A and B (same database, same JWT secret) and seeds them through the
#    API (a team unit, a front-line member and a manager);
# 2. latency: one SSE stream on A as the manager; files FILINGS requests on B as the
#    front-line member; per filing, time from just before the POST until the `filed`
#    inbox item for that request arrives on A (p50/p99/max); then GET /healthz on A with
#    wrk (the same run's ceiling);
# 3. memory: STREAMS idle SSE streams to A as the manager; server VmRSS before, with
#    them open (held past one 15 s heartbeat) and after closing them.
#
# See bench/README.md ("Live stream"). Release build only. Helper: bench/live.py.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"

FILINGS="${FILINGS:-1000}"                 # measured filings
WARMUP="${WARMUP:-10}"                     # filings before those, not counted
CONCURRENCY="${CONCURRENCY:-1}"            # filings in flight at once (1: sequential)
EVENT_TIMEOUT="${EVENT_TIMEOUT:-10}"       # seconds to wait for a filing's event before counting it missed
STREAMS="${STREAMS:-5000}"                 # idle streams for the memory figure
OPEN_CONCURRENCY="${OPEN_CONCURRENCY:-100}" # streams being opened at once
HOLD_SECONDS="${HOLD_SECONDS:-20}"         # how long the idle streams stay open (> 15 s heartbeat)
AFTER_CLOSE_SECONDS="${AFTER_CLOSE_SECONDS:-45}" # at most this long, watch A let the closed streams go
HEALTHZ_DURATION="${HEALTHZ_DURATION:-10}" # seconds of wrk GET /healthz
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
READY_TIMEOUT="${READY_TIMEOUT:-60}"
SEED_ON="${SEED_ON:-B}"                    # replica that serves the seeding (admin work and the 3 logins)
SKIP_BUILD="${SKIP_BUILD:-0}"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-postgres}"
PG_ADMIN_DB="${PG_ADMIN_DB:-test}"

ADMIN_EMAIL="admin@bench.test"
ADMIN_PASSWORD="bench-password"
JWT_SECRET="bench-secret-0123456789abcdef0123"

LOG_TAG=live
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

for v in FILINGS CONCURRENCY STREAMS OPEN_CONCURRENCY HOLD_SECONDS AFTER_CLOSE_SECONDS HEALTHZ_DURATION; do
  [[ "${!v}" =~ ^[0-9]+$ && "${!v}" -gt 0 ]] || die "$v must be a positive integer"
done
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer"
[[ "$SEED_ON" == A || "$SEED_ON" == B ]] || die "SEED_ON must be A or B"

STARTED=$SECONDS

# ---------------------------------------------------------------- state and cleanup
PID_A=""
PID_B=""
PG_DB=""
RUN_TMP=""

cleanup() {
  stop_pid "$PID_A"; PID_A=""
  stop_pid "$PID_B"; PID_B=""
  drop_pg_db
  if [[ -n "$RUN_TMP" ]]; then
    rm -rf "$RUN_TMP"
    RUN_TMP=""
  fi
}

on_exit_run cleanup

# ---------------------------------------------------------------- prerequisites
command -v curl >/dev/null || die "curl is required"
command -v psql >/dev/null || die "psql is required"
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "$PYTHON must be Python 3.11 or later"

# 5,000 streams need 5,000+ descriptors in the client and in replica A (both inherit this).
NEED_FDS=$((STREAMS + 1024))
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[[ "$(ulimit -n)" == "unlimited" || "$(ulimit -n)" -ge "$NEED_FDS" ]] \
  || die "open-file limit $(ulimit -n) (hard $(ulimit -Hn)) is below $NEED_FDS for $STREAMS streams"

BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/upturn"
BUILD_SECONDS=0
if [[ "$SKIP_BUILD" == "1" ]]; then
  log "SKIP_BUILD=1: using existing $BIN"
else
  log "building release binary (cargo build --release)"
  (cd "$ROOT" && cargo build --release)
  BUILD_SECONDS=$((SECONDS - STARTED))
  STARTED=$SECONDS
fi
[[ -x "$BIN" ]] || die "release binary not found at $BIN"

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$BENCH_DIR/results/$STAMP-live"
mkdir -p "$RESULTS"
RUN_TMP="$(mktemp -d -t upturn-live.XXXXXX)"

{
  echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:      $(commit_desc)"
  echo "binary:      $BIN (release)"
  echo "host:        $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "postgres:    $(psql -X -tA -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_ADMIN_DB" -c 'SHOW server_version' 2>/dev/null || echo unknown) at $PG_HOST:$PG_PORT"
  echo "python:      $("$PYTHON" --version 2>&1)"
  if command -v wrk >/dev/null; then
    echo "wrk:         $(wrk --version 2>&1 | head -n1 || true)"
  else
    echo "wrk:         not installed (python rate instead)"
  fi
  echo "fd limit:    $(ulimit -n)"
  echo "latency:     $FILINGS filings (+$WARMUP warm-up) on B, stream on A, concurrency $CONCURRENCY, event timeout ${EVENT_TIMEOUT}s"
  echo "healthz:     ${HEALTHZ_DURATION}s on A; threads $THREADS; connections $CONNECTIONS"
  echo "memory:      $STREAMS idle streams on A, $OPEN_CONCURRENCY opening at a time, held ${HOLD_SECONDS}s"
  echo "seeding:     through replica $SEED_ON (admin login, 2 members created, 2 logins)"
  echo "note:        both replicas, PostgreSQL and the python client share this host"
} >"$RESULTS/meta.txt"

# ---------------------------------------------------------------- helpers
# start_replica NAME PORT -> sets STARTED_PID (the server itself: the subshell execs it)
start_replica() {
  local name="$1" port="$2"
  (
    cd "$RUN_TMP"
    export UPTURN_DATABASE_URL="$DB_URL" \
      UPTURN_BIND="127.0.0.1:$port" \
      UPTURN_JWT_SECRET="$JWT_SECRET" \
      UPTURN_BOOTSTRAP_ADMIN_EMAIL="$ADMIN_EMAIL" \
      UPTURN_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
      UPTURN_LOG=warn
    exec "$BIN" serve
  ) >"$RESULTS/$name-server.log" 2>&1 &
  STARTED_PID=$!
}

# rss_checkpoint LABEL: VmRSS of both replicas into rss-checkpoints.txt (what the baseline is made of)
rss_checkpoint() {
  local a b
  a="$(rss_mib "$PID_A")"
  b="$(rss_mib "$PID_B")"
  printf '%-28s A %8s MiB   B %8s MiB\n' "$1" "$a" "$b" >>"$RESULTS/rss-checkpoints.txt"
}

check_alive() {
  local name pid
  for name in A B; do
    pid="PID_$name"; pid="${!pid}"
    if ! kill -0 "$pid" 2>/dev/null; then
      log "replica $name died during '$1'; last log lines:"
      tail -n 40 "$RESULTS/$name-server.log" >&2 || true
      return 1
    fi
  done
}

# ---------------------------------------------------------------- database and replicas
PG_DB="upturn_live_$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')"
log "creating database $PG_DB"
psql_admin "CREATE DATABASE \"$PG_DB\"" >/dev/null || { PG_DB=""; die "could not create database on $PG_HOST:$PG_PORT"; }
DB_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB"

PORT_A="$(free_port)"
URL_A="http://127.0.0.1:$PORT_A"
log "starting replica A on $URL_A"
start_replica A "$PORT_A"; PID_A="$STARTED_PID"
# A first: it runs the migrations and creates the bootstrap admin; then B joins.
wait_ready "$URL_A" "$PID_A" "$RESULTS/A-server.log" "$READY_TIMEOUT" || die "replica A not ready"

PORT_B="$(free_port)"
while [[ "$PORT_B" == "$PORT_A" ]]; do PORT_B="$(free_port)"; done
URL_B="http://127.0.0.1:$PORT_B"
log "starting replica B on $URL_B"
start_replica B "$PORT_B"; PID_B="$STARTED_PID"
wait_ready "$URL_B" "$PID_B" "$RESULTS/B-server.log" "$READY_TIMEOUT" || die "replica B not ready"
{
  echo "replica A:   $URL_A (pid $PID_A, fd limit $(awk '/Max open files/ {print $4}' /proc/"$PID_A"/limits))"
  echo "replica B:   $URL_B (pid $PID_B)"
} >>"$RESULTS/meta.txt"

rss_checkpoint "both ready"
# Seeding hashes passwords (argon2id, 19 MiB each, on blocking threads); the allocator keeps
# much of that resident, so by default it happens on B and A's RSS is the streams' (see README).
SEED_URL="URL_$SEED_ON"; SEED_URL="${!SEED_URL}"
log "seeding through $SEED_ON (unit, front-line member, manager)"
"$PYTHON" "$BENCH_DIR/live.py" seed --url "$SEED_URL" --tokens "$RUN_TMP/tokens.json" --info "$RESULTS/seed.json" \
  --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" || die "seeding failed"

rss_checkpoint "after seeding (3 logins)"

# ---------------------------------------------------------------- 1. latency
log "latency: stream on A, $FILINGS filings (+$WARMUP warm-up) on B, concurrency $CONCURRENCY"
"$PYTHON" "$BENCH_DIR/live.py" latency --stream-url "$URL_A" --file-url "$URL_B" \
  --tokens "$RUN_TMP/tokens.json" --out "$RESULTS" --count "$FILINGS" --warmup "$WARMUP" \
  --concurrency "$CONCURRENCY" --event-timeout "$EVENT_TIMEOUT" | tee "$RESULTS/latency.txt" \
  || die "latency run failed"
check_alive "latency" || die "a replica crashed"
rss_checkpoint "after the latency run"

# ---------------------------------------------------------------- 2. healthz ceiling
if command -v wrk >/dev/null; then
  log "wrk GET /healthz on A (${HEALTHZ_DURATION}s, -t$THREADS -c$CONNECTIONS)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${HEALTHZ_DURATION}s" --latency "$URL_A/healthz" \
    | tee "$RESULTS/healthz.txt"
  HEALTHZ="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$RESULTS/healthz.txt")"
  HEALTHZ_TOOL="wrk -t$THREADS -c$CONNECTIONS"
else
  log "wrk not installed: python GET /healthz rate on A (${HEALTHZ_DURATION}s, $CONNECTIONS connections)"
  "$PYTHON" "$BENCH_DIR/live.py" rate --url "$URL_A" --duration "$HEALTHZ_DURATION" \
    --connections "$CONNECTIONS" --out "$RESULTS/healthz.json" | tee "$RESULTS/healthz.txt"
  HEALTHZ="$("$PYTHON" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["req_per_s"]))' "$RESULTS/healthz.json")"
  HEALTHZ_TOOL="python, $CONNECTIONS connections"
fi
check_alive "healthz" || die "a replica crashed"
rss_checkpoint "after GET /healthz load"

# ---------------------------------------------------------------- 3. memory
log "memory: $STREAMS idle streams on A (pid $PID_A)"
"$PYTHON" "$BENCH_DIR/live.py" memory --url "$URL_A" --pid "$PID_A" --tokens "$RUN_TMP/tokens.json" \
  --out "$RESULTS" --streams "$STREAMS" --open-concurrency "$OPEN_CONCURRENCY" --hold "$HOLD_SECONDS" --after-close "$AFTER_CLOSE_SECONDS" \
  | tee "$RESULTS/memory.txt" || die "memory run failed"
check_alive "memory" || die "a replica crashed"
rss_checkpoint "after the streams closed"

# Both replicas after everything: still answering?
for name in A B; do
  url="URL_$name"
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${!url}/readyz" || true)"
  [[ "$code" == "200" ]] || log "replica $name answers /readyz with ${code:-nothing} after the run"
done

log "stopping replicas"
stop_pid "$PID_A"; PID_A=""
stop_pid "$PID_B"; PID_B=""

ELAPSED=$((SECONDS - STARTED))
LOG_A_LINES="$(grep -cE 'WARN|ERROR' "$RESULTS/A-server.log" || true)"
LOG_B_LINES="$(grep -cE 'WARN|ERROR' "$RESULTS/B-server.log" || true)"

# ---------------------------------------------------------------- summary
"$PYTHON" - "$RESULTS" "$STAMP" "$HEALTHZ" "$HEALTHZ_TOOL" "$ELAPSED" "$LOG_A_LINES" "$LOG_B_LINES" "$SEED_ON" "$BUILD_SECONDS" \
  <<'PY' | tee "$RESULTS/summary.txt"
import json, sys
results, stamp, healthz, healthz_tool, elapsed, log_a, log_b, seed_on, build_s = sys.argv[1:]
lat = json.load(open(f"{results}/latency.json"))
mem = json.load(open(f"{results}/memory.json"))
e, p = lat["event_ms"], lat["post_ms"]
f = lambda v, d=2: "n/a" if v is None else f"{v:.{d}f}"
def verdict(ok): return "met" if ok else "NOT met"
rows = [
    ("change -> stream p50 (filed on B, seen on A)", f"{f(e['p50'])} ms", ""),
    ("change -> stream p99", f"{f(e['p99'])} ms",
     "< 100 ms: " + verdict(e["p99"] is not None and e["p99"] < 100 and lat["missed"] == 0)),
    ("change -> stream max", f"{f(e['max'])} ms", ""),
    ("changes delivered / measured (missed)", f"{lat['delivered']} / {lat['measured']} ({lat['missed']})",
     f"{lat['filing_errors']} filing errors"),
    ("POST /requests p50 / p99 on B (for reference)", f"{f(p['p50'])} / {f(p['p99'])} ms", ""),
    (f"GET /healthz on A ({healthz_tool})", f"{healthz} req/s", "same run's ceiling"),
    (f"streams connected / asked", f"{mem['connected']} / {mem['streams']}",
     f"in {mem['open_seconds']:.1f} s; errors {mem['open_errors'] or 'none'}"),
    (f"streams alive after {mem['hold_s']:.0f} s (got a heartbeat)",
     f"{mem['still_open_after_hold']} ({mem['with_heartbeat']})", ""),
    ("A VmRSS before streams", f"{mem['rss_before_mib']:.1f} MiB", ""),
    (f"A VmRSS with {mem['connected']} streams (peak while held)",
     f"{mem['rss_peak_with_streams_mib']:.1f} MiB = {mem['rss_peak_with_streams_mib'] * 1.048576:.1f} MB",
     "< 150 MB (10^6 bytes): " + verdict(mem["rss_peak_with_streams_mib"] * 1.048576 < 150
                                         and mem["connected"] == mem["streams"])
     + ("; < 150 MiB" if mem["rss_peak_with_streams_mib"] < 150 else "")),
    (f"A VmRSS once all {mem['connected']} connected (before the heartbeat)",
     f"{mem['rss_connected_mib']:.1f} MiB = {mem['rss_connected_mib'] * 1.048576:.1f} MB", ""),
    ("  per stream", f"{f(mem['per_stream_kib'], 1)} KiB", ""),
    ("A stream sockets: before / with streams / after closing",
     f"{mem['server_sockets_before']} / {mem['server_sockets_with_streams']} / {mem['server_sockets_after_close']}",
     (f"released {mem['sockets_released_after_s']:.0f} s after the client closed"
      if mem["sockets_released_after_s"] is not None
      else f"NOT released within {mem['after_close_s']:.0f} s")
     + " (a gone client is noticed by a failed heartbeat write)"),
    ("A VmRSS after the streams were released", f"{mem['rss_after_close_mib']:.1f} MiB",
     "the allocator keeps freed memory"),
    ("server WARN/ERROR log lines A / B", f"{log_a} / {log_b}", ""),
    ("wall-clock time of this benchmark", f"{int(elapsed) // 60}m{int(elapsed) % 60:02d}s",
     f"plus {build_s} s of cargo build" if build_s != "0" else ""),
]
print(f"Upturn live-stream benchmark - {stamp} (release build, PostgreSQL, 2 replicas on one host)")
print(f"{lat['measured']} filings on B at concurrency {lat['concurrency']} (+{lat['warmup']} warm-up), "
      f"one SSE stream on A; {mem['streams']} idle SSE streams on A for memory; seeded through {seed_on}.")
print()
print("VmRSS checkpoints (MiB):")
print(open(f"{results}/rss-checkpoints.txt").read().rstrip())
print()
w = max(len(r[0]) for r in rows)
print(f"{'measure':<{w}}  {'value':>26}  goal / note")
for name, value, note in rows:
    print(f"{name:<{w}}  {value:>26}  {note}")
PY
echo
log "raw outputs and server logs: $RESULTS"
