#!/usr/bin/env bash
# The web app's pages over a large seeded history (SQLite): each page's HTML latency
# with wrk, and the size of the scripts and styles, compressed.
#
#   bash bench/pages.sh                        # 1,000,000 requests (the seed of metrics.sh)
#   N=20000 SKIP_BUILD=1 bash bench/pages.sh   # a quick run
#   ONLY='board|dashboard' bash bench/pages.sh # only the pages whose name matches
#
# 1. builds the release binary (SKIP_BUILD=1 skips), then seeds N requests with
#    bench/seed_metrics.py into bench/results/seed-<N>.db, or reuses that file: the same
#    cache as bench/metrics.sh (RESEED=1, ROLLED_CACHE=1 and SEED_MAX_AGE_HOURS as there);
# 2. copies it for this run, runs `upturn migrate` and starts `upturn serve` on the copy
#    (tracking-page limit raised: UPTURN_TRACK_LOOKUPS_PER_MINUTE);
# 3. signs in with curl through the pages (GET / for the CSRF token and the visitor
#    cookie, POST /sign-in) as the seeded team's front-line member and manager, a
#    service member and the leader; picks the newest request each may see and a
#    tracking code through the JSON API;
# 4. checks every page answers 200 (stops otherwise), then measures each with wrk
#    --latency and the session cookie (bench/page_get.lua counts anything but 200),
#    beside GET /healthz in the same run;
# 5. fetches the scripts and styles the pages link to and gives their gzip -9 size;
# 6. prints a summary; raw outputs go to bench/results/<UTC timestamp>-pages/.
#
# See bench/README.md ("Pages"). Release build only.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
LOG_TAG=pages
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

N="${N:-1000000}"                          # requests to seed (the cache of metrics.sh)
SEED="${SEED:-20261123}"
DAYS="${DAYS:-730}"
RESEED="${RESEED:-0}"
SEED_MAX_AGE_HOURS="${SEED_MAX_AGE_HOURS:-168}"
ROLLED_CACHE="${ROLLED_CACHE:-0}"          # 1: keep the migrated copy and start later runs from it
DURATION="${DURATION:-15}"                 # seconds of wrk per page
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-4}"
HEALTHZ_DURATION="${HEALTHZ_DURATION:-10}" # the throughput ceiling, as in metrics.sh
HEALTHZ_THREADS="${HEALTHZ_THREADS:-2}"
HEALTHZ_CONNECTIONS="${HEALTHZ_CONNECTIONS:-64}"
WRK_TIMEOUT="${WRK_TIMEOUT:-30s}"          # a slow page is a latency, not a socket error
CURL_TIMEOUT="${CURL_TIMEOUT:-120}"
READY_TIMEOUT="${READY_TIMEOUT:-600}"
TEAM="${TEAM:-03}"                         # seeded team (01-20); 03 is one of the busiest
SERVICE="${SERVICE:-training}"             # seeded service desk; Training gets the most routed requests
P99_LIMIT_MS="${P99_LIMIT_MS:-50}"         # issue 14: each page's HTML in p99 < 50 ms
ASSET_LIMIT_BYTES="${ASSET_LIMIT_BYTES:-100000}" # issue 14: scripts and styles < 100 KB compressed
ACCEPT_LANGUAGE="${ACCEPT_LANGUAGE:-fr-FR,fr;q=0.9,en;q=0.8}"
TRACK_LOOKUPS="${TRACK_LOOKUPS:-1000000000}" # UPTURN_TRACK_LOOKUPS_PER_MINUTE for the run
ONLY="${ONLY:-}"                           # extended regex on page names (e.g. 'requests|track'); empty: all
RUN_TMPDIR="${RUN_TMPDIR:-}"               # where this run's copy goes (default bench/results; 3.5 GB at 1M)
SKIP_BUILD="${SKIP_BUILD:-0}"

for v in N DAYS DURATION HEALTHZ_DURATION SEED_MAX_AGE_HOURS READY_TIMEOUT P99_LIMIT_MS ASSET_LIMIT_BYTES; do
  [[ "${!v}" =~ ^[0-9]+$ && "${!v}" -gt 0 ]] || die "$v must be a positive integer"
done
[[ "$TEAM" =~ ^[0-9]{2}$ ]] || die "TEAM must be two digits (01-20)"

STARTED=$SECONDS

# ---------------------------------------------------------------- state and cleanup
SERVER_PID=""
RUN_TMP=""

cleanup() {
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
command -v gzip >/dev/null || die "gzip is required"
ensure_wrk
build_release

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$BENCH_DIR/results/$STAMP-pages"
mkdir -p "$RESULTS/html" "$RESULTS/wrk" "$RESULTS/assets"

# ---------------------------------------------------------------- 1. the seeded database
seeded_cache

# ---------------------------------------------------------------- 2. this run's copy, migrate, serve
RUN_TMP="$(mktemp -d -p "${RUN_TMPDIR:-$BENCH_DIR/results}" .pages-run.XXXXXX)"
copy_seeded "$RUN_TMP"

server_env() {
  export UPTURN_DATABASE_URL="$DB_URL" \
    UPTURN_JWT_SECRET="$JWT_SECRET" \
    UPTURN_BOOTSTRAP_ADMIN_EMAIL="$ADMIN_EMAIL" \
    UPTURN_BOOTSTRAP_ADMIN_PASSWORD="$PASSWORD" \
    UPTURN_TRACK_LOOKUPS_PER_MINUTE="$TRACK_LOOKUPS" \
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
log "ready in ${READY_SECONDS}s (migrate ${MIGRATE_SECONDS}s)"

check_alive() {
  kill -0 "$SERVER_PID" 2>/dev/null && return 0
  log "server died during '$1'; last log lines:"
  tail -n 40 "$SERVER_LOG" >&2 || true
  return 1
}

# ---------------------------------------------------------------- 3. sign in, pick what to show
FRONT_EMAIL="front$TEAM@metrics.bench"
MANAGER_EMAIL="manager$TEAM@metrics.bench"
SERVICE_EMAIL="$SERVICE@metrics.bench"

# sign_in EMAIL -> the session token, through the pages as a browser without script:
# GET / (CSRF token in <meta name="csrf">, upturn_visitor cookie), then POST /sign-in.
sign_in() {
  local email="$1" jar="$RUN_TMP/jar-$1" headers="$RESULTS/sign-in-$1.headers" csrf code token
  csrf="$(curl -sS --max-time "$CURL_TIMEOUT" -c "$jar" -b "$jar" "$URL/" \
    | sed -n 's/.*<meta name="csrf" content="\([^"]*\)".*/\1/p' | head -n1)"
  [[ -n "$csrf" ]] || { log "GET / gave no CSRF token"; return 1; }
  code="$(curl -sS --max-time "$CURL_TIMEOUT" -o /dev/null -D "$headers" -w '%{http_code}' \
    -b "$jar" -c "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "email=$email" \
    --data-urlencode "password=$PASSWORD" "$URL/sign-in")"
  [[ "$code" == "303" ]] || { log "POST /sign-in as $email -> HTTP $code (expected 303)"; return 1; }
  token="$(tr -d '\r' <"$headers" | sed -n 's/^[Ss]et-[Cc]ookie: upturn_session=\([^;]*\).*/\1/p' | head -n1)"
  [[ -n "$token" ]] || { log "POST /sign-in as $email set no upturn_session cookie"; return 1; }
  printf '%s\n' "$token"
}

# api_pick EMAIL [track] -> "request_id [tracking_code]": logs in through the JSON API
# and lists the newest request the member may see (and, with "track", the first of its
# newest 100 requests that has a tracking code).
api_pick() {
  python3 - "$URL" "$1" "$PASSWORD" "${2:-}" <<'PY'
import json, sys, urllib.request
url, email, password, track = sys.argv[1:]
def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url + path, method=method, headers=headers,
                                 data=json.dumps(body).encode() if body is not None else None)
    return json.load(urllib.request.urlopen(req, timeout=120))
token = call("POST", "/api/v1/auth/login", {"email": email, "password": password})["access_token"]
items = call("GET", "/api/v1/requests?limit=1", token=token)["items"]
if not items:
    sys.exit(f"{email} sees no request")
out = [items[0]["id"]]
if track:
    codes = [r["tracking_code"] for r in call("GET", "/api/v1/requests?limit=100", token=token)["items"]
             if r.get("tracking_code")]
    if not codes:
        sys.exit(f"none of the newest 100 requests {email} sees has a tracking code")
    out.append(codes[0])
print(*out)
PY
}

declare -A SESSION REQUEST_ID
for role in frontline manager service leader; do
  case "$role" in
    frontline) email="$FRONT_EMAIL" ;;
    manager) email="$MANAGER_EMAIL" ;;
    service) email="$SERVICE_EMAIL" ;;
    leader) email="$LEADER_EMAIL" ;;
  esac
  log "signing in as $email ($role)"
  SESSION[$role]="$(sign_in "$email")" || die "signing in as $email failed"
  if [[ "$role" == frontline ]]; then
    read -r REQUEST_ID[$role] TRACK_CODE < <(api_pick "$email" track) || die "no request for $email"
  else
    read -r REQUEST_ID[$role] < <(api_pick "$email") || die "no request for $email"
  fi
  [[ -n "${REQUEST_ID[$role]}" ]] || die "no request id for $email"
done
[[ -n "${TRACK_CODE:-}" ]] || die "no tracking code"
printf '%s\n' "frontline $FRONT_EMAIL ${REQUEST_ID[frontline]}" "manager $MANAGER_EMAIL ${REQUEST_ID[manager]}" \
  "service $SERVICE_EMAIL ${REQUEST_ID[service]}" "leader $LEADER_EMAIL ${REQUEST_ID[leader]}" \
  "tracking $TRACK_CODE" >"$RESULTS/picked.txt"

EXPECTED_ROWS="$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("SELECT COUNT(*) FROM requests").fetchone()[0])' "$DB")"

# The pages: "name|role|path" (role "-": signed out).
PAGES=(
  "sign-in|-|/"
  "file.frontline|frontline|/app/file"
)
for role in frontline manager service leader; do
  PAGES+=("requests.$role|$role|/app/requests")
done
for role in frontline manager service leader; do
  PAGES+=("request.$role|$role|/app/requests/${REQUEST_ID[$role]}")
done
for role in frontline manager service leader; do
  PAGES+=("inbox.$role|$role|/app/inbox")
done
for role in frontline manager service leader; do
  PAGES+=("pulse.$role|$role|/app/pulse")
done
PAGES+=("dashboard.leader|leader|/app/dashboard" "track|-|/t/$TRACK_CODE" "healthz|-|/healthz")
if [[ -n "$ONLY" ]]; then
  selected=()
  for p in "${PAGES[@]}"; do
    [[ "${p%%|*}" =~ $ONLY ]] && selected+=("$p")
  done
  ((${#selected[@]} > 0)) || die "ONLY='$ONLY' matches no page"
  PAGES=("${selected[@]}")
fi

{
  echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:      $(commit_desc)"
  echo "binary:      $BIN (release)"
  echo "host:        $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "wrk:         $(wrk --version 2>&1 | head -n1 || true)"
  echo "database:    SQLite, copy of $SOURCE (seeded file $CACHE_BYTES bytes) in $RUN_TMP ($(df --output=fstype "$RUN_TMP" | tail -n1)), $EXPECTED_ROWS requests"
  echo "seed:        N=$N seed=$SEED days=$DAYS seeded_at=$SEEDED_AT earliest=$EARLIEST$([[ $SEEDED_NOW == 1 ]] && echo " (seeded by this run)")"
  echo "members:     $FRONT_EMAIL, $MANAGER_EMAIL, $SERVICE_EMAIL, $LEADER_EMAIL"
  echo "pages:       ${DURATION}s each, wrk -t$THREADS -c$CONNECTIONS --latency, timeout $WRK_TIMEOUT, Accept-Language: $ACCEPT_LANGUAGE"
  echo "healthz:     ceiling ${HEALTHZ_DURATION}s, -t$HEALTHZ_THREADS -c$HEALTHZ_CONNECTIONS"
  echo "tracking:    UPTURN_TRACK_LOOKUPS_PER_MINUTE=$TRACK_LOOKUPS for the run"
  echo "load:        $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) before the measurements"
  echo "note:        wrk, curl and the server share this host"
} >"$RESULTS/meta.txt"

# ---------------------------------------------------------------- 4a. every page answers 200
# cookie_of ROLE -> the Cookie header value ("" when signed out)
cookie_of() {
  if [[ "$1" == "-" ]]; then
    printf '\n'
  else
    printf 'upturn_session=%s\n' "${SESSION[$1]}"
  fi
}

declare -A FIRST_MS BYTES
for p in "${PAGES[@]}"; do
  IFS='|' read -r name role path <<<"$p"
  headers=(-H "Accept-Language: $ACCEPT_LANGUAGE")
  [[ "$role" == "-" ]] || headers+=(-H "Cookie: $(cookie_of "$role")")
  w="$(curl -sS --max-time "$CURL_TIMEOUT" -o "$RESULTS/html/$name.html" "${headers[@]}" \
    -w '%{http_code} %{time_total} %{size_download}' "$URL$path" || echo "000 0 0")"
  read -r code total size <<<"$w"
  if [[ "$code" != "200" ]]; then
    log "GET $path as $role -> HTTP $code (expected 200); the answer is in $RESULTS/html/$name.html"
    die "page $name does not answer 200"
  fi
  FIRST_MS[$name]="$(awk -v t="$total" 'BEGIN { printf "%.1f", t * 1000 }')"
  BYTES[$name]="$size"
done
log "all ${#PAGES[@]} pages answer 200"

# ---------------------------------------------------------------- 4b. the healthz ceiling
log "wrk GET /healthz (${HEALTHZ_DURATION}s, -t$HEALTHZ_THREADS -c$HEALTHZ_CONNECTIONS): the ceiling"
wrk -t"$HEALTHZ_THREADS" -c"$HEALTHZ_CONNECTIONS" -d"${HEALTHZ_DURATION}s" --latency \
  "$URL/healthz" >"$RESULTS/wrk/healthz-ceiling.txt"
check_alive healthz || die "server crashed"
read -r CEILING_RPS _ _ _ _ < <(parse_wrk "$RESULTS/wrk/healthz-ceiling.txt")

# ---------------------------------------------------------------- 4c. each page with wrk
ROWS=()   # "name|path|req/s|p50|p99|non-200|socket errors|bytes|first ms|load"
MISSES=()
for p in "${PAGES[@]}"; do
  IFS='|' read -r name role path <<<"$p"
  out="$RESULTS/wrk/$name.txt"
  log "wrk GET $path as $role (${DURATION}s, -t$THREADS -c$CONNECTIONS)"
  COOKIE="$(cookie_of "$role")" ACCEPT_LANGUAGE="$ACCEPT_LANGUAGE" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout "$WRK_TIMEOUT" --latency \
    -s "$BENCH_DIR/page_get.lua" "$URL$path" >"$out"
  check_alive "$name" || die "server crashed"
  read -r rps p50 p99 _ sockerr < <(parse_wrk "$out")
  non200="$(sed -n 's/^non-200 responses: \([0-9]*\)$/\1/p' "$out")"
  load="$(cut -d' ' -f1 /proc/loadavg)"   # the host's 1-minute load average as the run ends
  ROWS+=("$name|$path|$rps|$p50|$p99|${non200:-n/a}|$sockerr|${BYTES[$name]}|${FIRST_MS[$name]}|$load")
  if [[ "$name" != healthz ]] && awk -v p="$p99" -v l="$P99_LIMIT_MS" 'BEGIN { exit !(p == "n/a" || p + 0 >= l) }'; then
    MISSES+=("$name")
  fi
done

# ---------------------------------------------------------------- 5. scripts and styles
# Every /assets/ file the fetched pages link to, as served, and its gzip -9 size.
mapfile -t ASSETS < <(cat "$RESULTS"/html/*.html \
  | grep -oE '(href|src)="/assets/[^"?]+' | sed 's/^[a-z]*="//' | sort -u)
for must in /assets/app.css /assets/app.js; do
  printf '%s\n' "${ASSETS[@]}" | grep -qx "$must" || ASSETS+=("$must")
done
ASSET_ROWS=()   # "path|raw bytes|gzip -9 bytes|Content-Encoding served"
ASSET_RAW=0
ASSET_GZ=0
for a in "${ASSETS[@]}"; do
  file="$RESULTS/assets/$(basename "$a")"
  code="$(curl -sS --max-time "$CURL_TIMEOUT" -H 'Accept-Encoding: gzip, br' -D "$file.headers" -o "$file" \
    -w '%{http_code}' "$URL$a" || echo 000)"
  [[ "$code" == "200" ]] || die "GET $a -> HTTP $code"
  encoding="$(tr -d '\r' <"$file.headers" | sed -n 's/^[Cc]ontent-[Ee]ncoding: *//p' | head -n1)"
  raw="$(stat -c %s "$file")"
  if [[ -n "$encoding" ]]; then
    # served compressed: the figure is what travelled, measured again at gzip -9 on the original
    gz="$raw"
  else
    gz="$(gzip -9 -c "$file" | wc -c)"
  fi
  ASSET_ROWS+=("$a|$raw|$gz|${encoding:-none}")
  ASSET_RAW=$((ASSET_RAW + raw))
  ASSET_GZ=$((ASSET_GZ + gz))
done

log "stopping the server"
stop_pid "$SERVER_PID" 30
SERVER_PID=""
LOG_LINES="$(grep -cE 'WARN|ERROR' "$SERVER_LOG" || true)"
LOAD_MAX="$(printf '%s\n' "${ROWS[@]}" | awk -F'|' '$10 + 0 > m { m = $10 + 0 } END { print m + 0 }')"
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
ELAPSED=$((SECONDS - STARTED))

# ---------------------------------------------------------------- 6. summary
{
  echo "Upturn pages benchmark - $STAMP (release build, SQLite, $EXPECTED_ROWS requests)"
  echo "start: upturn migrate ${MIGRATE_SECONDS}s, then serve -> /readyz ${READY_SECONDS}s; load average $(awk '/^load:/ {print $2, $3, $4}' "$RESULTS/meta.txt") before the measurements"
  echo "members: $FRONT_EMAIL (frontline), $MANAGER_EMAIL (manager), $SERVICE_EMAIL (service), $LEADER_EMAIL (leader)"
  echo "ceiling: GET /healthz $CEILING_RPS req/s (wrk -t$HEALTHZ_THREADS -c$HEALTHZ_CONNECTIONS, ${HEALTHZ_DURATION}s)"
  echo "pages: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency each; 'first' is one curl call before (cold); 'load' the host's 1-minute load average as the page's run ended ($(nproc) cores)"
  echo
  printf "%-20s %9s %9s %9s %8s %6s %8s %8s %6s  %s\n" page "req/s" "p50 ms" "p99 ms" non-200 "sock" bytes "first" "load" "p99<${P99_LIMIT_MS}ms"
  for r in "${ROWS[@]}"; do
    IFS='|' read -r name path rps p50 p99 non200 sockerr bytes first load <<<"$r"
    verdict="yes"
    awk -v p="$p99" -v l="$P99_LIMIT_MS" 'BEGIN { exit !(p == "n/a" || p + 0 >= l) }' && verdict="MISS"
    [[ "$non200" != "0" || "$sockerr" != "0" ]] && verdict="$verdict, INVALID"
    [[ "$name" == healthz ]] && verdict="(reference, same -c)"
    printf "%-20s %9s %9s %9s %8s %6s %8s %8s %6s  %s\n" "$name" "$rps" "$p50" "$p99" "$non200" "$sockerr" "$bytes" "$first" "$load" "$verdict"
  done
  echo
  echo "paths: request.<role> = /app/requests/<newest request it sees> (see picked.txt); track = /t/$TRACK_CODE"
  echo
  printf "%-28s %10s %12s  %s\n" asset "bytes" "gzip -9" "served Content-Encoding"
  for r in "${ASSET_ROWS[@]}"; do
    IFS='|' read -r a raw gz enc <<<"$r"
    printf "%-28s %10s %12s  %s\n" "$a" "$raw" "$gz" "$enc"
  done
  asset_verdict="under"
  ((ASSET_GZ < ASSET_LIMIT_BYTES)) || asset_verdict="NOT under"
  printf "%-28s %10s %12s  %s\n" "total" "$ASSET_RAW" "$ASSET_GZ" "$asset_verdict $ASSET_LIMIT_BYTES bytes compressed"
  echo
  if ((${#MISSES[@]} > 0)); then
    echo "pages at or over p99 ${P99_LIMIT_MS} ms: ${MISSES[*]}"
  else
    echo "every page measured under p99 ${P99_LIMIT_MS} ms"
  fi
  echo "server WARN/ERROR log lines: $LOG_LINES; load average $LOAD_END at the end; wall-clock $((ELAPSED / 60))m$(printf '%02d' $((ELAPSED % 60)))s"
  if awk -v l="$LOAD_MAX" -v n="$(nproc)" 'BEGIN { exit !(l + 0 > n) }'; then
    echo "note: the load average reached $LOAD_MAX on $(nproc) cores during the runs: the p99s include waiting for a core (see the healthz row)"
  fi
} | tee "$RESULTS/summary.txt"
echo
log "raw outputs and server log: $RESULTS"
