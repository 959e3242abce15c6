#!/usr/bin/env bash
# Leadership metrics and CSV export over a large seeded history (SQLite).
#
#   bash bench/metrics.sh                       # 1,000,000 requests (seeded once, then cached)
#   N=20000 SKIP_BUILD=1 bash bench/metrics.sh  # quick run
#
# 1. builds the release binary (SKIP_BUILD=1 skips), then seeds N requests with
#    bench/seed_metrics.py into bench/results/seed-<N>.db, or reuses that file when
#    it was seeded by the same seeder with the same N, seed and period (RESEED=1 forces);
# 2. copies the seeded file for this run (the server writes to it), times
#    `upturn migrate` on it, starts `upturn serve` and times it to GET /readyz;
# 3. measures in one run: GET /healthz with wrk (the ceiling); GET
#    /api/v1/metrics/overview as a leader with wrk --latency for the default period
#    (last 30 days) and the whole seeded history; /metrics/by-unit, /by-category and
#    /trend once each with curl; GET /api/v1/requests/export.csv of every request
#    (time to first byte, total time, rows, bytes) with the server's VmRSS sampled
#    every RSS_INTERVAL seconds during the download;
# 4. prints a summary; raw outputs go to bench/results/<UTC timestamp>-metrics/.
#
# See bench/README.md ("Metrics and export"). Release build only.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
LOG_TAG=metrics
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

N="${N:-1000000}"                          # requests to seed
SEED="${SEED:-20261123}"                   # random seed of the seeder
DAYS="${DAYS:-730}"                        # filings spread over this many days before the seeding
RESEED="${RESEED:-0}"                      # 1: seed again even when a cached file fits
SEED_MAX_AGE_HOURS="${SEED_MAX_AGE_HOURS:-168}" # an older cached file is seeded again ("last 30 days" drifts)
HEALTHZ_DURATION="${HEALTHZ_DURATION:-10}" # seconds of wrk GET /healthz
HEALTHZ_THREADS="${HEALTHZ_THREADS:-2}"
HEALTHZ_CONNECTIONS="${HEALTHZ_CONNECTIONS:-64}"
METRICS_DURATION="${METRICS_DURATION:-20}" # seconds of wrk per overview period
METRICS_THREADS="${METRICS_THREADS:-2}"
METRICS_CONNECTIONS="${METRICS_CONNECTIONS:-4}"
OVERVIEW_PATH="${OVERVIEW_PATH:-/api/v1/metrics/overview}" # measured with wrk (another GET can stand in)
WRK_TIMEOUT="${WRK_TIMEOUT:-30s}"          # a slow metrics answer is a latency, not a socket timeout
CURL_TIMEOUT="${CURL_TIMEOUT:-600}"        # seconds, for the single curl calls and the export
RSS_INTERVAL="${RSS_INTERVAL:-0.05}"       # seconds between VmRSS samples during the export
READY_TIMEOUT="${READY_TIMEOUT:-600}"      # a first start may rebuild derived data from the rows
SKIP_BUILD="${SKIP_BUILD:-0}"
ROLLED_CACHE="${ROLLED_CACHE:-0}"          # 1: keep the migrated copy (roll-ups built) and start later runs from it

for v in N DAYS HEALTHZ_DURATION METRICS_DURATION SEED_MAX_AGE_HOURS READY_TIMEOUT; do
  [[ "${!v}" =~ ^[0-9]+$ && "${!v}" -gt 0 ]] || die "$v must be a positive integer"
done

STARTED=$SECONDS

# ---------------------------------------------------------------- state and cleanup
SERVER_PID=""
SAMPLER_PID=""
RUN_TMP=""

cleanup() {
  if [[ -n "$SAMPLER_PID" ]]; then
    touch "$RUN_TMP/sampler.stop" 2>/dev/null || true
    wait "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=""
  fi
  stop_pid "$SERVER_PID" 30
  SERVER_PID=""
  if [[ -n "$RUN_TMP" ]]; then
    rm -rf "$RUN_TMP"
    RUN_TMP=""
  fi
}

on_exit_run cleanup

# ---------------------------------------------------------------- prerequisites
command -v curl >/dev/null || die "curl is required"
command -v python3 >/dev/null || die "python3 is required"
ensure_wrk
build_release

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$BENCH_DIR/results/$STAMP-metrics"
mkdir -p "$RESULTS"

# ---------------------------------------------------------------- 1. the seeded database
seeded_cache

# ---------------------------------------------------------------- 2. this run's copy, migrate, serve
RUN_TMP="$(mktemp -d -p "$BENCH_DIR/results" .metrics-run.XXXXXX)"
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
t0="$(date +%s.%N)"
(
  cd "$RUN_TMP"
  server_env
  export UPTURN_BIND="127.0.0.1:$PORT"
  exec "$BIN" serve
) >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
wait_ready "$URL" "$SERVER_PID" "$SERVER_LOG" "$READY_TIMEOUT" || die "server not ready"
READY_SECONDS="$(elapsed_since "$t0")"
RSS_READY="$(rss_mib "$SERVER_PID")"
log "ready in ${READY_SECONDS}s (migrate ${MIGRATE_SECONDS}s); VmRSS $RSS_READY MiB"

check_alive() {
  kill -0 "$SERVER_PID" 2>/dev/null && return 0
  log "server died during '$1'; last log lines:"
  tail -n 40 "$SERVER_LOG" >&2 || true
  return 1
}

# Leader token (one login: the login rate limit is per email).
TOKEN="$(python3 - "$URL" "$LEADER_EMAIL" "$PASSWORD" <<'PY'
import json, sys, urllib.request
url, email, password = sys.argv[1:]
req = urllib.request.Request(url + "/api/v1/auth/login", method="POST",
                             data=json.dumps({"email": email, "password": password}).encode(),
                             headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req, timeout=30))["access_token"])
PY
)" || die "leader login failed"
[[ -n "$TOKEN" ]] || die "leader login gave no token"

EXPECTED_ROWS="$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("SELECT COUNT(*) FROM requests").fetchone()[0])' "$DB")"
# The whole seeded history: from the first filing (floored to the second) to now (+1 s).
FROM_ALL="${EARLIEST:0:19}Z"
TO_ALL="$(date -u -d '+1 second' +%Y-%m-%dT%H:%M:%SZ)"
QUERY_ALL="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlencode({"from": sys.argv[1], "to": sys.argv[2]}))' "$FROM_ALL" "$TO_ALL")"

{
  echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:      $(commit_desc)"
  echo "binary:      $BIN (release)"
  echo "host:        $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "wrk:         $(wrk --version 2>&1 | head -n1 || true)"
  echo "database:    SQLite, copy of $SOURCE (seeded file $CACHE_BYTES bytes), $EXPECTED_ROWS requests"
  echo "seed:        N=$N seed=$SEED days=$DAYS seeded_at=$SEEDED_AT earliest=$EARLIEST$([[ $SEEDED_NOW == 1 ]] && echo " (seeded by this run)")"
  echo "healthz:     ${HEALTHZ_DURATION}s, -t$HEALTHZ_THREADS -c$HEALTHZ_CONNECTIONS"
  echo "overview:    ${METRICS_DURATION}s per period, -t$METRICS_THREADS -c$METRICS_CONNECTIONS, timeout $WRK_TIMEOUT"
  echo "whole range: ?$QUERY_ALL"
  echo "rss:         sampled every ${RSS_INTERVAL}s during the export"
  echo "load:        $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) before the measurements"
  echo "note:        wrk, curl and the server share this host"
} >"$RESULTS/meta.txt"

# ---------------------------------------------------------------- 3a. healthz ceiling
log "wrk GET /healthz (${HEALTHZ_DURATION}s, -t$HEALTHZ_THREADS -c$HEALTHZ_CONNECTIONS)"
wrk -t"$HEALTHZ_THREADS" -c"$HEALTHZ_CONNECTIONS" -d"${HEALTHZ_DURATION}s" --latency \
  "$URL/healthz" >"$RESULTS/healthz.txt"
check_alive healthz || die "server crashed"
read -r HEALTHZ_RPS _ _ _ _ < <(parse_wrk "$RESULTS/healthz.txt")

ROWS=()   # "label|value|note"
row() { ROWS+=("$1|$2|${3:-}"); }
row "GET /healthz (wrk -t$HEALTHZ_THREADS -c$HEALTHZ_CONNECTIONS, ${HEALTHZ_DURATION}s)" "$HEALTHZ_RPS req/s" "the ceiling of this run"

# probe PATH_AND_QUERY FILE -> "http_code time_total_s bytes"
probe() {
  curl -s -o "$2" --max-time "$CURL_TIMEOUT" -H "Authorization: Bearer $TOKEN" \
    -w '%{http_code} %{time_total} %{size_download}\n' "$URL$1" || echo "000 0 0"
}

# ---------------------------------------------------------------- 3b. metrics
overview_label="overview"
[[ "$OVERVIEW_PATH" == /api/v1/metrics/overview ]] || overview_label="GET $OVERVIEW_PATH"
for period in default all; do
  if [[ "$period" == default ]]; then
    path="$OVERVIEW_PATH"; label="$overview_label, default period (last 30 days)"
  else
    path="$OVERVIEW_PATH?$QUERY_ALL"; label="$overview_label, whole history"
  fi
  read -r code total _ < <(probe "$path" "$RESULTS/overview-$period.json")
  if [[ "$code" != "200" ]]; then
    log "GET $path -> HTTP $code: not available"
    row "$label" "not available (HTTP $code)" ""
    continue
  fi
  log "wrk GET $path (${METRICS_DURATION}s, -t$METRICS_THREADS -c$METRICS_CONNECTIONS)"
  TOKEN="$TOKEN" wrk -t"$METRICS_THREADS" -c"$METRICS_CONNECTIONS" -d"${METRICS_DURATION}s" \
    --timeout "$WRK_TIMEOUT" --latency -s "$BENCH_DIR/auth_get.lua" "$URL$path" \
    >"$RESULTS/overview-$period-wrk.txt"
  check_alive overview || die "server crashed"
  read -r rps p50 p99 non2xx sockerr < <(parse_wrk "$RESULTS/overview-$period-wrk.txt")
  note="first call $(awk -v t="$total" 'BEGIN { printf "%.0f ms", t * 1000 }')"
  [[ "$non2xx" != "0" || "$sockerr" != "0" ]] && note="$note; INVALID: $non2xx non-2xx, $sockerr socket errors"
  row "$label" "p50 $p50 ms, p99 $p99 ms, $rps req/s" "$note"
done

for endpoint in by-unit by-category trend; do
  for period in default all; do
    if [[ "$period" == default ]]; then
      path="/api/v1/metrics/$endpoint"; label="$endpoint, default period"
    else
      path="/api/v1/metrics/$endpoint?$QUERY_ALL"; label="$endpoint, whole history"
    fi
    read -r code total bytes < <(probe "$path" "$RESULTS/$endpoint-$period.json")
    if [[ "$code" == "200" ]]; then
      row "$label (curl once)" "$(awk -v t="$total" 'BEGIN { printf "%.0f ms", t * 1000 }')" "$bytes bytes"
    else
      row "$label (curl once)" "not available (HTTP $code)" ""
    fi
    check_alive "$endpoint" || die "server crashed"
  done
done

# ---------------------------------------------------------------- 3c. the export
RSS_BEFORE="$(rss_mib "$SERVER_PID")"
HWM_BEFORE="$(hwm_mib "$SERVER_PID")"
CPU_BEFORE="$(cpu_seconds "$SERVER_PID")"
log "export: GET /api/v1/requests/export.csv ($EXPECTED_ROWS rows expected); VmRSS before $RSS_BEFORE MiB"
python3 - "$SERVER_PID" "$RESULTS/export-rss.csv" "$RUN_TMP/sampler.stop" "$RSS_INTERVAL" <<'PY' &
# VmRSS of the server every interval until the stop file appears: "seconds,kib"
import os, sys, time
pid, out, stop, interval = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
start = time.monotonic()
with open(out, "w") as f:
    f.write("seconds,vmrss_kib\n")
    while not os.path.exists(stop):
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        f.write(f"{time.monotonic() - start:.3f},{line.split()[1]}\n")
                        break
        except OSError:
            break
        time.sleep(interval)
PY
SAMPLER_PID=$!
mkfifo "$RUN_TMP/export.fifo"
wc -l <"$RUN_TMP/export.fifo" >"$RUN_TMP/export.lines" &
WC_PID=$!
EXPORT_W="$(curl -sS --max-time "$CURL_TIMEOUT" -H "Authorization: Bearer $TOKEN" \
  -D "$RESULTS/export-headers.txt" -o "$RUN_TMP/export.fifo" \
  -w '%{http_code} %{time_starttransfer} %{time_total} %{size_download}' \
  "$URL/api/v1/requests/export.csv" 2>"$RESULTS/export-curl.err" || true)"
wait "$WC_PID" || true
touch "$RUN_TMP/sampler.stop"
wait "$SAMPLER_PID" || true
SAMPLER_PID=""
check_alive export || die "server crashed"
echo "$EXPORT_W" >"$RESULTS/export-curl.txt"
read -r EXPORT_CODE EXPORT_TTFB EXPORT_TOTAL EXPORT_BYTES <<<"$EXPORT_W"
LINES="$(tr -d ' ' <"$RUN_TMP/export.lines")"
EXPORT_ROWS=$((LINES > 0 ? LINES - 1 : 0))   # minus the header row; no seeded cell holds a line break
RSS_AFTER="$(rss_mib "$SERVER_PID")"
HWM_AFTER="$(hwm_mib "$SERVER_PID")"
CPU_AFTER="$(cpu_seconds "$SERVER_PID")"
# -> "ttfb_ms total_s rows_per_s mib mib_per_s peak_mib samples cpu_s cpu_share early_mib late_mib"
read -r TTFB_MS TOTAL_S ROWS_PER_S EXPORT_MIB MIB_PER_S RSS_PEAK RSS_SAMPLES CPU_S CPU_SHARE RSS_EARLY RSS_LATE < <(python3 - \
  "$EXPORT_TTFB" "$EXPORT_TOTAL" "$EXPORT_ROWS" "$EXPORT_BYTES" "$RESULTS/export-rss.csv" "$CPU_BEFORE" "$CPU_AFTER" <<'PY'
import csv, sys
ttfb, total, rows, size, samples_csv, cpu0, cpu1 = sys.argv[1:]
ttfb, total, rows, size = float(ttfb or 0), float(total or 0), int(rows or 0), int(size or 0)
samples = [int(r["vmrss_kib"]) for r in csv.DictReader(open(samples_csv))]
peak = f"{max(samples) / 1024:.1f}" if samples else "n/a"
# the highest sample in the first and in the last tenth of the download: close = flat
tenth = max(1, len(samples) // 10)
early = f"{max(samples[:tenth]) / 1024:.1f}" if samples else "n/a"
late = f"{max(samples[-tenth:]) / 1024:.1f}" if samples else "n/a"
try:
    cpu = float(cpu1) - float(cpu0)
    cpu_s, cpu_share = f"{cpu:.1f}", (f"{100 * cpu / total:.0f}%" if total else "n/a")
except ValueError:
    cpu_s = cpu_share = "n/a"
print(f"{ttfb * 1000:.0f}", f"{total:.1f}", f"{rows / total:,.0f}" if total else "n/a",
      f"{size / 1048576:.1f}", f"{size / 1048576 / total:.1f}" if total else "n/a", peak, len(samples),
      cpu_s, cpu_share, early, late)
PY
)

if [[ "$EXPORT_CODE" == "200" ]]; then
  rows_note="complete"
  [[ "$EXPORT_ROWS" == "$EXPECTED_ROWS" ]] || rows_note="INCOMPLETE (see export-curl.err, server.log)"
  row "export.csv time to first byte" "$TTFB_MS ms" ""
  row "export.csv total time" "$TOTAL_S s" "$ROWS_PER_S rows/s, $MIB_PER_S MiB/s"
  row "export.csv rows received / expected" "$EXPORT_ROWS / $EXPECTED_ROWS" "$rows_note; $EXPORT_MIB MiB"
  row "server CPU during the export" "$CPU_S s" "$CPU_SHARE of one core over the download"
else
  row "export.csv" "HTTP $EXPORT_CODE" "see export-curl.err"
fi
row "server VmRSS before the export" "$RSS_BEFORE MiB" "at /readyz: $RSS_READY MiB"
row "server VmRSS peak during the export" "$RSS_PEAK MiB" "$RSS_SAMPLES samples, every ${RSS_INTERVAL}s"
row "server VmRSS first / last tenth of the export" "$RSS_EARLY / $RSS_LATE MiB" "highest sample in each; close = no growth with rows"
row "server VmRSS after the export" "$RSS_AFTER MiB" "VmHWM before/after: $HWM_BEFORE / $HWM_AFTER MiB"

log "stopping the server"
stop_pid "$SERVER_PID" 30
SERVER_PID=""
LOG_LINES="$(grep -cE 'WARN|ERROR' "$SERVER_LOG" || true)"
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
ELAPSED=$((SECONDS - STARTED))

# ---------------------------------------------------------------- 4. summary
{
  echo "Upturn metrics and export benchmark - $STAMP (release build, SQLite, $EXPECTED_ROWS requests)"
  if [[ "$SEEDED_NOW" == 1 ]]; then
    seed_line="seeded by this run in ${SEED_TOTAL_SECONDS}s, ${SEED_CPU_SECONDS}s of CPU (requests ${SEED_INSERT_SECONDS}s)"
  else
    seed_line="cached; seeding took ${SEED_TOTAL_SECONDS}s, ${SEED_CPU_SECONDS}s of CPU (requests ${SEED_INSERT_SECONDS}s)"
  fi
  echo "seed: $N requests over $DAYS days before $SEEDED_AT, seed $SEED; $seed_line; file $((CACHE_BYTES / 1048576)) MiB"
  echo "start: upturn migrate ${MIGRATE_SECONDS}s, then serve -> /readyz ${READY_SECONDS}s; load average $(awk '/^load:/ {print $2, $3, $4}' "$RESULTS/meta.txt") before the measurements"
  echo
  w=0
  for r in "${ROWS[@]}"; do l="${r%%|*}"; ((${#l} > w)) && w=${#l}; done
  printf "%-${w}s  %-42s  %s\n" "measure" "value" "note"
  for r in "${ROWS[@]}"; do
    IFS='|' read -r l v n <<<"$r"
    printf "%-${w}s  %-42s  %s\n" "$l" "$v" "$n"
  done
  echo
  echo "server WARN/ERROR log lines: $LOG_LINES; load average $LOAD_END at the end; wall-clock $((ELAPSED / 60))m$(printf '%02d' $((ELAPSED % 60)))s"
} | tee "$RESULTS/summary.txt"
echo
log "raw outputs and server log: $RESULTS"
