-- bench/http_rate.lua -- wrk script of bench/http.sh: GET of a path drawn at
-- random from the file $KETEN_PATHS (one a line) on every connection, each
-- connection waiting $KETEN_DELAY_MS after every answer: about
-- connections * 1000 / (delay + service time) requests a second, a fixed
-- rate in practice (wrk has no rate option; the rate reached is printed).
-- done() prints the latency percentiles from wrk's own histogram.
local threads, nthreads = {}, 0
function setup(thread)
    thread:set("tid", nthreads)
    nthreads = nthreads + 1
    table.insert(threads, thread)
end
local paths, wait = {}, 0
function init(args)
    for l in io.lines(os.getenv("KETEN_PATHS")) do paths[#paths + 1] = l end
    wait = tonumber(os.getenv("KETEN_DELAY_MS") or "0")
    math.randomseed(os.time() + 7919 * tid)
    bad = 0
end
function request()
    return wrk.format("GET", paths[math.random(#paths)])
end
function delay()
    return wait
end
function response(status, headers, body)
    if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
    local b = 0
    for _, t in ipairs(threads) do b = b + t:get("bad") end
    local s = summary.duration / 1e6
    io.write(string.format(
        "rate-result: %d requests in %.1f s = %.0f/s, not 200: %d, errors %d; latency p50 %.2f ms, " ..
        "p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
        summary.requests, s, summary.requests / s, b,
        summary.errors.connect + summary.errors.read + summary.errors.write +
        summary.errors.timeout, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
        latency:percentile(99) / 1e3, latency:percentile(99.9) / 1e3, latency.max / 1e3))
end
