-- wrk script: file customer requests as a front-line member.
--
--   TOKEN=<jwt> wrk -t2 -c64 -d15s --latency -s bench/file_request.lua http://127.0.0.1:8080
--
-- The token must belong to a `frontline` (or `manager`) member; bench/seed.sh prints one.
-- The path is fixed here, so pass only the server's base URL to wrk.
--
-- Keep the body in sync with the sanity-check filing in bench/run.sh.

local token = os.getenv("TOKEN")
if token == nil or token == "" then
  error("file_request.lua: environment variable TOKEN is not set (run bench/seed.sh)")
end

wrk.method = "POST"
wrk.path = "/api/v1/requests"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"kind":"improvement","category":"product","urgency":"normal",'
  .. '"channel":"in_person","title":"Trousers in size 44",'
  .. '"description":"Customer asked for size 44",'
  .. '"customer_expectation":"Find size 44 in store"}'

-- Per-thread status counters. setup() runs in the main Lua state once per thread and
-- keeps a handle on each thread so that done() can read their counters afterwards.
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  -- global, so that thread:get("statuses") can copy it out in done()
  statuses = {}
end

-- Defining response() makes wrk hand every response to Lua, which costs a little
-- throughput; it is the only way to count responses by status code.
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local function ms(us) return us / 1000.0 end
  io.write("-- file_request.lua --------------------------------------------\n")
  io.write(string.format("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
    ms(latency:percentile(50)), ms(latency:percentile(90)),
    ms(latency:percentile(99)), ms(latency.max)))

  local totals, codes, counted = {}, {}, 0
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    if type(s) == "table" then
      for code, n in pairs(s) do
        if totals[code] == nil then table.insert(codes, code) end
        totals[code] = (totals[code] or 0) + n
        counted = counted + n
      end
    end
  end
  table.sort(codes)
  for _, code in ipairs(codes) do
    io.write(string.format("status %d: %d\n", code, totals[code]))
  end
  io.write(string.format("responses counted: %d (wrk completed requests: %d)\n",
    counted, summary.requests))
  local e = summary.errors
  io.write(string.format("socket errors: connect %d, read %d, write %d, timeout %d; status>=400: %d\n",
    e.connect, e.read, e.write, e.timeout, e.status))
end
