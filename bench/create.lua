-- wrk script for bench/api.py: POST one form body to a path that rotates over a
-- pool of ConversationSids, so that no conversation gets more than
-- BENCH_PER_CONVERSATION creates (chinwag allows 5 scoped webhooks each).
--
-- Configured by environment (bench/api.py sets it):
--   BENCH_SIDS      file with one ConversationSid per line (the pool)
--   BENCH_FIRST     index in the pool of the first conversation to use
--   BENCH_PATH      path template, "%s" is replaced by the ConversationSid
--   BENCH_BODY      the x-www-form-urlencoded request body
--   BENCH_PER_CONVERSATION  creates sent to each conversation (default 5)
--   BENCH_RATE      optional: requests/s each thread paces at (0 or unset: as fast as possible)
--   BENCH_LIMIT     optional: stop a thread after this many requests (0 or unset: no limit),
--                   so that a run ends early rather than overfill the pool's conversations
--   BENCH_PORTS     optional: comma-separated ports on the URL's host, one per wrk thread
--                   (-t must equal their number): thread t sends to the t-th port only
--
-- Request k of thread t (of T) goes to conversation FIRST + T * slot + t, where
-- slot = (k % WINDOW) + WINDOW * (k // (PER * WINDOW)): the creates on one
-- conversation are WINDOW requests apart, never back to back, and no two threads
-- share a conversation. The counters live in each thread's Lua state.
-- done() prints one line "BENCH_JSON {...}" with throughput, latency and status counts.

local WINDOW = 64

local sids = {}
for line in io.lines(os.getenv("BENCH_SIDS")) do
   sids[#sids + 1] = line
end
local first = tonumber(os.getenv("BENCH_FIRST") or "0")
local path_template = os.getenv("BENCH_PATH")
local body = os.getenv("BENCH_BODY")
local per_conversation = tonumber(os.getenv("BENCH_PER_CONVERSATION") or "5")
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local limit = tonumber(os.getenv("BENCH_LIMIT") or "0")
local ports = {}
for port in string.gmatch(os.getenv("BENCH_PORTS") or "", "%d+") do
   ports[#ports + 1] = port
end
local nthreads = math.max(#ports, 1)
tid = 0 -- this thread's number, set by setup() below before the thread runs

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local ffi = require("ffi")
ffi.cdef [[
   typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
   int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")
local function now_ms()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
   return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

issued = 0
statuses = {}
-- wrk's own duration is always -d; after a stop at BENCH_LIMIT the run really
-- lasted from the first request to the stop.
first_ms = nil
stopped_ms = nil

function request()
   local k = issued
   issued = issued + 1
   first_ms = first_ms or now_ms()
   if limit > 0 and issued >= limit and not stopped_ms then
      stopped_ms = now_ms()
      wrk.thread:stop()
   end
   local slot = (k % WINDOW) + WINDOW * math.floor(k / (per_conversation * WINDOW))
   local sid = sids[(first + nthreads * slot + tid) % #sids + 1]
   return wrk.format(nil, string.format(path_template, sid))
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

if rate > 0 then
   -- Pacing: request n is due at start + n / rate, whichever connection sends it;
   -- delay() (in ms, before each request) waits for that slot. Latency is measured
   -- by wrk from the moment the request is written, after the wait.
   local interval_ms = 1000 / rate
   local start_ms = nil
   local paced = 0

   function delay()
      local now = now_ms()
      start_ms = start_ms or now
      local due = start_ms + paced * interval_ms
      paced = paced + 1
      if due <= now then
         return 0
      end
      return math.floor(due - now + 0.5)
   end
end

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   if #ports > 0 then
      thread.addr = wrk.lookup(wrk.host, ports[#threads + 1])[1]
   end
   threads[#threads + 1] = thread
end

function done(summary, latency, requests)
   local counts, sent, sent_max, stopped, stopped_us = {}, 0, 0, 0, 0
   for _, thread in ipairs(threads) do
      local issued = thread:get("issued")
      sent = sent + issued
      sent_max = math.max(sent_max, issued)
      local stopped_at = thread:get("stopped_ms")
      if stopped_at then
         stopped = stopped + 1
         stopped_us = math.max(stopped_us, (stopped_at - thread:get("first_ms")) * 1000)
      end
      for status, n in pairs(thread:get("statuses")) do
         counts[status] = (counts[status] or 0) + n
      end
   end
   -- A run that every thread stopped early lasted until the last one stopped.
   local duration_us = summary.duration
   if stopped == #threads then
      duration_us = math.floor(stopped_us)
   end
   local parts = {}
   for status, n in pairs(counts) do
      parts[#parts + 1] = string.format('"%d": %d', status, n)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"duration_us": %d, "requests": %d, "issued": %d, "issued_max": %d, '
         .. '"stopped": %d, "statuses": {%s}, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
         .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
      duration_us, summary.requests, sent, sent_max, stopped, table.concat(parts, ", "),
      e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean))
end
