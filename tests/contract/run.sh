#!/usr/bin/env bash
# Holds the running service to its published contract: starts BINARY with
# the demo organisation on a fresh database, then runs Schemathesis 4 (every
# check, every phase, stateful included) against `/api/openapi.json` as each
# role in turn, SECONDS_PER_ROLE each. Exits non-zero on any failure.
#
#   tests/contract/run.sh BINARY [SECONDS_PER_ROLE] [DATABASE_URL]
#
# DATABASE_URL defaults to a fresh SQLite file; pass an empty PostgreSQL
# database to run on PostgreSQL. Schemathesis is installed into a virtual
# environment under target/ on first use (UPTURN_SCHEMATHESIS_VENV moves it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="${1:?usage: run.sh BINARY [SECONDS_PER_ROLE] [DATABASE_URL]}"
per_role="${2:-60}"
venv="${UPTURN_SCHEMATHESIS_VENV:-$here/../../target/schemathesis-venv}"
examples="${UPTURN_SCHEMATHESIS_EXAMPLES:-}"

if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "Installing Schemathesis 4 into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis>=4.32,<5"
fi
"$venv/bin/schemathesis" --version

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
database="${3:-sqlite://$work/contract.db?mode=rwc}"

# The limits per client stay on; raised so the fuzzer reaches the login's
# own logic instead of the limiter's 429 (which the contract declares).
UPTURN_DATABASE_URL="$database" UPTURN_BIND="127.0.0.1:$port" \
  UPTURN_LOGIN_ATTEMPTS_PER_MINUTE=1000000 UPTURN_TRACK_LOOKUPS_PER_MINUTE=1000000 \
  RUST_LOG=warn "$binary" demo >"$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$work/server.log"
    echo "The service did not start" >&2
    exit 1
  fi
  sleep 0.5
done

token_of() {
  curl -fsS -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\": \"$1\", \"password\": \"upturn-demo\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# The admin last: it may change members, and a password or role change ends
# that member's tokens.
roles="frontline:camille@lyon.upturn.demo manager:sophie@lyon.upturn.demo
service:paul@purchasing.upturn.demo leader:nadia@leadership.upturn.demo admin:admin@upturn.demo"
failed=""
for entry in $roles; do
  role="${entry%%:*}"
  email="${entry#*:}"
  echo "== Schemathesis as $role ($email), ${per_role}s"
  token="$(token_of "$email")"
  extra=()
  if [ -n "$examples" ]; then
    extra+=(--max-examples "$examples")
  fi
  # One worker: Python 3.11's ast.parse is not safe across hypothesis'
  # threads ("AST constructor recursion depth mismatch").
  if "$venv/bin/schemathesis" --no-color --config-file "$here/schemathesis.toml" run "$base/api/openapi.json" \
    --url "$base" -H "Authorization: Bearer $token" --checks all \
    --max-time "$per_role" --workers 1 "${extra[@]}" >"$work/$role.txt" 2>&1; then
    grep -E '^ *(✅|❌|🚫|⏭).*(Examples|Coverage|Fuzzing|Stateful)|Scenarios:|API Links:' "$work/$role.txt" || true
    sed -n '/^Test cases:/,/^$/p' "$work/$role.txt"
    tail -n 1 "$work/$role.txt"
  else
    cat "$work/$role.txt"
    failed="$failed $role"
  fi
done

if [ -n "$failed" ]; then
  echo "Schemathesis found failures as:$failed" >&2
  exit 1
fi
echo "Schemathesis: no failure as any role"
