#!/usr/bin/env bash
# The long contract run: Schemathesis 4 against the release build, every
# check and phase, as each role in turn, with ten times the default
# examples, on SQLite and then on PostgreSQL (a fresh database when
# PostgreSQL answers at 127.0.0.1:5432). CI runs the short form of the same
# script (tests/contract/run.sh) on SQLite.
#
#   bench/contract.sh [SECONDS_PER_ROLE]     (default 300)
#   UPTURN_BIN=target/debug/upturn bench/contract.sh 120   (an existing binary)
#
# Figures: the "Test cases" line of each role (cases generated, failures).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
LOG_TAG=contract
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

per_role="${1:-300}"
if [[ -n "${UPTURN_BIN:-}" ]]; then
  BIN="$UPTURN_BIN"
  log "UPTURN_BIN: using $BIN"
else
  build_release
fi
export UPTURN_SCHEMATHESIS_EXAMPLES="${UPTURN_SCHEMATHESIS_EXAMPLES:-1000}"

log "SQLite, ${per_role}s per role, $UPTURN_SCHEMATHESIS_EXAMPLES examples per operation"
"$ROOT/tests/contract/run.sh" "$BIN" "$per_role"

if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  database="upturn_contract_$$"
  psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $database"
  trap 'psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)"' EXIT
  log "PostgreSQL, ${per_role}s per role"
  "$ROOT/tests/contract/run.sh" "$BIN" "$per_role" "postgres://postgres@127.0.0.1:5432/$database"
else
  log "PostgreSQL is not reachable at 127.0.0.1:5432: its run is skipped"
fi
