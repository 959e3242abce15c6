#!/usr/bin/env bash
# Seed a fresh Upturn server for the load benchmark and print a front-line token.
#
#   BASE_URL=http://127.0.0.1:8080 bash bench/seed.sh      (or: bash bench/seed.sh URL)
#
# Logs in as the bootstrap admin, creates a team unit and a front-line member in it,
# logs in as that member and prints the member's access token on stdout (only that;
# progress goes to stderr). Needs curl and python3.
set -euo pipefail

BASE_URL="${1:-${BASE_URL:-}}"
if [[ -z "$BASE_URL" ]]; then
  echo "seed.sh: set BASE_URL (e.g. http://127.0.0.1:8080) or pass it as the first argument" >&2
  exit 2
fi
BASE_URL="${BASE_URL%/}"
ADMIN_EMAIL="${ADMIN_EMAIL:-admin@bench.test}"
ADMIN_PASSWORD="${ADMIN_PASSWORD:-bench-password}"
FRONT_EMAIL="${FRONT_EMAIL:-front@bench.test}"
FRONT_PASSWORD="${FRONT_PASSWORD:-bench-password}"

log() { echo "seed: $*" >&2; }

BODY_FILE="$(mktemp)"
HDR_FILE="$(mktemp)"
trap 'rm -f "$BODY_FILE" "$HDR_FILE"' EXIT

HTTP_STATUS=""
HTTP_BODY=""

# api METHOD PATH [JSON_BODY] [TOKEN] -> sets HTTP_STATUS, HTTP_BODY
api() {
  local method="$1" path="$2" body="${3:-}" token="${4:-}"
  local args=(-sS --max-time 30 -X "$method" -o "$BODY_FILE" -D "$HDR_FILE" -w '%{http_code}'
              -H 'Accept: application/json')
  if [[ -n "$token" ]]; then
    args+=(-H "Authorization: Bearer $token")
  fi
  if [[ -n "$body" ]]; then
    args+=(-H 'Content-Type: application/json' --data-binary @-)
  fi
  if ! HTTP_STATUS="$(printf '%s' "$body" | curl "${args[@]}" "$BASE_URL$path")"; then
    log "$method $path: curl failed (is the server up at $BASE_URL?)"
    exit 1
  fi
  HTTP_BODY="$(cat "$BODY_FILE")"
}

fail() {
  log "$1: unexpected HTTP $HTTP_STATUS"
  log "body: ${HTTP_BODY:0:2000}"
  exit 1
}

# json_get FIELD  (reads JSON from $HTTP_BODY)
json_get() {
  python3 -c '
import json, sys
value = json.loads(sys.stdin.read())[sys.argv[1]]
if value is None or value == "":
    sys.exit("missing " + sys.argv[1])
print(value)
' "$1" <<<"$HTTP_BODY"
}

# json_obj KEY VALUE ...  -> a JSON object of string values (proper escaping)
json_obj() {
  python3 -c '
import json, sys
a = sys.argv[1:]
print(json.dumps(dict(zip(a[0::2], a[1::2]))))
' "$@"
}

# login EMAIL PASSWORD -> prints the access token; retries on 429 honouring Retry-After
login() {
  local email="$1" password="$2" attempt wait
  for attempt in 1 2 3 4 5; do
    api POST /api/v1/auth/login "$(json_obj email "$email" password "$password")"
    if [[ "$HTTP_STATUS" == "200" ]]; then
      json_get access_token
      return 0
    fi
    if [[ "$HTTP_STATUS" == "429" && "$attempt" -lt 5 ]]; then
      wait="$(awk 'tolower($1)=="retry-after:" {gsub(/\r/,"",$2); print $2}' "$HDR_FILE")"
      [[ "$wait" =~ ^[0-9]+$ ]] || wait=2
      (( wait > 60 )) && wait=60
      log "login $email rate-limited, retrying in ${wait}s"
      sleep "$wait"
      continue
    fi
    fail "login $email"
  done
}

log "logging in as $ADMIN_EMAIL"
ADMIN_TOKEN="$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD")"

log "creating unit 'Bench store'"
api POST /api/v1/units '{"name":"Bench store","kind":"team"}' "$ADMIN_TOKEN"
[[ "$HTTP_STATUS" == "201" || "$HTTP_STATUS" == "200" ]] || fail "POST /api/v1/units"
UNIT_ID="$(json_get id)"

log "creating front-line member $FRONT_EMAIL in unit $UNIT_ID"
api POST /api/v1/members "$(json_obj name "Bench Front" email "$FRONT_EMAIL" role frontline \
  unit_id "$UNIT_ID" password "$FRONT_PASSWORD")" "$ADMIN_TOKEN"
case "$HTTP_STATUS" in
  200|201) ;;
  409) log "member $FRONT_EMAIL already exists; reusing it" ;;
  *) fail "POST /api/v1/members" ;;
esac

log "logging in as $FRONT_EMAIL"
login "$FRONT_EMAIL" "$FRONT_PASSWORD"
