-- POST client_credentials with HTTP Basic to the URL given to wrk.
-- Env: CLIENT_ID, CLIENT_SECRET, CC_SCOPE; CC_AUDIENCE (Auth0's `audience`,
-- Vestibule) or CC_RESOURCE (RFC 8707 `resource`, the peer); neither gives the
-- peer's opaque token.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = basic_auth()
local body = "grant_type=client_credentials&scope=" .. (os.getenv("CC_SCOPE") or "read:all")
local audience, resource = os.getenv("CC_AUDIENCE"), os.getenv("CC_RESOURCE")
if audience and audience ~= "" then body = body .. "&audience=" .. audience end
if resource and resource ~= "" then body = body .. "&resource=" .. resource end
wrk.body = body
