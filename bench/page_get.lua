-- wrk script: GET a page as a browser would, with the session cookie (if any), and
-- count the answers by status code.
--
--   COOKIE='upturn_session=…' wrk -t2 -c4 -d15s --latency -s bench/page_get.lua "http://127.0.0.1:8080/app/requests"
--
-- Used by bench/pages.sh. COOKIE is optional (signed-out pages); ACCEPT_LANGUAGE
-- defaults to French. Anything but 200 counts as a failure here, redirects included:
-- a session that expired answers `303` to the sign-in page, which wrk's own
-- "Non-2xx or 3xx responses" line would not count.

local cookie = os.getenv("COOKIE")
local language = os.getenv("ACCEPT_LANGUAGE")

wrk.method = "GET"
wrk.headers["Accept"] = "text/html,application/xhtml+xml"
wrk.headers["Accept-Language"] = (language ~= nil and language ~= "") and language or "fr-FR,fr;q=0.9,en;q=0.8"
if cookie ~= nil and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

-- Per-thread status counters, as in file_request.lua.
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
  local totals, codes, other = {}, {}, 0
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    if type(s) == "table" then
      for code, n in pairs(s) do
        if totals[code] == nil then table.insert(codes, code) end
        totals[code] = (totals[code] or 0) + n
        if code ~= 200 then other = other + n end
      end
    end
  end
  table.sort(codes)
  io.write("-- page_get.lua -------------------------------------------------\n")
  for _, code in ipairs(codes) do
    io.write(string.format("status %d: %d\n", code, totals[code]))
  end
  io.write(string.format("non-200 responses: %d\n", other))
end
