#!/usr/bin/env bash
# Search, knowledge and list pages over a large seeded history, on SQLite or
# PostgreSQL, with the same run's GET /healthz ceiling (issue 16).
#
#   bash bench/search.sh                         # 1,000,000 requests (the cache of metrics.sh)
#   BACKEND=postgres bash bench/search.sh        # the same on PostgreSQL (database upturn_seed_<N>)
#   N=20000 SKIP_BUILD=1 bash bench/search.sh    # a quick run
#
# 1. release build (SKIP_BUILD=1 skips); the seeded file of bench/metrics.sh (half the
#    requests carry the words of the labelled set tests/fixtures/knowledge/past.json,
#    French and English), copied for the run — with BACKEND=postgres, the same requests
#    seeded once into the database upturn_seed_<N>, kept between runs and served in
#    place; `upturn migrate` builds what is derived from the rows (metric roll-ups, the
#    search index) and is timed;
# 2. as the leader (who sees every request: the widest scope), with wrk --latency:
#    GET /api/v1/requests?q=… for words of different rarity, a prefix, two words and a
#    reference; GET /api/v1/knowledge?text=… for texts typed at intake; the list's first
#    page with each filter alone, and a deep page (the cursor after DEEP_PAGES pages);
# 3. a summary with the targets: search and knowledge p99 < 50 ms, list pages p99 <
#    20 ms. Raw outputs in bench/results/<UTC timestamp>-search/.
#
# See bench/README.md ("Search benchmark"). Release build only.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
LOG_TAG=search
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

N="${N:-1000000}"
SEED="${SEED:-20261123}"
DAYS="${DAYS:-730}"
RESEED="${RESEED:-0}"
BACKEND="${BACKEND:-sqlite}"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-postgres}"
PG_ADMIN_DB="${PG_ADMIN_DB:-test}"
SEED_MAX_AGE_HOURS="${SEED_MAX_AGE_HOURS:-168}"
DURATION="${DURATION:-10}"                 # seconds of wrk per URL
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-4}"
HEALTHZ_DURATION="${HEALTHZ_DURATION:-10}"
HEALTHZ_CONNECTIONS="${HEALTHZ_CONNECTIONS:-64}"
DEEP_PAGES="${DEEP_PAGES:-20}"             # the deep page: after this many pages of 50
WRK_TIMEOUT="${WRK_TIMEOUT:-30s}"
READY_TIMEOUT="${READY_TIMEOUT:-600}"
SKIP_BUILD="${SKIP_BUILD:-0}"
ROLLED_CACHE="${ROLLED_CACHE:-0}"
SEARCH_LIMIT_MS="${SEARCH_LIMIT_MS:-50}"
LIST_LIMIT_MS="${LIST_LIMIT_MS:-20}"

for v in N DAYS DURATION HEALTHZ_DURATION DEEP_PAGES READY_TIMEOUT; do
  [[ "${!v}" =~ ^[0-9]+$ && "${!v}" -gt 0 ]] || die "$v must be a positive integer"
done
case "$BACKEND" in sqlite|postgres) ;; *) die "unknown BACKEND '$BACKEND' (sqlite, postgres)" ;; esac

SERVER_PID=""
RUN_TMP=""
cleanup() {
  stop_pid "$SERVER_PID" 30
  [[ -n "$RUN_TMP" ]] && rm -rf "$RUN_TMP"
}
on_exit_run cleanup

command -v curl >/dev/null || die "curl is required"
ensure_wrk
build_release

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$BENCH_DIR/results/$STAMP-search"
mkdir -p "$RESULTS"

# ---------------------------------------------------------------- 1. database, migrate, serve
RUN_TMP="$(mktemp -d -p "$BENCH_DIR/results" .search-run.XXXXXX)"
if [[ "$BACKEND" == sqlite ]]; then
  seeded_cache
  copy_seeded "$RUN_TMP"
  DESCRIPTION="SQLite, copy of $SOURCE"
  count_of() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute(f"SELECT COUNT(*) FROM {sys.argv[2]}").fetchone()[0])' "$DB" "$1"; }
else
  command -v psql >/dev/null || die "psql is required for BACKEND=postgres"
  seeded_postgres
  DB_URL="$PG_SEED_URL"
  SOURCE="$PG_SEED_DB"
  DESCRIPTION="PostgreSQL, database $PG_SEED_DB on $PG_HOST:$PG_PORT"
  count_of() { psql_db "$PG_SEED_DB" "SELECT COUNT(*) FROM $1"; }
fi
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
( cd "$RUN_TMP" && server_env && export UPTURN_BIND="127.0.0.1:$PORT" && exec "$BIN" serve ) >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
wait_ready "$URL" "$SERVER_PID" "$SERVER_LOG" "$READY_TIMEOUT" || die "server not ready"
log "ready (migrate ${MIGRATE_SECONDS}s)"

TOKEN="$(curl -sf -X POST "$URL/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$LEADER_EMAIL\",\"password\":\"$PASSWORD\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')" || die "leader login failed"

get() { curl -sf --max-time 120 -H "Authorization: Bearer $TOKEN" "$URL$1"; }
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }

REQUESTS_N="$(count_of requests)"
TERMS_N="$(count_of search_terms)"
UNIT_ID="$(get '/api/v1/units?limit=200' | python3 -c 'import json,sys; print(next(u["id"] for u in json.load(sys.stdin)["items"] if u["kind"] == "team"))')"
SINCE="$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)"
REFERENCE="UP-$(printf '%06d' $((REQUESTS_N / 2)))"
{
  echo "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:    $(commit_desc)"
  echo "binary:    $BIN (release)"
  echo "host:      $(uname -srm), $(nproc) cores"
  echo "database:  $DESCRIPTION: $REQUESTS_N requests, $TERMS_N index rows; migrate ${MIGRATE_SECONDS}s"
  echo "wrk:       ${DURATION}s per URL, -t$THREADS -c$CONNECTIONS, as the leader (every request visible)"
  echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) before the measurements"
} >"$RESULTS/meta.txt"

# ---------------------------------------------------------------- 2. measurements
ROWS=()
measure() { # measure KIND LABEL PATH
  local kind="$1" label="$2" path="$3" file code
  file="$RESULTS/$(echo "$label" | tr -c 'a-zA-Z0-9' '_').txt"
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 120 -H "Authorization: Bearer $TOKEN" "$URL$path")"
  if [[ "$code" != "200" ]]; then
    ROWS+=("$kind|$label|HTTP $code|||")
    return
  fi
  TOKEN="$TOKEN" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout "$WRK_TIMEOUT" --latency \
    -s "$BENCH_DIR/auth_get.lua" "$URL$path" >"$file"
  kill -0 "$SERVER_PID" 2>/dev/null || die "server died during $label"
  read -r rps p50 p99 non2xx sockerr < <(parse_wrk "$file")
  ROWS+=("$kind|$label|$rps|$p50|$p99|$non2xx/$sockerr")
}

log "wrk GET /healthz (${HEALTHZ_DURATION}s, -c$HEALTHZ_CONNECTIONS)"
wrk -t"$THREADS" -c"$HEALTHZ_CONNECTIONS" -d"${HEALTHZ_DURATION}s" --latency "$URL/healthz" >"$RESULTS/healthz.txt"
read -r HEALTHZ_RPS _ _ _ _ < <(parse_wrk "$RESULTS/healthz.txt")

for q in "taille" "trousers" "parking" "reduc" "rembours" "carte fidelite" "size 44" "$REFERENCE"; do
  log "search q=$q"
  measure search "q=$q" "/api/v1/requests?q=$(enc "$q")"
done
for text in "pantalon taille 44 introuvable" "card payment refused at the till" \
  "remboursement sans ticket de caisse" "parking plein le samedi" "gift wrapping"; do
  log "knowledge text=$text"
  measure knowledge "text=$text" "/api/v1/knowledge?text=$(enc "$text")"
done
for filter in "" "status=new" "level=service" "category=price" "kind=unmet_need" "urgency=high" \
  "overdue=true" "unit_id=$UNIT_ID" "filed_after=$SINCE"; do
  first="/api/v1/requests?limit=50${filter:+&$filter}"
  log "list ${filter:-(no filter)}"
  measure list "first page ${filter:-(no filter)}" "$first"
  cursor=""
  for _ in $(seq 1 "$DEEP_PAGES"); do
    cursor="$(get "$first${cursor:+&cursor=$cursor}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"] or "")')"
    [[ -n "$cursor" ]] || break
  done
  if [[ -n "$cursor" ]]; then
    measure list "page $((DEEP_PAGES + 1)) ${filter:-(no filter)}" "$first&cursor=$cursor"
  fi
done

# ---------------------------------------------------------------- 3. summary
{
  echo "GET /healthz, -c$HEALTHZ_CONNECTIONS: $HEALTHZ_RPS req/s (the ceiling of this run)"
  printf '%-10s %-44s %10s %9s %9s %8s %s\n' kind what req/s "p50 ms" "p99 ms" "bad" target
  for row in "${ROWS[@]}"; do
    IFS='|' read -r kind label rps p50 p99 bad <<<"$row"
    limit="$SEARCH_LIMIT_MS"
    [[ "$kind" == list ]] && limit="$LIST_LIMIT_MS"
    verdict="p99<${limit}ms"
    if [[ -z "$p99" ]] || awk -v p="$p99" -v l="$limit" 'BEGIN { exit !(p >= l) }'; then
      verdict="MISS (p99<${limit}ms)"
    fi
    printf '%-10s %-44s %10s %9s %9s %8s %s\n' "$kind" "$label" "$rps" "$p50" "$p99" "$bad" "$verdict"
  done
} | tee "$RESULTS/summary.txt"
log "raw outputs: $RESULTS"
