-- Sends the headers named in the environment: BENCH_COOKIE, BENCH_AUTHORIZATION,
-- BENCH_ACCEPT; and, with BENCH_METHOD and BENCH_BODY, that method and body.
local function set(header, variable)
  local value = os.getenv(variable)
  if value and value ~= "" then wrk.headers[header] = value end
end
set("Cookie", "BENCH_COOKIE")
set("Authorization", "BENCH_AUTHORIZATION")
set("Accept", "BENCH_ACCEPT")
local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then
  wrk.method = method
  wrk.body = os.getenv("BENCH_BODY")
end
