-- wrk script: GET the URL given on the command line with a bearer token.
--
--   TOKEN=... wrk -t2 -c4 -d20s --latency -s bench/auth_get.lua "http://127.0.0.1:8080/api/v1/metrics/overview"
--
-- Used by bench/metrics.sh. wrk's own "Non-2xx or 3xx responses" line counts failures.

local token = os.getenv("TOKEN")
if token == nil or token == "" then
  error("set TOKEN to a bearer token")
end

wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"
