-- wrk script for bench/run.py.
--
-- BENCH_POST_BYTES=N (environment): every request is a POST of N bytes of
-- 'a' (wrk adds Content-Length); unset or 0: the command line's GET.
-- done() prints one machine-readable line, "BENCH key=value ...", with the
-- request count, the error counters and the latency percentiles in
-- microseconds, so the driver does not depend on wrk's human units.
--
-- No request()/response() functions on purpose: with none, wrk keeps its
-- pre-built request and never calls Lua per request.

local n = tonumber(os.getenv("BENCH_POST_BYTES") or "0") or 0
if n > 0 then
    wrk.method = "POST"
    wrk.body = string.rep("a", n)
    wrk.headers["Content-Type"] = "application/octet-stream"
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d duration_us=%d bytes=%d"
        .. " err_connect=%d err_read=%d err_write=%d err_status=%d"
        .. " err_timeout=%d lat_mean_us=%.1f lat_p50_us=%d lat_p90_us=%d"
        .. " lat_p99_us=%d lat_max_us=%d\n",
        summary.requests, summary.duration, summary.bytes,
        e.connect, e.read, e.write, e.status, e.timeout,
        latency.mean, latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency.max))
end
