-- GET the URL given to wrk (discovery, JWKS). Env: BENCH_LUA (this folder).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
