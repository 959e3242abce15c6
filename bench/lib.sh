# Shared helpers for the bench scripts (bash; source it, do not run it).
#
#   BENCH_DIR=...; ROOT=...; LOG_TAG=metrics; source "$BENCH_DIR/lib.sh"
#
# Used by bench/metrics.sh, bench/run.sh and bench/live.sh.

LOG_TAG="${LOG_TAG:-bench}"

log() { printf '[%s %s] %s\n' "$LOG_TAG" "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

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
