-- wrk script for GET requests with a bearer token (the scale benchmark's Graph list probes).
--
-- Usage: wrk ... -s bench/wrk/get.lua URL -- TOKEN_FILE
--   TOKEN_FILE holds the access token (one line); every request is `GET URL` with
--   `Authorization: Bearer TOKEN`.
-- done() prints `CUSTOS_RESULT key=value ...` as token.lua does (latency in µs, non-200 count).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  local file = assert(io.open(assert(args[1], "TOKEN_FILE is required"), "r"))
  local token = file:read("*l")
  file:close()
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Accept"] = "application/json"
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local non200_total = 0
  for _, thread in ipairs(threads) do
    non200_total = non200_total + (thread:get("non200") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    "CUSTOS_RESULT requests=%d duration_us=%d non200=%d connect=%d read=%d write=%d status=%d timeout=%d "
      .. "p50_us=%d p95_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, non200_total,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
