-- wrk script: POST /api/v2/alerts with batches of BATCH alerts (default 50), every alert with a
-- label set never sent before, so each one is a new event (no duplicates).
--   wrk -t2 -c32 -d30s -s bench/wrk/v2alerts.lua http://127.0.0.1:9000
local batch = tonumber(os.getenv("BATCH") or "50")
local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  tid = tid or 0
  wrk.method = "POST"
  wrk.path = "/api/v2/alerts"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local parts = {}
  for i = 1, batch do
    counter = counter + 1
    parts[i] = '{"labels":{"alertname":"LoadTest","instance":"web-' .. tid .. '-' .. counter ..
      '.prod.example.com:9100","job":"node","severity":"warning"},"annotations":{"summary":"load test alert"},' ..
      '"startsAt":"2024-05-01T11:00:00Z","generatorURL":"http://prometheus:9090/graph"}'
  end
  return wrk.format(nil, nil, nil, "[" .. table.concat(parts, ",") .. "]")
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("events/s: %.0f (batch %d)\n", summary.requests / (summary.duration / 1e6) * batch, batch))
  io.write(string.format("p50 %.2f ms  p95 %.2f ms  p99 %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
