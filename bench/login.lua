-- wrk script: every request signs in a different seeded student (ids from STUDENTS_FILE), so the
-- storm exercises argon2 verification, Redis sessions and the activity log, not one hot account.
local ids = {}
local counter = 0
local statuses = {}

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

function init(args)
  local file = io.open(os.getenv("STUDENTS_FILE"), "r")
  for line in file:lines() do ids[#ids + 1] = line end
  file:close()
  n = offset
end

function request()
  n = n + 2
  local id = ids[(n % #ids) + 1]
  local body = '{"login_id":"' .. id .. '","password":"' .. os.getenv("DEMO_PASSWORD") .. '"}'
  return wrk.format("POST", "/api/v1/session", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("requests=%d duration_s=%.2f rate=%.1f/s\n", summary.requests,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency_ms p50=%.1f p99=%.1f max=%.1f\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("errors connect=%d read=%d write=%d timeout=%d non2xx=%d\n", summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status))
end
