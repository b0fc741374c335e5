-- wrk script: POST /api/events with one new alert per request over keep-alive connections.
--   wrk -t2 -c64 -d30s -s bench/wrk/single_event.lua http://127.0.0.1:9000
local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  tid = tid or 0
  wrk.method = "POST"
  wrk.path = "/api/events"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil,
    '{"type":"alert","severity":"warning","source":"loadtest","labels":{"alertname":"LoadTest","instance":"server-' ..
    tid .. '-' .. counter .. '","severity":"warning"},"annotations":{"summary":"load test"}}')
end

function done(summary, latency, requests)
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50 %.2f ms  p95 %.2f ms  p99 %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
