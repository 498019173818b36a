-- POSTs new products with unique codes (run nonce + thread id + counter) for as long as
-- wrk runs; bench.run repeats short runs until enough products exist.
local next_id = 0
local counter, thread_id, run = 0, 0, os.getenv("BENCH_RUN") or "0"

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  thread_id = tonumber(wrk.thread:get("id"))
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
end

function request()
  counter = counter + 1
  local body = string.format(
    "<product><code>LOAD-%s-%d-%08d</code><description>Loaded product %d</description>" ..
    "<sell_price>%d.99</sell_price><family>Load</family></product>",
    run, thread_id, counter, counter, counter % 500)
  return wrk.format("POST", "/api/products/", nil, body)
end
