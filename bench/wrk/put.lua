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

-- A refused PUT is printed (wrk itself only counts it), so a failed run says why.
function response(status, headers, body)
  if status >= 300 then
    io.write("PUT answered ", status, ": ", string.sub(body, 1, 300), "\n")
  end
end
