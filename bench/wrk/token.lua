-- wrk script for POST /{tenant}/oauth2/v2.0/token (client credentials).
--
-- Usage: wrk ... -s bench/wrk/token.lua URL -- MODE INPUT [BASIC_BODY]
--   MODE post:  INPUT has one form body per line (client_secret_post); requests cycle through them.
--   MODE basic: INPUT has one `Basic ...` Authorization value per line, BASIC_BODY the form body.
-- Each thread starts at a different line so that threads spread over the clients.
-- done() prints one machine-readable line, `CUSTOS_RESULT key=value ...`, with latency in µs,
-- wrk's socket errors and the count of responses whose status is not 200.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "r"), "cannot open " .. path)
  for line in file:lines() do
    if line ~= "" then
      table.insert(lines, line)
    end
  end
  file:close()
  assert(#lines > 0, path .. " is empty")
  return lines
end

local requests_by_index = {}
local next_index = 1

function init(args)
  non200 = 0
  local mode, input, basic_body = args[1], args[2], args[3]
  assert(mode == "post" or mode == "basic", "MODE must be post or basic")
  local lines = read_lines(input)
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = "application/json" }
  local body
  if mode == "basic" then
    body = read_lines(assert(basic_body, "basic mode needs BASIC_BODY"))[1]
  end
  for i, line in ipairs(lines) do
    if mode == "post" then
      requests_by_index[i] = wrk.format("POST", nil, headers, line)
    else
      headers["Authorization"] = line
      requests_by_index[i] = wrk.format("POST", nil, headers, body)
    end
  end
  next_index = (thread_index * 7919) % #requests_by_index + 1
end

function request()
  local prepared = requests_by_index[next_index]
  next_index = next_index % #requests_by_index + 1
  return prepared
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
