-- GET the userinfo URL given to wrk with `Authorization: Bearer $ACCESS_TOKEN`
-- (an opaque access token obtained beforehand).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("ACCESS_TOKEN")
