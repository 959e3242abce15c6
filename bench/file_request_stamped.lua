-- wrk script: bench/file_request.lua (the same filing, the same status counts), plus
-- the wall-clock time each `201` was received, so bench/backup.sh can find the longest
-- pause between completed filings and the filings per second in any window.
--
--   BENCH_DIR=bench STAMPS=/tmp/stamps.txt TOKEN=<jwt> \
--     wrk -t2 -c64 -d60s --latency -s bench/file_request_stamped.lua http://127.0.0.1:8080
--
-- STAMPS receives one line per `201`: milliseconds since the Unix epoch (CLOCK_REALTIME,
-- comparable with `date +%s.%N`), written when wrk finishes.

dofile((os.getenv("BENCH_DIR") or "bench") .. "/file_request.lua")

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } upturn_timespec;
int clock_gettime(int clk_id, upturn_timespec *tp);
]]
local timespec = ffi.new("upturn_timespec")
local function now_ms()
  ffi.C.clock_gettime(0, timespec) -- CLOCK_REALTIME
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local counting_setup, counting_init = setup, init
local counting_response, counting_done = response, done
local stamped = {}

function setup(thread)
  counting_setup(thread)
  table.insert(stamped, thread)
end

function init(args)
  counting_init(args)
  stamps = {} -- global, copied out in done()
end

function response(status, headers, body)
  counting_response(status, headers, body)
  if status == 201 then
    stamps[#stamps + 1] = now_ms()
  end
end

function done(summary, latency, requests)
  counting_done(summary, latency, requests)
  local path = os.getenv("STAMPS")
  if path == nil or path == "" then
    return
  end
  local out = assert(io.open(path, "w"))
  local n = 0
  for _, thread in ipairs(stamped) do
    local s = thread:get("stamps")
    if type(s) == "table" then
      for _, at in ipairs(s) do
        out:write(string.format("%.3f\n", at))
        n = n + 1
      end
    end
  end
  out:close()
  io.write(string.format("stamps written: %d to %s\n", n, path))
end
