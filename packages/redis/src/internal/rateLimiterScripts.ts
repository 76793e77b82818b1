/**
 * The rate limiter's Lua scripts, one per algorithm. Each is the algorithm of the core's
 * in-memory cell (`@effect-resilience/core`'s `internal/rateLimiter/algorithms.ts`) written
 * again in Lua with the same arithmetic, so both stores decide alike to the last bit: Lua
 * numbers are doubles, as JavaScript's are. A key's state is one string of packed doubles
 * (`struct.pack`, exact and cheap: one `GET` to read it, one `SET … PX` to write it with its
 * expiry); a fraction in a reply crosses the wire as a string printed with 17 significant
 * digits (a Lua number returned as such would be truncated to an integer).
 *
 * Every script takes:
 * - `KEYS[1]`: the limiter key (`<prefix>limiter:<algorithm>:<name>:<key>`)
 * - `ARGV[1]`: the caller's now in millis, or `""` to read the server's `TIME`
 * - `ARGV[2]`, `ARGV[3]`, `ARGV[4]`: limit, interval in millis, burst
 * - `ARGV[5]`: the permits to take (`0` reads without creating state), or `"snapshot"`
 *
 * `take` replies `{ allowed (0 | 1), remaining, retryAfter, resetAfter }` and `snapshot`
 * `{ now, ...state }`, where `now` is the instant the script decided at (for a store on server
 * time, to shift instants into the caller's frame).
 *
 * The scripts run once per decision, so they are written for the server's time: few
 * `redis.call`s, no formatting of what is not sent, no closures beyond `num`.
 */
import * as Script from "./script.js"

/** Reading the arguments and the clock; the reply's number format. */
const PRELUDE = `
local key = KEYS[1]
local now = ARGV[1]
if now == "" then
  -- one clock for every process: the server's
  local time = redis.call("TIME")
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
else
  now = tonumber(now)
end
local limit, interval, burst = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local snapshot = ARGV[5] == "snapshot"
local permits = tonumber(ARGV[5]) or 0

-- a number as a reply: 0 as such, otherwise a string that parses back to the same double
local format = string.format
local function num(x)
  if x == 0 then return 0 end
  return format("%.17g", x)
end
`

/**
 * Continuous refill at `limit` per `interval`, at most `burst` tokens, kept as credit scaled
 * by the interval (credit = tokens · interval), with the epsilon of a billionth of a token.
 * State: `<dd` credit, last (the time of the last refill). The key expires when the bucket
 * is full again.
 */
const TOKEN_BUCKET = `${PRELUDE}
local capacity = burst * interval
local epsilon = interval * 1e-9
local state = redis.call("GET", key)
local credit, last
if state then
  credit, last = struct.unpack("<dd", state)
  if now > last then
    credit = math.min(capacity, credit + (now - last) * limit)
    last = now
  end
else
  -- a fresh bucket: full
  if permits == 0 and not snapshot then return { 1, burst, 0, 0 } end
  credit, last = capacity, now
end

if snapshot then return { num(now), num(credit / interval), num(last) } end

local wait = 0
local missing = permits * interval - credit
if missing > epsilon then wait = missing / limit end
if wait == 0 and permits > 0 then
  credit = math.max(0, credit - permits * interval)
  local ttl = last + (capacity - credit) / limit - now
  if ttl > 0 then
    redis.call("SET", key, struct.pack("<dd", credit, last), "PX", math.ceil(ttl))
  else
    redis.call("DEL", key)
  end
end
local reset_after = last + (capacity - credit) / limit - now
if reset_after < 0 then reset_after = 0 end
local allowed = 0
if wait == 0 then allowed = 1 end
return { allowed, math.floor((credit + epsilon) / interval), num(wait), num(reset_after) }
`

/**
 * At most `limit` per window; windows are `[k·interval, (k+1)·interval)` on the clock.
 * State: `<dd` window (k), count. The key expires when its window ends.
 */
const FIXED_WINDOW = `${PRELUDE}
local state = redis.call("GET", key)
local window, count
if state then
  window, count = struct.unpack("<dd", state)
else
  if permits == 0 and not snapshot then return { 1, limit, 0, 0 } end
  window, count = -math.huge, 0
end
local current = math.floor(now / interval)
if current > window then
  window, count = current, 0
end

if snapshot then return { num(now), num(window * interval), num(count) } end

local wait = 0
if count + permits > limit then wait = (window + 1) * interval - now end
if wait == 0 and permits > 0 then
  count = count + permits
  local ttl = (window + 1) * interval - now
  if ttl > 0 then
    redis.call("SET", key, struct.pack("<dd", window, count), "PX", math.ceil(ttl))
  else
    redis.call("DEL", key)
  end
end
local reset_after = 0
if count > 0 then reset_after = (window + 1) * interval - now end
if reset_after < 0 then reset_after = 0 end
local allowed = 0
if wait == 0 then allowed = 1 end
return { allowed, limit - count, num(wait), num(reset_after) }
`

/**
 * At most `limit` in any `interval`-long span: an admission at `t` counts until
 * `t + interval`. The state is the memory cell's ring laid flat, oldest admission first:
 * `<d` total (the permits ever admitted), then per admission `<dd` time, before (the total
 * before it); admissions at the same instant are one entry, as in the memory cell, so at most
 * `limit` entries. Expired entries are a prefix, counted by a scan that stops at the first
 * live one and dropped at the next write; the instant enough permits expire is a binary search.
 * The key expires `interval` after its last admission.
 */
const SLIDING_WINDOW = `${PRELUDE}
local unpack = struct.unpack
local state = redis.call("GET", key)
local total, n, head = 0, 0, 1
if state then
  total = unpack("<d", state)
  n = (#state - 8) / 16
  -- entry i is at byte 9 + (i - 1) * 16: its time, then the total before it
  while head <= n and unpack("<d", state, head * 16 - 7) + interval <= now do
    head = head + 1
  end
end
local size = n - head + 1
if size == 0 then total = 0 end
local used = 0
if size > 0 then used = total - unpack("<d", state, head * 16 + 1) end

if snapshot then
  local out = { num(now) }
  for i = head, n do
    local at, before = unpack("<dd", state, i * 16 - 7)
    local after = total
    if i < n then after = unpack("<d", state, i * 16 + 17) end
    out[#out + 1] = num(at)
    out[#out + 1] = num(after - before)
  end
  return out
end

local wait = 0
if used + permits > limit then
  -- the first entry that may stay: every entry before it must have expired
  local target = total - limit + permits
  local lo, hi = 1, size
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if unpack("<d", state, (head + mid) * 16 + 1) >= target then hi = mid else lo = mid + 1 end
  end
  wait = unpack("<d", state, (head + lo - 1) * 16 - 7) + interval - now
end
local last = -math.huge
if size > 0 then last = unpack("<d", state, n * 16 - 7) end
if wait == 0 and permits > 0 then
  local live = ""
  if size > 0 then live = string.sub(state, head * 16 - 7) end
  if last ~= now then
    live = live .. struct.pack("<dd", now, total)
    last = now
  end
  total = total + permits
  used = used + permits
  redis.call("SET", key, struct.pack("<d", total) .. live, "PX", math.ceil(interval))
end
local reset_after = 0
if last + interval > now then reset_after = last + interval - now end
local allowed = 0
if wait == 0 then allowed = 1 end
return { allowed, limit - used, num(wait), num(reset_after) }
`

/** @internal */
export const scripts = {
  "token-bucket": Script.make("limiter:token-bucket", TOKEN_BUCKET),
  "fixed-window": Script.make("limiter:fixed-window", FIXED_WINDOW),
  "sliding-window": Script.make("limiter:sliding-window", SLIDING_WINDOW)
} as const
