-- bench/http_capture.lua -- wrk script of bench/http.sh: POST /capture of
-- the EPCISDocument in $KETEN_DOC (1,000 events), each request with its own
-- tag in place of "@@" in the EPC serials (thread, run and request number),
-- so that no two documents hold the same event (a duplicate fails the job).
-- Bearer token from $KETEN_TOKEN.  done() prints the answers by status.
local threads, nthreads = {}, 0
function setup(thread)
    thread:set("tid", nthreads)
    nthreads = nthreads + 1
    table.insert(threads, thread)
end
local tmpl, hdrs, n = nil, nil, 0
function init(args)
    local f = assert(io.open(os.getenv("KETEN_DOC"), "rb"))
    tmpl = f:read("*a")
    f:close()
    hdrs = {["Content-Type"] = "application/ld+json",
            ["Authorization"] = "Bearer " .. os.getenv("KETEN_TOKEN")}
    s202, s503, sother = 0, 0, 0
end
function request()
    n = n + 1
    local body = tmpl:gsub("@@", string.format("%sx%dx%d", os.getenv("KETEN_RUN") or "r", tid, n))
    return wrk.format("POST", "/capture", hdrs, body)
end
function response(status, headers, body)
    if status == 202 then s202 = s202 + 1
    elseif status == 503 then s503 = s503 + 1
    else sother = sother + 1 end
end
function done(summary, latency, requests)
    local a, b, c = 0, 0, 0
    for _, t in ipairs(threads) do
        a = a + t:get("s202"); b = b + t:get("s503"); c = c + t:get("sother")
    end
    io.write(string.format("capture-answers: 202 %d 503 %d other %d\n", a, b, c))
end
