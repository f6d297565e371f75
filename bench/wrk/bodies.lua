-- wrk script: POSTs GraphQL bodies in turn, one per line of the file named by the first
-- argument after `--` (a line starting with `/` is a path to GET instead, e.g. a query in the
-- URL through a cache); an optional second argument is a bearer token. Prints one JSON line of
-- figures at the end (bench/report.py reads it). Errors count transport errors, statuses
-- other than 2xx/3xx, and 200 responses whose body carries GraphQL "errors".
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

local bodies = {}
local at = 0
graphql_errors = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  at = math.random(#bodies) - 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[2] and #args[2] > 0 then
    wrk.headers["Authorization"] = "Bearer " .. args[2]
  end
end

function request()
  at = at % #bodies + 1
  local line = bodies[at]
  if string.sub(line, 1, 1) == "/" then
    return wrk.format("GET", line, nil, nil)
  end
  return wrk.format(nil, nil, nil, line)
end

function response(status, headers, body)
  if status == 200 and string.find(body, '"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  for _, thread in ipairs(threads) do
    errors = errors + (thread:get("graphql_errors") or 0)
  end
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, errors))
end
