-- PUTs a small change to each of BENCH_PATHS in turn (all locked by BENCH_COOKIE's
-- session), so concurrent connections rarely write the same product at once.
local paths, index = {}, 0
for path in string.gmatch(os.getenv("BENCH_PATHS") or "", "[^,]+") do
  table.insert(paths, path)
end
wrk.method = "PUT"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.body = "<product><family>Bench</family></product>"

function request()
  index = index % #paths + 1
  return wrk.format(nil, paths[index])
end
