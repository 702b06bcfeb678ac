-- wrk script for POST /{tenant}/oauth2/v2.0/token (client credentials and refresh tokens).
--
-- Usage: wrk ... -s bench/wrk/token.lua URL -- MODE INPUT [BASIC_BODY | OFFSET THREADS | OFFSET COUNT THREADS BODY]
--   MODE post:  INPUT has one form body per line (client_secret_post); requests cycle through them.
--               Each thread starts at a different line so that threads spread over the clients.
--   MODE paths: as post, each line `PATH BODY`: the request goes to PATH (e.g. /{tenant}/oauth2/v2.0/token,
--               for clients spread over many tenants) instead of the URL's path.
--   MODE basic: INPUT has one `Basic ...` Authorization value per line, BASIC_BODY the form body.
--   MODE pool:  INPUT has one single-use form body per line (private_key_jwt: each assertion has its
--               own jti). Line OFFSET + i + k*THREADS (0-based, modulo the line count, which must be a
--               multiple of THREADS) is thread i's k-th request, so no two threads send the same
--               body; the caller passes the `pool_used` of one run as the OFFSET of the next.
--   MODE refresh: INPUT has one refresh token per line, each the head of its own grant; this run
--               uses lines OFFSET .. OFFSET+COUNT-1 (COUNT a multiple of THREADS, at least
--               connections + THREADS: wrk calls request() once before the run to check it, and
--               that token is never sent, so every thread keeps one spare), thread i the lines
--               OFFSET + i + k*THREADS. BODY holds the grant's form body
--               without the token. Refresh tokens rotate on every use: each 200 answer's
--               `refresh_token` goes back into the thread's queue, and the next request takes
--               the oldest, so every request presents a live token exactly once.
-- done() prints one machine-readable line, `CUSTOS_RESULT key=value ...`, with latency in µs,
-- wrk's socket errors and the count of responses whose status is not 200; in pool mode also
-- pool_size and pool_used (OFFSET + the lines this run consumed; above pool_size = lines reused).

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

local function form_headers()
  return { ["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = "application/json" }
end

-- Pool mode: this thread's share of the lines (read without keeping the others: the pool is
-- large), starting where the previous run stopped.
local function init_pool(path, offset, threads)
  assert(threads and threads > 0, "pool mode needs THREADS > 0")
  assert(offset and offset >= 0 and offset % threads == 0, "pool mode needs OFFSET >= 0, a multiple of THREADS")
  local headers = form_headers()
  local file = assert(io.open(path, "r"), "cannot open " .. path)
  local count = 0
  for line in file:lines() do
    if line ~= "" then
      if count % threads == thread_index then
        table.insert(requests_by_index, wrk.format("POST", nil, headers, line))
      end
      count = count + 1
    end
  end
  file:close()
  assert(count > 0 and count % threads == 0, "pool size " .. count .. " is not a positive multiple of THREADS")
  pool_size, pool_offset, pool_threads, sent = count, offset, threads, 0
  next_index = math.floor(offset / threads) % #requests_by_index + 1
end

-- Refresh mode: this thread's grants, as a FIFO of live refresh tokens.
local refresh_queue, refresh_head, refresh_tail, refresh_headers, refresh_prefix

local function init_refresh(path, offset, count, threads, body_file)
  assert(offset and count and threads and body_file, "refresh mode needs OFFSET COUNT THREADS BODY")
  assert(count % threads == 0, "COUNT must be a multiple of THREADS")
  local lines = read_lines(path)
  assert(offset + count <= #lines, "refresh mode needs " .. (offset + count) .. " tokens, the file has " .. #lines)
  refresh_queue, refresh_head, refresh_tail = {}, 1, 0
  for k = 0, count / threads - 1 do
    refresh_tail = refresh_tail + 1
    refresh_queue[refresh_tail] = lines[offset + thread_index + k * threads + 1]
  end
  refresh_headers = form_headers()
  refresh_prefix = read_lines(body_file)[1] .. "&refresh_token="
end

function init(args)
  non200 = 0
  local mode, input, basic_body = args[1], args[2], args[3]
  assert(mode == "post" or mode == "paths" or mode == "basic" or mode == "pool" or mode == "refresh",
    "MODE must be post, paths, basic, pool or refresh")
  if mode == "pool" then
    init_pool(input, tonumber(args[3]), tonumber(args[4]))
    return
  end
  if mode == "refresh" then
    init_refresh(input, tonumber(args[3]), tonumber(args[4]), tonumber(args[5]), args[6])
    return
  end
  local lines = read_lines(input)
  local headers = form_headers()
  local body
  if mode == "basic" then
    body = read_lines(assert(basic_body, "basic mode needs BASIC_BODY"))[1]
  end
  for i, line in ipairs(lines) do
    if mode == "post" then
      requests_by_index[i] = wrk.format("POST", nil, headers, line)
    elseif mode == "paths" then
      local path, form = string.match(line, "^(%S+) (%S+)$")
      assert(path and form, "paths mode needs `PATH BODY` lines")
      requests_by_index[i] = wrk.format("POST", path, headers, form)
    else
      headers["Authorization"] = line
      requests_by_index[i] = wrk.format("POST", nil, headers, body)
    end
  end
  next_index = (thread_index * 7919) % #requests_by_index + 1
end

function request()
  sent = (sent or 0) + 1
  if refresh_queue then
    -- An empty queue means an earlier answer was not a 200 (already counted): send a token that
    -- cannot work, so the row shows the failure instead of stalling.
    local token = "spent"
    if refresh_head <= refresh_tail then
      token = refresh_queue[refresh_head]
      refresh_queue[refresh_head] = nil
      refresh_head = refresh_head + 1
    end
    return wrk.format("POST", nil, refresh_headers, refresh_prefix .. token)
  end
  local prepared = requests_by_index[next_index]
  next_index = next_index % #requests_by_index + 1
  return prepared
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  elseif refresh_queue then
    local token = string.match(body, '"refresh_token":"([^"]+)"')
    if token then
      refresh_tail = refresh_tail + 1
      refresh_queue[refresh_tail] = token
    else
      non200 = non200 + 1
    end
  end
end

function done(summary, latency, requests)
  local non200_total, most_sent = 0, 0
  for _, thread in ipairs(threads) do
    non200_total = non200_total + (thread:get("non200") or 0)
    most_sent = math.max(most_sent, thread:get("sent") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    "CUSTOS_RESULT requests=%d duration_us=%d non200=%d connect=%d read=%d write=%d status=%d timeout=%d "
      .. "p50_us=%d p95_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, non200_total,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
  local first = threads[1]
  if first and first:get("pool_size") then
    -- Every thread advances by THREADS lines per request; the busiest one bounds what was consumed.
    local pool_used = first:get("pool_offset") + first:get("pool_threads") * most_sent
    io.write(string.format("CUSTOS_POOL pool_size=%d pool_used=%d\n", first:get("pool_size"), pool_used))
  end
end
