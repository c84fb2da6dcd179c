-- wrk script for the benchmark: walk a file of paths (one a line), each thread from its own
-- starting point, with the bench's User-Agent and an optional Cookie header (the member's
-- session); count answers by status and by X-Page-Cache.
-- Run: wrk -s urls.lua URL -- PATHS_FILE USER_AGENT [COOKIE]
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  wrk.headers["User-Agent"] = args[2]
  if args[3] and #args[3] > 0 then wrk.headers["Cookie"] = args[3] end
  position = math.floor(id * #paths / 16) % #paths
  ok, other, hits, misses = 0, 0, 0, 0
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position])
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1 end
  local cache = headers["X-Page-Cache"]
  if cache == "hit" then hits = hits + 1 elseif cache == "miss" then misses = misses + 1 end
end

function done(summary, latency, requests)
  local t = {ok = 0, other = 0, hits = 0, misses = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do t[key] = t[key] + thread:get(key) end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %f, "ok": %d, "other": %d, "hits": %d, "misses": %d, '
    .. '"socket_errors": %d, "p50": %f, "p95": %f, "p99": %f}\n',
    summary.requests, summary.duration / 1e6, t.ok, t.other, t.hits, t.misses,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
