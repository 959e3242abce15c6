# shellcheck shell=bash
# shellcheck disable=SC2034 # some functions set variables for the scripts that source this file
# Shared helpers for the bench scripts (bash; source it, do not run it).
#
#   BENCH_DIR=...; ROOT=...; LOG_TAG=metrics; source "$BENCH_DIR/lib.sh"
#
# Used by every bench/*.sh script.

LOG_TAG="${LOG_TAG:-bench}"

log() { printf '[%s %s] %s\n' "$LOG_TAG" "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# on_exit_run FUNCTION: when the script ends, by itself, by `die`, Ctrl-C or SIGTERM,
# runs FUNCTION (stop the server, remove the run's copy…), and when it did not end
# well says so and where the partial results are ($RESULTS, when set).
on_exit_run() {
  EXIT_CLEANUP="$1"
  trap _on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
_on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  "$EXIT_CLEANUP" || true
  if [[ $rc -ne 0 ]]; then
    log "benchmark aborted (exit $rc)"
    [[ -n "${RESULTS:-}" ]] && log "partial results in $RESULTS"
  fi
  exit "$rc"
}

# free_port -> a TCP port free on 127.0.0.1 right now
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# stop_pid PID [SECONDS]: SIGTERM, wait up to SECONDS (default 15), then SIGKILL.
stop_pid() {
  local pid="$1" limit="${2:-15}" i
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < limit * 5; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "process $pid did not stop within ${limit}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

# wait_ready URL PID LOGFILE TIMEOUT: until GET URL/readyz answers 200.
wait_ready() {
  local url="$1" pid="$2" logfile="$3" timeout="$4" code="" deadline=$((SECONDS + $4))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "server exited before becoming ready; last log lines:"
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/readyz" || true)"
    [[ "$code" == "200" ]] && return 0
    sleep 0.25
  done
  log "GET /readyz did not return 200 within ${timeout}s (last: ${code:-none}); last log lines:"
  tail -n 40 "$logfile" >&2 || true
  return 1
}

# ensure_wrk: installs wrk with apt when it is missing.
ensure_wrk() {
  command -v wrk >/dev/null && return 0
  log "installing wrk"
  local sudo=""
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || die "wrk is missing and we are not root; install wrk"
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
  command -v wrk >/dev/null || die "wrk installation failed"
}

# build_release: cargo build --release unless SKIP_BUILD=1; sets BIN.
build_release() {
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/upturn"
  if [[ "${SKIP_BUILD:-0}" == "1" ]]; then
    log "SKIP_BUILD=1: using existing $BIN"
  else
    log "building release binary (cargo build --release)"
    (cd "$ROOT" && cargo build --release)
  fi
  [[ -x "$BIN" ]] || die "release binary not found at $BIN"
}

# elapsed_since T0 -> seconds (2 decimals) since T0, a `date +%s.%N` value
elapsed_since() {
  awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.2f\n", t1 - t0 }'
}

# commit_desc -> short commit of ROOT, "(dirty)" when the tree has changes
commit_desc() {
  local commit
  if commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"; then
    git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit="$commit (dirty)"
  else
    commit="unknown"
  fi
  printf '%s\n' "$commit"
}

# rss_mib PID -> VmRSS in MiB (one decimal), or n/a
rss_mib() {
  awk '/^VmRSS:/ {printf "%.1f\n", $2/1024; found=1} END {if (!found) print "n/a"}' "/proc/$1/status" 2>/dev/null || echo n/a
}

# hwm_mib PID -> VmHWM (peak RSS since start) in MiB, or n/a
hwm_mib() {
  awk '/^VmHWM:/ {printf "%.1f\n", $2/1024; found=1} END {if (!found) print "n/a"}' "/proc/$1/status" 2>/dev/null || echo n/a
}

# cpu_seconds PID -> user + system CPU seconds the process has used so far
cpu_seconds() {
  sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null \
    | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($12 + $13) / hz; found = 1 } END { if (!found) print "n/a" }'
}

# parse_wrk FILE -> "req_per_s p50_ms p99_ms non2xx socket_errors"
parse_wrk() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}
def pct(p):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s|m|h)\s*$" % p, text, re.M)
    return "%.2f" % (float(m.group(1)) * units[m.group(2)]) if m else "n/a"
rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
print(rps.group(1) if rps else "n/a", pct(50), pct(99),
      non2xx.group(1) if non2xx else "0",
      sum(int(x) for x in sock.groups()) if sock else 0)
PY
}

# psql_admin SQL: runs SQL on the admin database (PG_HOST, PG_PORT, PG_USER, PG_ADMIN_DB).
psql_admin() {
  psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_ADMIN_DB" -c "$1"
}

# psql_db DB SQL: runs SQL on the database DB (PG_HOST, PG_PORT, PG_USER), printing
# the rows unaligned, without headers.
psql_db() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$1" -c "$2"
}

# drop_pg_db: drops the throw-away database named by PG_DB, if any, and forgets it.
drop_pg_db() {
  [[ -n "${PG_DB:-}" ]] || return 0
  log "dropping database $PG_DB"
  if ! psql_admin "DROP DATABASE IF EXISTS \"$PG_DB\"" >/dev/null 2>&1; then
    # leftover connections (PostgreSQL 13+)
    psql_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 \
      || log "could not drop database $PG_DB; drop it by hand"
  fi
  PG_DB=""
}

# ---------------------------------------------------------------- the seeded SQLite file
# Shared by bench/metrics.sh and bench/pages.sh: the same cached file for the same N.

# seeded_cache: seeds N requests with bench/seed_metrics.py into
# bench/results/seed-<N>.db, or reuses that file when the same seeder seeded it with
# the same N, SEED and DAYS less than SEED_MAX_AGE_HOURS ago (RESEED=1 seeds again).
# Needs BENCH_DIR, BIN, RESULTS, N, SEED, DAYS, RESEED, SEED_MAX_AGE_HOURS. Copies the
# seed's info to $RESULTS/seed.json (and the seeding's output to $RESULTS/seed.log).
# Sets CACHE, CACHE_INFO, CACHE_BYTES, SEEDED_NOW (1 when seeded by this call) and what
# the seeder recorded: LEADER_EMAIL, PASSWORD, JWT_SECRET, ADMIN_EMAIL, EARLIEST,
# SEEDED_AT, SEED_TOTAL_SECONDS, SEED_INSERT_SECONDS, SEED_CPU_SECONDS.
seeded_cache() {
  CACHE="$BENCH_DIR/results/seed-$N.db"
  CACHE_INFO="$CACHE.json"
  local verdict
  verdict="no cached file"
  [[ -e "$CACHE" ]] && verdict="$(seed_verdict "$CACHE_INFO")"
  seed_unless_ok "$CACHE" "$verdict" --db "$CACHE"
  read_seed_info "$CACHE_INFO"
  CACHE_BYTES="$(stat -L -c %s "$CACHE")"
}

# seeded_postgres: the same for PostgreSQL: seeds N requests into the database
# upturn_seed_<N> on PG_HOST:PG_PORT (created when missing, kept between runs), or
# reuses it on the same conditions as seeded_cache, and as long as it holds N requests.
# Needs what seeded_cache needs and PG_HOST, PG_PORT, PG_USER, PG_ADMIN_DB. Sets
# PG_SEED_DB, PG_SEED_URL, SEEDED_NOW and what the seeder recorded.
seeded_postgres() {
  PG_SEED_DB="upturn_seed_$N"
  PG_SEED_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_SEED_DB"
  local info="$BENCH_DIR/results/seed-postgres-$PG_SEED_DB.json" held verdict
  if ! psql_db "$PG_SEED_DB" 'SELECT 1' >/dev/null 2>&1; then
    log "creating database $PG_SEED_DB"
    psql_admin "CREATE DATABASE \"$PG_SEED_DB\"" >/dev/null || die "could not create database $PG_SEED_DB"
  fi
  held="$(psql_db "$PG_SEED_DB" 'SELECT COUNT(*) FROM requests' 2>/dev/null || echo 0)"
  verdict="holds $held requests"
  [[ "$held" -ge "$N" ]] && verdict="$(seed_verdict "$info")"
  seed_unless_ok "$PG_SEED_DB" "$verdict" --postgres "$PG_SEED_URL" --info "$info"
  read_seed_info "$info"
}

# seed_unless_ok WHAT VERDICT SEEDER_ARGS...: seeds N requests into WHAT with
# bench/seed_metrics.py (--force, and SEEDER_ARGS to say where) unless VERDICT is "ok"
# and RESEED is not 1; sets SEEDED_NOW.
seed_unless_ok() {
  local what="$1" verdict="$2"
  shift 2
  SEEDED_NOW=0
  if [[ "$RESEED" == "1" || "$verdict" != "ok" ]]; then
    [[ "$RESEED" == "1" ]] && verdict="RESEED=1"
    log "seeding $N requests into $what ($verdict)"
    python3 "$BENCH_DIR/seed_metrics.py" "$@" --requests "$N" --seed "$SEED" --days "$DAYS" \
      --bin "$BIN" --force 2>&1 | tee "$RESULTS/seed.log" >&2
    [[ "${PIPESTATUS[0]}" == "0" ]] || die "seeding failed"
    SEEDED_NOW=1
  else
    log "reusing $what (same seeder, N, seed and period)"
  fi
}

# seed_verdict INFO: "ok" when the seed described by INFO was made by this seeder with
# N, SEED and DAYS less than SEED_MAX_AGE_HOURS ago, else why not.
seed_verdict() {
  python3 - "$1" "$BENCH_DIR/seed_metrics.py" "$N" "$SEED" "$DAYS" "$SEED_MAX_AGE_HOURS" <<'PY'
import datetime, hashlib, json, os, sys
info_path, seeder, n, seed, days, max_age = sys.argv[1:]
if not os.path.exists(info_path):
    print("no record of its seeding"); sys.exit()
info = json.load(open(info_path))
sha = hashlib.sha256(open(seeder, "rb").read()).hexdigest()
seeded = datetime.datetime.fromisoformat(info["seeded_at"].replace("Z", "+00:00"))
age_h = (datetime.datetime.now(datetime.timezone.utc) - seeded).total_seconds() / 3600
if info.get("seeder_sha256") != sha:
    print("seed_metrics.py changed since it was seeded")
elif (info.get("requests"), info.get("seed"), info.get("days")) != (int(n), int(seed), int(days)):
    print("seeded with other parameters")
elif age_h > float(max_age):
    print(f"seeded {age_h:.0f} h ago (SEED_MAX_AGE_HOURS={max_age})")
else:
    print("ok")
PY
}

# read_seed_info INFO: copies the seed's record to $RESULTS/seed.json and sets what the
# seeder recorded: credentials, period, timings.
read_seed_info() {
  cp "$1" "$RESULTS/seed.json"
  eval "$(python3 - "$1" <<'PY'
import json, shlex, sys
info = json.load(open(sys.argv[1]))
for name, key in [("LEADER_EMAIL", "leader_email"), ("PASSWORD", "password"),
                  ("JWT_SECRET", "jwt_secret"), ("ADMIN_EMAIL", "admin_email"),
                  ("EARLIEST", "earliest_filed_at"), ("SEEDED_AT", "seeded_at"),
                  ("SEED_TOTAL_SECONDS", "total_seconds"), ("SEED_INSERT_SECONDS", "insert_seconds"),
                  ("SEED_CPU_SECONDS", "cpu_seconds")]:
    print(f"{name}={shlex.quote(str(info.get(key, 'n/a')))}")
PY
)"
}

# copy_seeded DIR: copies the seeded file (after seeded_cache) to DIR/bench.db for this
# run: the server writes to its database, the cache stays as seeded. With
# ROLLED_CACHE=1 a copy migrated by an earlier run (CACHE.rolled.db, roll-ups built:
# 19 min at 1M on 2 cores) stands in for the seeded file when it is newer; migrate then
# only applies the migrations added since. Sets ROLLED, SOURCE, DB and DB_URL.
copy_seeded() {
  DB="$1/bench.db"
  ROLLED="$CACHE.rolled.db"
  SOURCE="$CACHE"
  if [[ "${ROLLED_CACHE:-0}" == "1" && -s "$ROLLED" && "$ROLLED" -nt "$CACHE" ]]; then
    SOURCE="$ROLLED"
  fi
  log "copying $SOURCE ($(($(stat -L -c %s "$SOURCE") / 1048576)) MiB) for this run"
  cp --reflink=auto "$SOURCE" "$DB"
  # Committed rows may still sit in a WAL left by a reader (never the -shm: SQLite rebuilds it).
  if [[ -s "$SOURCE-wal" ]]; then
    cp --reflink=auto "$SOURCE-wal" "$DB-wal"
  fi
  DB_URL="sqlite://$DB?mode=rwc"
}

# migrate_copy DIR LOGFILE: `upturn migrate` on the copy (after copy_seeded), in DIR,
# with the environment of the caller's server_env function; keeps the migrated copy as
# ROLLED when ROLLED_CACHE=1 and it was made from the seeded file. Sets MIGRATE_SECONDS.
migrate_copy() {
  local dir="$1" logfile="$2" t0
  log "upturn migrate on the copy"
  t0="$(date +%s.%N)"
  ( cd "$dir" && server_env && exec "$BIN" migrate ) >"$logfile" 2>&1 \
    || { tail -n 40 "$logfile" >&2; die "upturn migrate failed"; }
  MIGRATE_SECONDS="$(elapsed_since "$t0")"
  if [[ "${ROLLED_CACHE:-0}" == "1" && "$SOURCE" == "$CACHE" ]]; then
    log "keeping the migrated copy as $ROLLED"
    cp --reflink=auto "$DB" "$ROLLED.tmp" && mv "$ROLLED.tmp" "$ROLLED"
  fi
}
