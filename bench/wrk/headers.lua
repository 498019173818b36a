-- Sends the headers named in the environment: BENCH_COOKIE, BENCH_AUTHORIZATION,
-- BENCH_ACCEPT.
local function set(header, variable)
  local value = os.getenv(variable)
  if value and value ~= "" then wrk.headers[header] = value end
end
set("Cookie", "BENCH_COOKIE")
set("Authorization", "BENCH_AUTHORIZATION")
set("Accept", "BENCH_ACCEPT")
