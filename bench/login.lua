-- wrk script: POST /api/v1/auth/login as one member, again and again.
--   EMAIL=… PASSWORD=… wrk -t2 -c64 -d10s -s bench/login.lua http://127.0.0.1:8080
-- Counts answers by status, so a run of 401s or 429s is not taken for logins.
local email = os.getenv("EMAIL") or "admin@bench.test"
local password = os.getenv("PASSWORD") or "bench-password"

wrk.method = "POST"
wrk.path = "/api/v1/auth/login"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', email, password)

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("status %d: %d\n", status, n))
  end
end
