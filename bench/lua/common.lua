-- Shared by every wrk script of bench/run.sh (loaded with dofile).
-- Counts answers that are not 2xx per thread (wrk's own "Non-2xx or 3xx"
-- counter lets 3xx through) and prints one machine-readable line at the end:
--   RESULT rps=… p50_ms=… p99_ms=… requests=… non2xx=… socket_errors=…
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

non2xx = 0

-- Scripts may set `on_response(status, headers, body)`; it runs for every answer.
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  if on_response then on_response(status, headers, body) end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d non2xx=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, bad, e.connect + e.read + e.write + e.timeout))
end

-- base64 (wrk's LuaJIT has none)
local alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
function b64(data)
  return ((data:gsub('.', function(x)
    local r, c = '', x:byte()
    for i = 8, 1, -1 do r = r .. (c % 2 ^ i - c % 2 ^ (i - 1) > 0 and '1' or '0') end
    return r
  end) .. '0000'):gsub('%d%d%d?%d?%d?%d?', function(x)
    if #x < 6 then return '' end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
    return alphabet:sub(c + 1, c + 1)
  end) .. ({ '', '==', '=' })[#data % 3 + 1])
end

function basic_auth()
  return "Basic " .. b64(os.getenv("CLIENT_ID") .. ":" .. os.getenv("CLIENT_SECRET"))
end
