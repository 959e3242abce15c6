#!/usr/bin/env bash
# `upturn backup` while the service keeps filing (SQLite), over a large seeded history:
# the longest pause between two completed filings while the backup runs, and the
# filings per second before, during and after it (issue 17: no pause over a second).
#
#   bash bench/backup.sh                        # 1,000,000 requests (the seed of metrics.sh)
#   N=100000 SKIP_BUILD=1 bash bench/backup.sh  # a quicker run
#
# 1. builds the release binary (SKIP_BUILD=1 skips), then seeds N requests with
#    bench/seed_metrics.py into bench/results/seed-<N>.db, or reuses that file: the same
#    cache as bench/metrics.sh and bench/pages.sh (RESEED=1, ROLLED_CACHE=1 and
#    SEED_MAX_AGE_HOURS as there);
# 2. copies it for this run, runs `upturn migrate` and starts `upturn serve` on the copy;
# 3. logs in as the seeded team's front-line member and files with wrk
#    (bench/file_request_stamped.lua: bench/file_request.lua plus the time of each 201)
#    for DURATION seconds; BEFORE seconds in, runs `upturn backup --to` on the same
#    database, sampling the size of the write-ahead log meanwhile;
# 4. from the 201 times: filings per second before, during and after the backup, and
#    the longest pause between two completed filings during it (from the backup's start
#    to the first filing, between filings, from the last one to the backup's end);
#    wrk's p99 and max latency over the whole run; the backup's duration and size, and
#    the requests it holds;
# 5. prints a summary; raw outputs go to bench/results/<UTC timestamp>-backup/.
#
# Release build only.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
LOG_TAG=backup
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

N="${N:-1000000}"                  # requests to seed (the cache of metrics.sh)
SEED="${SEED:-20261123}"
DAYS="${DAYS:-730}"
RESEED="${RESEED:-0}"
SEED_MAX_AGE_HOURS="${SEED_MAX_AGE_HOURS:-168}"
ROLLED_CACHE="${ROLLED_CACHE:-0}"  # 1: keep the migrated copy and start later runs from it
DURATION="${DURATION:-120}"        # seconds of filing in all
BEFORE="${BEFORE:-20}"             # seconds of filing before the backup starts
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
WRK_TIMEOUT="${WRK_TIMEOUT:-30s}"  # a filing held up by the backup is a latency, not an error
READY_TIMEOUT="${READY_TIMEOUT:-600}"
TEAM="${TEAM:-03}"                 # seeded team (01-20) whose front-line member files
PAUSE_LIMIT_MS="${PAUSE_LIMIT_MS:-1000}" # issue 17: filings never blocked over a second
RUN_TMPDIR="${RUN_TMPDIR:-}"       # where this run's copy and backup go (default bench/results)
SKIP_BUILD="${SKIP_BUILD:-0}"

for v in N DAYS DURATION BEFORE SEED_MAX_AGE_HOURS READY_TIMEOUT PAUSE_LIMIT_MS; do
  [[ "${!v}" =~ ^[0-9]+$ && "${!v}" -gt 0 ]] || die "$v must be a positive integer"
done
((BEFORE < DURATION)) || die "BEFORE must be less than DURATION"
[[ "$TEAM" =~ ^[0-9]{2}$ ]] || die "TEAM must be two digits (01-20)"

SERVER_PID=""
WRK_PID=""
RUN_TMP=""

cleanup() {
  stop_pid "$WRK_PID" 5
  WRK_PID=""
  stop_pid "$SERVER_PID" 30
  SERVER_PID=""
  if [[ -n "$RUN_TMP" ]]; then
    rm -rf "$RUN_TMP"
    RUN_TMP=""
  fi
}

on_exit_run cleanup

command -v curl >/dev/null || die "curl is required"
command -v python3 >/dev/null || die "python3 is required"
ensure_wrk
build_release

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$BENCH_DIR/results/$STAMP-backup"
mkdir -p "$RESULTS"

# ---------------------------------------------------------------- 1. the seeded database
seeded_cache

# ---------------------------------------------------------------- 2. this run's copy, migrate, serve
RUN_TMP="$(mktemp -d -p "${RUN_TMPDIR:-$BENCH_DIR/results}" .backup-run.XXXXXX)"
copy_seeded "$RUN_TMP"

server_env() {
  export UPTURN_DATABASE_URL="$DB_URL" \
    UPTURN_JWT_SECRET="$JWT_SECRET" \
    UPTURN_BOOTSTRAP_ADMIN_EMAIL="$ADMIN_EMAIL" \
    UPTURN_BOOTSTRAP_ADMIN_PASSWORD="$PASSWORD" \
    UPTURN_LOG="${UPTURN_LOG:-warn}"
}

migrate_copy "$RUN_TMP" "$RESULTS/migrate.log"

PORT="$(free_port)"
URL="http://127.0.0.1:$PORT"
SERVER_LOG="$RESULTS/server.log"
log "starting upturn serve on $URL"
(
  cd "$RUN_TMP"
  server_env
  export UPTURN_BIND="127.0.0.1:$PORT"
  exec "$BIN" serve
) >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
wait_ready "$URL" "$SERVER_PID" "$SERVER_LOG" "$READY_TIMEOUT" || die "server not ready"

# ---------------------------------------------------------------- 3. file, and back up meanwhile
FRONT_EMAIL="front$TEAM@metrics.bench"
TOKEN="$(curl -sS --max-time 60 -H 'Content-Type: application/json' \
  -d "{\"email\":\"$FRONT_EMAIL\",\"password\":\"$PASSWORD\"}" "$URL/api/v1/auth/login" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')" \
  || die "logging in as $FRONT_EMAIL failed"
code="$(curl -sS --max-time 60 -o "$RESULTS/first-filing.json" -w '%{http_code}' \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"kind":"improvement","category":"product","urgency":"normal","channel":"in_person","title":"Trousers in size 44","description":"Customer asked for size 44","customer_expectation":"Find size 44 in store"}' \
  "$URL/api/v1/requests")"
[[ "$code" == "201" ]] || die "a first filing answered $code, not 201"
REQUESTS_BEFORE="$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("SELECT COUNT(*) FROM requests").fetchone()[0])' "$DB")"

STAMPS="$RESULTS/stamps.txt"
BACKUP="$RUN_TMP/backup.db"
log "filing for ${DURATION}s with wrk -t$THREADS -c$CONNECTIONS; the backup starts ${BEFORE}s in"
WRK_STARTED="$(date +%s.%N)"
BENCH_DIR="$BENCH_DIR" STAMPS="$STAMPS" TOKEN="$TOKEN" \
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout "$WRK_TIMEOUT" --latency \
  -s "$BENCH_DIR/file_request_stamped.lua" "$URL" >"$RESULTS/wrk.txt" 2>&1 &
WRK_PID=$!
sleep "$BEFORE"
kill -0 "$WRK_PID" 2>/dev/null || die "wrk ended early: $(tail -n 5 "$RESULTS/wrk.txt")"

log "upturn backup --to $BACKUP"
BACKUP_STARTED="$(date +%s.%N)"
( cd "$RUN_TMP" && server_env && exec "$BIN" backup --to "$BACKUP" ) >"$RESULTS/backup.log" 2>&1 &
BACKUP_PID=$!
WAL_MAX=0
while kill -0 "$BACKUP_PID" 2>/dev/null; do
  wal="$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)"
  ((wal > WAL_MAX)) && WAL_MAX=$wal
  sleep 0.2
done
BACKUP_RC=0
wait "$BACKUP_PID" || BACKUP_RC=$?
BACKUP_ENDED="$(date +%s.%N)"
[[ "$BACKUP_RC" == "0" ]] || die "upturn backup failed: $(cat "$RESULTS/backup.log")"
kill -0 "$WRK_PID" 2>/dev/null \
  || die "the backup outlasted the filing (raise DURATION above $DURATION)"
log "backup done in $(elapsed_since "$BACKUP_STARTED")s; filing until wrk ends"
wait "$WRK_PID" || die "wrk failed: $(tail -n 5 "$RESULTS/wrk.txt")"
WRK_PID=""
WRK_ENDED="$(date +%s.%N)"
check_alive() { kill -0 "$SERVER_PID" 2>/dev/null || die "the server died; see $SERVER_LOG"; }
check_alive
BACKUP_BYTES="$(stat -c %s "$BACKUP")"
BACKUP_REQUESTS="$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("SELECT COUNT(*) FROM requests").fetchone()[0])' "$BACKUP")"

# ---------------------------------------------------------------- 4. the figures
read -r RPS P50 P99 NON2XX SOCKERR < <(parse_wrk "$RESULTS/wrk.txt")
MAX_LATENCY="$(sed -n 's/^latency ms: .* max \([0-9.]*\)$/\1/p' "$RESULTS/wrk.txt")"
read -r BEFORE_RATE DURING_RATE AFTER_RATE DURING_FILED LONGEST LONGEST_AT < <(
  python3 - "$STAMPS" "$WRK_STARTED" "$BACKUP_STARTED" "$BACKUP_ENDED" "$WRK_ENDED" <<'PY'
import sys
path, wrk_start, b_start, b_end, wrk_end = sys.argv[1], *map(lambda s: float(s) * 1000, sys.argv[2:])
stamps = sorted(float(line) for line in open(path) if line.strip())
def rate(lo, hi):
    n = sum(1 for t in stamps if lo <= t < hi)
    return n / ((hi - lo) / 1000) if hi > lo else 0.0
# Before: leave the first 5 s (connections opening, caches warming) out.
before = rate(min(wrk_start + 5000, b_start), b_start)
during = [t for t in stamps if b_start <= t < b_end]
after = rate(b_end, max(s for s in stamps) if stamps else b_end)
edges = [b_start, *during, b_end]
gaps = [(edges[i + 1] - edges[i], edges[i] - b_start) for i in range(len(edges) - 1)]
longest, at = max(gaps)
print(f"{before:.0f} {rate(b_start, b_end):.0f} {after:.0f} {len(during)} {longest:.0f} {at / 1000:.1f}")
PY
)
BACKUP_SECONDS="$(awk -v a="$BACKUP_STARTED" -v b="$BACKUP_ENDED" 'BEGIN { printf "%.1f", b - a }')"
VERDICT="ok"
((LONGEST <= PAUSE_LIMIT_MS)) || VERDICT="OVER ${PAUSE_LIMIT_MS} ms"
[[ "$NON2XX" == "0" && "$SOCKERR" == "0" ]] || VERDICT="$VERDICT; errors: non-2xx $NON2XX, socket $SOCKERR"

{
  echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:      $(commit_desc)"
  echo "binary:      $BIN (release)"
  echo "host:        $(uname -srm), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "database:    SQLite, copy of $SOURCE (seeded file $CACHE_BYTES bytes), $REQUESTS_BEFORE requests before the run"
  echo "load:        wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s POST /api/v1/requests; backup started ${BEFORE}s in"
  echo "backup:      ${BACKUP_SECONDS}s, $BACKUP_BYTES bytes, $BACKUP_REQUESTS requests; WAL peaked at $((WAL_MAX / 1048576)) MiB meanwhile"
  echo "             $(cat "$RESULTS/backup.log")"
  echo "files/s:     before $BEFORE_RATE, during the backup $DURING_RATE, after $AFTER_RATE (whole run $RPS)"
  echo "pause:       longest wait between two filings during the backup ${LONGEST} ms (${LONGEST_AT}s into it), $DURING_FILED filed meanwhile"
  echo "latency:     p50 $P50 ms, p99 $P99 ms, max $MAX_LATENCY ms over the whole run"
  echo "verdict:     $VERDICT (limit: no pause over $PAUSE_LIMIT_MS ms)"
} | tee "$RESULTS/summary.txt"
