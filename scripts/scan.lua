-- wrk script: each request is one `fill` scan of a container not scanned before.
-- CODES_FILE lists the codes, one a line; OFFSET skips those used by earlier runs.
local codes = {}
for line in io.lines(os.getenv("CODES_FILE")) do codes[#codes + 1] = line end
local site = os.getenv("SITE_ID")
local token = os.getenv("TOKEN")
local base = tonumber(os.getenv("OFFSET") or "0")
local threads = {}
-- Globals, so that setup() can give each thread its index and done() can read the counts.
index, recorded, other = 0, 0, 0
local counter, stride = 0, 1

function setup(thread)
  thread:set("index", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  stride = tonumber(os.getenv("THREADS") or "1")
end

function request()
  local i = base + index + counter * stride
  counter = counter + 1
  local code = codes[(i % #codes) + 1]
  local body = '{"scans":[{"code":"' .. code .. '","action":"fill","site_id":"' .. site .. '"}]}'
  return wrk.format("POST", "/api/v1/scans",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

function response(status, headers, body)
  if status == 200 and body:find('"status":"recorded"', 1, true) then
    recorded = recorded + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local r, o = 0, 0
  for _, t in ipairs(threads) do
    r = r + t:get("recorded")
    o = o + t:get("other")
  end
  io.write(string.format("scans recorded: %d, not recorded: %d\n", r, o))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("latency p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
