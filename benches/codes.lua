-- wrk script of the benchmark kit: each request uses containers no earlier request used.
--
-- MODE=return: one `return` scan a request at SITE_ID (`POST /api/v1/scans`).
-- MODE=ship:   one shipment of BATCH containers a request from FROM to TO (`POST /api/v1/shipments`).
-- MODE=cycle:  a return scan of each container in turn, then, once all are returned, the undo
--              of each return (`POST /api/v1/scans/{id}/undo`), then a return again, and so
--              on: a load that can last as long as wanted on the same containers (the soak).
-- SCANS_PATH sends the scans elsewhere (to a baseline's /r, for the same load on it).
-- CODES_FILE lists the codes, one a line; OFFSET skips those used by earlier runs; THREADS is
-- wrk's -t. A request counts as recorded when it answers 200 with no refused container.
--
-- WINDOW (seconds) also prints the percentiles of each window of the run (the soak's drift).
-- SLOWEST_FILE (with RATE) is written with the slowest answer of each second.
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
-- Per window of WINDOW seconds from the first request, a histogram like hist, flat (wrk
-- cannot copy nested tables between threads): key window * SPAN + bucket.
windows = {}
local SPAN = 10000000
local window_ms = 1000 * tonumber(os.getenv("WINDOW") or "0")
local start_ms = nil
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
  if rate > 0 and due == nil then
    -- wrk builds one request before the run to check the script (delay() comes before every
    -- request of the run): give it one that uses no container.
    return wrk.format("GET", "/api/v1/health")
  end
  local first = base + (index + counter * stride) * batch
  counter = counter + 1
  last = first + batch - base
  sent = due or now_ms()
  if due then due = due + interval end
  if mode == "cycle" then
    local n = #codes
    local c, round = first % n, math.floor(first / n)
    local function id(r) return string.format("%08x-0000-4000-8000-%012x", r, c) end
    local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
    if round % 2 == 1 then
      return wrk.format("POST", "/api/v1/scans/" .. id(round - 1) .. "/undo", headers, "{}")
    end
    local body = '{"scans":[{"id":"' .. id(round) .. '","code":"' .. codes[c + 1]
      .. '","action":"return","site_id":"' .. site(c) .. '"}]}'
    return wrk.format("POST", "/api/v1/scans", headers, body)
  end
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
    if window_ms > 0 then
      start_ms = start_ms or sent
      local w = math.floor((sent - start_ms) / window_ms) + 1
      local key = w * SPAN + math.max(0, math.min(bucket, SPAN - 1))
      windows[key] = (windows[key] or 0) + 1
    end
  end
end

-- The given percentiles of a histogram {bucket: count}, in milliseconds.
local function percentiles_of(histogram, wanted)
  local buckets, total = {}, 0
  for bucket, n in pairs(histogram) do
    buckets[#buckets + 1] = bucket
    total = total + n
  end
  table.sort(buckets)
  local out, seen, k = {}, 0, 1
  for _, bucket in ipairs(buckets) do
    seen = seen + histogram[bucket]
    while k <= #wanted and seen >= total * wanted[k] / 100 do
      out[k] = (bucket + 1) / 10
      k = k + 1
    end
  end
  return out, total
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
  -- SLOWEST_FILE: the slowest answer of every second, one line each (seconds of the
  -- monotonic clock, milliseconds), to lay beside what the machine did at the time.
  local path = os.getenv("SLOWEST_FILE")
  if path then
    local f = io.open(path, "w")
    local by_time = {}
    for second in pairs(slowest) do by_time[#by_time + 1] = second end
    table.sort(by_time)
    for _, second in ipairs(by_time) do
      f:write(string.format("%d %.1f\n", second, (slowest[second] + 1) / 10))
    end
    f:close()
  end
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
  -- Each window's requests and p50, p99, p99.9 (the last window may be short).
  local merged_windows = {}
  for _, t in ipairs(threads) do
    for key, n in pairs(t:get("windows")) do
      local w, bucket = math.floor(key / SPAN), key % SPAN
      merged_windows[w] = merged_windows[w] or {}
      merged_windows[w][bucket] = (merged_windows[w][bucket] or 0) + n
    end
  end
  for w = 1, #merged_windows do
    local p, n = percentiles_of(merged_windows[w] or {}, { 50, 99, 99.9 })
    io.write(string.format("window %d: %d requests, p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms\n",
      w, n, p[1] or 0, p[2] or 0, p[3] or 0))
  end
end
