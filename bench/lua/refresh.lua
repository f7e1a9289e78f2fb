-- Refresh-token rotation: POST grant_type=refresh_token with HTTP Basic.
-- Each refresh token is used exactly once: a thread keeps its own pool of
-- live tokens (its chains), seeded from REFRESH_SEEDS (a file, one token a
-- line; thread i of n takes lines i, i+n, …). A request takes a token out of
-- the pool; a 200 answer puts the rotated successor back. No token is ever
-- presented twice (which would revoke its family). bench/run.sh seeds twice
-- as many chains as connections: with exactly as many, wrk 4.1 now and then
-- asks for a request before the answer that refills the pool was handed to
-- the script, and the pool runs dry. A request that finds the pool empty
-- (or a chain that breaks on a non-200) counts as an error.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local thread_count = 0
local parent_setup = setup
function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  parent_setup(thread)
end

local pool = {}
local auth
function init(args)
  auth = basic_auth()
  local n = tonumber(os.getenv("WRK_THREADS") or "1")
  local i = 0
  for line in io.lines(os.getenv("REFRESH_SEEDS")) do
    if line ~= "" then
      if i % n == (thread_index or 0) then table.insert(pool, line) end
      i = i + 1
    end
  end
end

function request()
  local token = table.remove(pool) or "chain-lost"
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = auth,
  }, "grant_type=refresh_token&refresh_token=" .. token)
end

function on_response(status, headers, body)
  if status == 200 then
    local next = body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if next then table.insert(pool, next) end
  end
end
