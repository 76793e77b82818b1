/**
 * The rate limiter's Lua scripts, one per algorithm. Each is the algorithm of the core's
 * in-memory cell (`@effect-resilience/core`'s `internal/rateLimiter/algorithms.ts`) written
 * again in Lua with the same arithmetic, so both stores decide alike to the last bit: Lua
 * numbers are doubles, as JavaScript's are, and every fraction crosses the wire as a string
 * printed with 17 significant digits (a Lua number returned as such would be truncated).
 *
 * Every script takes:
 * - `KEYS[1]`: the limiter key (`<prefix>limiter:<algorithm>:<name>:<key>`)
 * - `ARGV[1]`: the caller's now in millis, or `""` to read the server's `TIME`
 * - `ARGV[2]`, `ARGV[3]`, `ARGV[4]`: limit, interval in millis, burst
 * - `ARGV[5]`: the permits to take (`0` reads without creating state), or `"snapshot"`
 *
 * `take` replies `{ allowed (0 | 1), remaining, retryAfter, resetAfter, now }` and `snapshot`
 * `{ now, ...state }`, where `now` is the instant the script decided at (for a store on server
 * time, to shift instants into the caller's frame).
 */
import * as Script from "./script.js"

/** Reading the arguments and the clock; helpers every algorithm uses. */
const PRELUDE = `
local key = KEYS[1]
local now
if ARGV[1] == "" then
  -- one clock for every process: the server's
  local time = redis.call("TIME")
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
else
  now = tonumber(ARGV[1])
end
local limit = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local snapshot = ARGV[5] == "snapshot"
local permits = tonumber(ARGV[5]) or 0

-- a number as a string that parses back to the same double
local function num(x)
  return string.format("%.17g", x)
end

-- the key lives until it is back at its fresh state, then disappears
local function expire_after(millis)
  if millis > 0 then
    redis.call("PEXPIRE", key, math.ceil(millis))
  else
    redis.call("DEL", key)
  end
end

local function decision(wait, remaining, fresh_at)
  local allowed = 0
  if wait == 0 then allowed = 1 end
  local reset_after = 0
  if fresh_at > now then reset_after = fresh_at - now end
  return { allowed, remaining, num(wait), num(reset_after), num(now) }
end
`

/**
 * Continuous refill at `limit` per `interval`, at most `burst` tokens, kept as credit scaled
 * by the interval (credit = tokens · interval), with the epsilon of a billionth of a token.
 * Hash fields: `credit`, `last` (the time of the last refill).
 */
const TOKEN_BUCKET = `${PRELUDE}
local capacity = burst * interval
local epsilon = interval * 1e-9
local state = redis.call("HMGET", key, "credit", "last")
local credit, last = tonumber(state[1]), tonumber(state[2])
if credit == nil then
  -- a fresh bucket: full
  if permits == 0 and not snapshot then return { 1, burst, "0", "0", num(now) } end
  credit, last = capacity, now
elseif now > last then
  credit = math.min(capacity, credit + (now - last) * limit)
  last = now
end

if snapshot then return { num(now), num(credit / interval), num(last) } end

local wait = 0
local missing = permits * interval - credit
if missing > epsilon then wait = missing / limit end
if wait == 0 and permits > 0 then
  credit = math.max(0, credit - permits * interval)
  redis.call("HSET", key, "credit", num(credit), "last", num(last))
  expire_after(last + (capacity - credit) / limit - now)
end
return decision(wait, math.floor((credit + epsilon) / interval), last + (capacity - credit) / limit)
`

/**
 * At most `limit` per window; windows are `[k·interval, (k+1)·interval)` on the clock.
 * Hash fields: `window` (k), `count`.
 */
const FIXED_WINDOW = `${PRELUDE}
local state = redis.call("HMGET", key, "window", "count")
local window, count = tonumber(state[1]), tonumber(state[2])
if window == nil then
  if permits == 0 and not snapshot then return { 1, limit, "0", "0", num(now) } end
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
  redis.call("HSET", key, "window", num(window), "count", num(count))
  expire_after((window + 1) * interval - now)
end
local fresh_at = -math.huge
if count > 0 then fresh_at = (window + 1) * interval end
return decision(wait, limit - count, fresh_at)
`

/**
 * At most `limit` in any `interval`-long span: an admission at `t` counts until
 * `t + interval`. A sorted set of admissions scored by time, each member `"<time>:<permits>"`
 * (admissions at the same instant are merged into one member, as the memory cell merges them),
 * so at most `limit` members. Reading it is O(members): fine for the limits of one key.
 */
const SLIDING_WINDOW = `${PRELUDE}
local entries = redis.call("ZRANGE", key, 0, -1, "WITHSCORES")
local times, amounts, members = {}, {}, {}
local expired, used = 0, 0
for i = 1, #entries, 2 do
  local at = tonumber(entries[i + 1])
  if at + interval <= now then
    expired = expired + 1
  else
    local amount = tonumber(string.match(entries[i], ":(%d+)$"))
    times[#times + 1] = at
    amounts[#amounts + 1] = amount
    members[#members + 1] = entries[i]
    used = used + amount
  end
end

if snapshot then
  local out = { num(now) }
  for i = 1, #times do
    out[#out + 1] = num(times[i])
    out[#out + 1] = num(amounts[i])
  end
  return out
end

local wait = 0
if used + permits > limit then
  -- the first admission whose expiry frees enough permits
  local need, freed = used + permits - limit, 0
  for i = 1, #times do
    freed = freed + amounts[i]
    if freed >= need then
      wait = times[i] + interval - now
      break
    end
  end
end
if wait == 0 and permits > 0 then
  if expired > 0 then redis.call("ZREMRANGEBYRANK", key, 0, expired - 1) end
  local n = #times
  if n > 0 and times[n] == now then
    redis.call("ZREM", key, members[n])
    amounts[n] = amounts[n] + permits
  else
    n = n + 1
    times[n], amounts[n] = now, permits
  end
  redis.call("ZADD", key, num(now), num(now) .. ":" .. amounts[n])
  used = used + permits
  expire_after(interval)
end
local fresh_at = -math.huge
if #times > 0 then fresh_at = times[#times] + interval end
return decision(wait, limit - used, fresh_at)
`

/** @internal */
export const scripts = {
  "token-bucket": Script.make("limiter:token-bucket", TOKEN_BUCKET),
  "fixed-window": Script.make("limiter:fixed-window", FIXED_WINDOW),
  "sliding-window": Script.make("limiter:sliding-window", SLIDING_WINDOW)
} as const
