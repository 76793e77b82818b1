/**
 * The circuit breaker's Lua script: the state machine of the core's memory store
 * (`@effect-resilience/core`'s `internal/circuitBreaker/memoryStore.ts`), one operation per
 * call, atomic across processes.
 *
 * Keys: `KEYS[1]` the breaker's hash (`<prefix>breaker:{<name>}`: state, generation, openedAt,
 * break, successes, nextLease, counts), `KEYS[2]` its probe leases (`...:leases`, a sorted set
 * of lease ids scored by expiry). The hash tag keeps both in one Redis Cluster slot.
 *
 * `ARGV`: 1 the caller's now, 2 `"1"` to decide on the server's `TIME`, 3 the operation
 * (`admit | record | observe | trip | isolate | reset | snapshot`), 4 halfOpenMaxCalls,
 * 5 the lease in millis, 6 idleTimeToLive in millis, 7 the trip policy
 * (`consecutive | calls | duration`), 8 its size (failures, calls or buckets), 9 minimumCalls,
 * 10 threshold, 11 the slow-call rate or `""`, 12 bucket millis, 13 breakMillis,
 * 14 the ticket's generation, 15 its lease, 16 the outcome, 17 `"1"` when slow,
 * 18 the initial state as JSON or `""` (applied only when the breaker has no state yet).
 *
 * Reply (strings): `now, before, state, opened, n, (from, to, at) × n`, then for `admit`
 * `verdict, generation, lease, rejectedState, retryAfter`, for `snapshot`
 * `openedAt, break, successes, counts (JSON)`. `before` is the stored state before the
 * operation, so a process can see transitions made elsewhere.
 */
import * as Script from "./script.js"

const SOURCE = `
local hash, leases = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])
local shift = 0
if ARGV[2] == "1" then
  local time = redis.call("TIME")
  local server = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
  -- instants going in (the initial state) move from the caller's frame to the server's
  shift = now - server
  now = server
end
local op = ARGV[3]
local max_probes = tonumber(ARGV[4])
local lease_millis = tonumber(ARGV[5])
local idle_millis = tonumber(ARGV[6])
local policy = ARGV[7]
local size = tonumber(ARGV[8])
local minimum_calls = tonumber(ARGV[9])
local threshold = tonumber(ARGV[10])
local slow_rate = tonumber(ARGV[11])
local bucket_millis = tonumber(ARGV[12])
local break_millis = tonumber(ARGV[13])

local function num(x)
  return string.format("%.17g", x)
end

-- the counts of the trip policy, as JSON in one field
local function fresh_counts()
  if policy == "consecutive" then return { failures = 0 } end
  if policy == "calls" then return { ring = "", next = 0, total = 0, failures = 0, slow = 0 } end
  return { epochs = {}, totals = {}, failures = {}, slow = {} }
end

local function exceeds(total, failures, slow)
  return total >= minimum_calls and
    (failures / total >= threshold or (slow_rate ~= nil and slow / total >= slow_rate))
end

-- records one outcome; true when the policy says open
local function count(c, failure, slow)
  if policy == "consecutive" then
    if not failure then
      c.failures = 0
      return false
    end
    c.failures = c.failures + 1
    return c.failures >= size
  end
  local outcome = 0
  if failure then outcome = outcome + 1 end
  if slow then outcome = outcome + 2 end
  if policy == "calls" then
    -- the last size outcomes, one digit each (1: failure, 2: slow), in a ring
    local i = c.next + 1
    if c.total == size then
      local evicted = tonumber(string.sub(c.ring, i, i))
      if evicted % 2 == 1 then c.failures = c.failures - 1 end
      if evicted >= 2 then c.slow = c.slow - 1 end
    else
      c.total = c.total + 1
    end
    c.ring = string.sub(c.ring, 1, i - 1) .. outcome .. string.sub(c.ring, i + 1)
    c.next = (c.next + 1) % size
    if failure then c.failures = c.failures + 1 end
    if slow then c.slow = c.slow + 1 end
    return exceeds(c.total, c.failures, c.slow)
  end
  -- buckets of bucket_millis: a call counts while its bucket is one of the last size
  local epoch = math.floor(now / bucket_millis)
  local slot = tostring(epoch % size)
  if c.epochs[slot] ~= epoch then
    c.epochs[slot], c.totals[slot], c.failures[slot], c.slow[slot] = epoch, 0, 0, 0
  end
  c.totals[slot] = c.totals[slot] + 1
  if failure then c.failures[slot] = c.failures[slot] + 1 end
  if slow then c.slow[slot] = c.slow[slot] + 1 end
  local total, failures, slows = 0, 0, 0
  for s, e in pairs(c.epochs) do
    if e > epoch - size and e <= epoch then
      total, failures, slows = total + c.totals[s], failures + c.failures[s], slows + c.slow[s]
    end
  end
  return exceeds(total, failures, slows)
end

-- the counts as the memory store's counter reports them (its toJSON)
local function counts_json(c)
  if policy == "consecutive" then return cjson.encode({ failures = c.failures }) end
  if policy == "calls" then
    local outcomes = {}
    local start = 0
    if c.total == size then start = c.next end
    for i = 0, c.total - 1 do
      local at = (start + i) % size + 1
      outcomes[#outcomes + 1] = tonumber(string.sub(c.ring, at, at))
    end
    if #outcomes == 0 then return '{"outcomes":[]}' end
    return cjson.encode({ outcomes = outcomes })
  end
  local buckets = {}
  for s = 0, size - 1 do
    local key = tostring(s)
    if c.epochs[key] ~= nil then
      buckets[#buckets + 1] = { c.epochs[key], c.totals[key], c.failures[key], c.slow[key] }
    end
  end
  if #buckets == 0 then return '{"bucketMillis":' .. num(bucket_millis) .. ',"buckets":[]}' end
  return cjson.encode({ bucketMillis = bucket_millis, buckets = buckets })
end

-- load, or start from the initial state
local b = {}
local stored = redis.call("HGETALL", hash)
for i = 1, #stored, 2 do b[stored[i]] = stored[i + 1] end
local counts
if b.state == nil then
  b.state, b.generation, b.openedAt, b["break"], b.successes, b.nextLease = "Closed", 0, 0, 0, 0, 1
  counts = fresh_counts()
  if ARGV[18] ~= "" then
    local initial = cjson.decode(ARGV[18])
    b.state, b.openedAt, b["break"], b.successes = initial.state, initial.openedAt - shift, initial.breakMillis,
      initial.halfOpenSuccesses
    local given = initial.counts
    if policy == "consecutive" then
      counts.failures = given.failures
    elseif policy == "calls" then
      for _, o in ipairs(given.outcomes) do count(counts, o % 2 == 1, o >= 2) end
    else
      -- buckets are numbered on the caller's clock: renumbered on the server's, each to the
      -- bucket holding its start, never a later one (the caller's current bucket must not land
      -- in the server's future, where it would not count); one offset for all
      local offset = math.floor(-shift / bucket_millis)
      for _, bucket in ipairs(given.buckets) do
        local epoch = bucket[1] + offset
        local slot = tostring(epoch % size)
        counts.epochs[slot], counts.totals[slot], counts.failures[slot], counts.slow[slot] =
          epoch, bucket[2], bucket[3], bucket[4]
      end
    end
  end
else
  counts = cjson.decode(b.counts)
end
local state, generation = b.state, tonumber(b.generation)
local opened_at, break_of, successes = tonumber(b.openedAt), tonumber(b["break"]), tonumber(b.successes)
local before = state
local transitions = {}
local opened = false

local function next_generation()
  generation = generation + 1
  successes = 0
  redis.call("DEL", leases)
  counts = fresh_counts()
end

local function move(to, at)
  transitions[#transitions + 1] = { state, to, at }
  state = to
  next_generation()
end

local function open()
  if state == "Open" then next_generation() else move("Open", now) end
  opened_at, break_of = now, break_millis
  opened = true
end

-- Open becomes HalfOpen once the break has passed, stamped with the moment it ended
if op ~= "snapshot" and state == "Open" and now >= opened_at + break_of then
  move("HalfOpen", opened_at + break_of)
end

local extra = {}
if op == "admit" then
  if state == "Closed" then
    extra = { "Admitted", num(generation), "0", "", "0" }
  elseif state == "Open" then
    extra = { "Rejected", "0", "0", "Open", num(opened_at + break_of - now) }
  elseif state == "Isolated" then
    extra = { "Rejected", "0", "0", "Isolated", "0" }
  else
    redis.call("ZREMRANGEBYSCORE", leases, "-inf", num(now))
    if redis.call("ZCARD", leases) >= max_probes then
      extra = { "Rejected", "0", "0", "HalfOpen", "0" }
    else
      local lease = tonumber(b.nextLease)
      b.nextLease = lease + 1
      redis.call("ZADD", leases, num(now + lease_millis), tostring(lease))
      extra = { "Admitted", num(generation), tostring(lease), "", "0" }
    end
  end
elseif op == "record" then
  local ticket_generation, ticket_lease = tonumber(ARGV[14]), ARGV[15]
  local outcome, slow = ARGV[16], ARGV[17] == "1"
  if ticket_generation == generation then
    if state == "Closed" then
      if outcome ~= "ignored" and count(counts, outcome == "failure", slow) then open() end
    elseif state == "HalfOpen" then
      redis.call("ZREMRANGEBYSCORE", leases, "-inf", num(now))
      -- an expired lease's outcome is dropped
      if redis.call("ZREM", leases, ticket_lease) == 1 and outcome ~= "ignored" then
        if outcome == "failure" then
          open()
        else
          successes = successes + 1
          if successes >= max_probes then move("Closed", now) end
        end
      end
    end
  end
elseif op == "trip" then
  if state ~= "Isolated" then open() end
elseif op == "isolate" then
  if state ~= "Isolated" then move("Isolated", now) end
elseif op == "reset" then
  if state == "Closed" then next_generation() else move("Closed", now) end
elseif op == "snapshot" then
  extra = { num(opened_at), num(break_of), tostring(successes), counts_json(counts) }
end

if op ~= "snapshot" then
  redis.call("HSET", hash, "state", state, "generation", num(generation), "openedAt", num(opened_at),
    "break", num(break_of), "successes", tostring(successes), "nextLease", tostring(b.nextLease),
    "counts", cjson.encode(counts))
  -- memory is bounded by the active breakers: an idle one expires, an Isolated one never
  if state == "Isolated" then
    redis.call("PERSIST", hash)
    redis.call("PERSIST", leases)
  else
    local ttl = idle_millis
    if state == "Open" then ttl = opened_at + break_of - now + idle_millis end
    if state == "HalfOpen" then ttl = lease_millis + idle_millis end
    ttl = math.max(1, math.ceil(ttl))
    redis.call("PEXPIRE", hash, ttl)
    redis.call("PEXPIRE", leases, ttl)
  end
end

local reply = { num(now), before, state, opened and "1" or "0", tostring(#transitions) }
for _, t in ipairs(transitions) do
  reply[#reply + 1] = t[1]
  reply[#reply + 1] = t[2]
  reply[#reply + 1] = num(t[3])
end
for _, x in ipairs(extra) do reply[#reply + 1] = x end
return reply
`

/** @internal */
export const script = Script.make("breaker", SOURCE)
