-- wrk script: every request enrolls a different signed-in student (cookie and CSRF token pairs
-- from SESSIONS_FILE) in one of the sections listed in SECTIONS (comma-separated), so the run
-- measures registration decisions, not one student's repeats.
local sessions = {}
local sections = {}
local counter = 0

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

function init(args)
  local file = io.open(os.getenv("SESSIONS_FILE"), "r")
  for line in file:lines() do
    local cookie, csrf = line:match("^(%S+)\t(%S+)$")
    if cookie then sessions[#sessions + 1] = { cookie, csrf } end
  end
  file:close()
  for id in string.gmatch(os.getenv("SECTIONS"), "%d+") do sections[#sections + 1] = id end
  threads = tonumber(os.getenv("THREADS") or "2")
  n = offset
end

function request()
  n = n + threads
  local s = sessions[(n % #sessions) + 1]
  if os.getenv("BASELINE_PATH") then
    -- Baseline: the same sessions on a read that touches no table (HTTP, session lookup).
    return wrk.format("GET", os.getenv("BASELINE_PATH"), {
      ["Cookie"] = "sugang_session=" .. s[1],
    })
  end
  local section = sections[(math.floor(n / threads) % #sections) + 1]
  return wrk.format("POST", "/api/v1/enrollments", {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "sugang_session=" .. s[1],
    ["X-CSRF-Token"] = s[2],
  }, '{"section_id":' .. section .. '}')
end

function done(summary, latency, requests)
  io.write(string.format("requests=%d duration_s=%.2f rate=%.1f/s\n", summary.requests,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency_ms p50=%.2f p99=%.2f max=%.2f\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("errors connect=%d read=%d write=%d timeout=%d non2xx=%d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status))
end
