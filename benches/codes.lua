-- wrk script of the benchmark kit: each request uses containers no earlier request used.
--
-- MODE=return: one `return` scan a request at SITE_ID (`POST /api/v1/scans`).
-- MODE=ship:   one shipment of BATCH containers a request from FROM to TO (`POST /api/v1/shipments`).
-- SCANS_PATH sends the scans elsewhere (to a baseline's /r, for the same load on it).
-- CODES_FILE lists the codes, one a line; OFFSET skips those used by earlier runs; THREADS is
-- wrk's -t. A request counts as recorded when it answers 200 with no refused container.
--
-- RATE (requests a second, all threads together) paces the requests to that fixed rate; run
-- it with one connection a thread (-t N -c N). Latency is then measured from the moment each
-- request was due, not from when it was sent, so that a stall of the server counts in full
-- for every request it delayed (no coordinated omission), and the percentiles are printed
-- from these times.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *t);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

-- A line is a code, or a code and the site to return it at (benches/sites.sh).
local codes, sites = {}, {}
for line in io.lines(os.getenv("CODES_FILE")) do
  local c, s = line:match("^(%S+)%s+(%S+)$")
  codes[#codes + 1] = c or line
  sites[#codes] = s
end
local mode = os.getenv("MODE") or "return"
local token = os.getenv("TOKEN")
local base = tonumber(os.getenv("OFFSET") or "0")
local batch = mode == "ship" and tonumber(os.getenv("BATCH") or "500") or 1
local rate = tonumber(os.getenv("RATE") or "0")
local threads = {}
-- Globals, so that setup() can give each thread its index and done() can read them back.
index, recorded, other, last = 0, 0, 0, 0
hist = {}
-- The slowest answer due in each second of the run (seconds of the monotonic clock), to
-- tell a steady tail from a few stalls.
worst = {}
local counter, stride, interval, due, sent = 0, 1, 0, nil, nil

function setup(thread)
  thread:set("index", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  stride = tonumber(os.getenv("THREADS") or "1")
  if rate > 0 then interval = 1000 * stride / rate end
end

function delay()
  if due == nil then due = now_ms() + interval * index / stride end
  local wait = due - now_ms()
  return wait > 0 and wait or 0
end

local function code(i) return codes[(i % #codes) + 1] end
local function site(i) return sites[(i % #codes) + 1] or os.getenv("SITE_ID") end

function request()
  local first = base + (index + counter * stride) * batch
  counter = counter + 1
  last = first + batch - base
  sent = due or now_ms()
  if due then due = due + interval end
  if mode == "ship" then
    local list = {}
    for i = 0, batch - 1 do list[#list + 1] = '"' .. code(first + i) .. '"' end
    local body = '{"from_site_id":"' .. os.getenv("FROM") .. '","to_site_id":"' .. os.getenv("TO")
      .. '","codes":[' .. table.concat(list, ",") .. ']}'
    return wrk.format("POST", "/api/v1/shipments",
      { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
  end
  local body = '{"scans":[{"code":"' .. code(first) .. '","action":"return","site_id":"'
    .. site(first) .. '"}]}'
  return wrk.format("POST", os.getenv("SCANS_PATH") or "/api/v1/scans",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

function response(status, headers, body)
  if (status == 200 or status == 201) and not body:find('"status":"rejected"', 1, true) then
    recorded = recorded + 1
  else
    other = other + 1
    if other <= 3 then io.stderr:write("not recorded: " .. status .. " " .. body:sub(1, 300) .. "\n") end
  end
  if rate > 0 then
    -- Tenths of a millisecond since the request was due.
    local bucket = math.floor((now_ms() - sent) * 10)
    hist[bucket] = (hist[bucket] or 0) + 1
    local second = math.floor(sent / 1000)
    worst[second] = math.max(worst[second] or 0, bucket)
  end
end

function done(summary, latency, requests)
  local r, o, u = 0, 0, 0
  local merged, total, slowest = {}, 0, {}
  for _, t in ipairs(threads) do
    r = r + t:get("recorded")
    o = o + t:get("other")
    u = math.max(u, t:get("last") or 0)
    for bucket, n in pairs(t:get("hist")) do
      merged[bucket] = (merged[bucket] or 0) + n
      total = total + n
    end
    for second, bucket in pairs(t:get("worst")) do
      slowest[second] = math.max(slowest[second] or 0, bucket)
    end
  end
  io.write(string.format("recorded: %d, not recorded: %d, codes used: %d\n", r, o, u))
  local percentiles = { 50, 90, 99, 99.9, 100 }
  if total == 0 then
    for _, p in ipairs(percentiles) do
      io.write(string.format("latency p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
    end
    return
  end
  local seconds, first = {}, nil
  for second in pairs(slowest) do
    seconds[#seconds + 1] = second
    first = math.min(first or second, second)
  end
  table.sort(seconds, function(a, b) return slowest[a] > slowest[b] end)
  local shown = {}
  for i = 1, math.min(5, #seconds) do
    shown[i] = string.format("+%d s: %.1f ms", seconds[i] - first, (slowest[seconds[i]] + 1) / 10)
  end
  io.write("slowest seconds: " .. table.concat(shown, ", ") .. "\n")
  local buckets = {}
  for bucket in pairs(merged) do buckets[#buckets + 1] = bucket end
  table.sort(buckets)
  local seen, k = 0, 1
  for _, bucket in ipairs(buckets) do
    seen = seen + merged[bucket]
    while k <= #percentiles and seen >= total * percentiles[k] / 100 do
      io.write(string.format("latency from due time p%s: %.1f ms\n", percentiles[k], (bucket + 1) / 10))
      k = k + 1
    end
  end
end
