/**
 * The core's rate limiter suites, as the memory store runs them, on the Redis store over each
 * client (time "app", so the TestClock's `now` goes into the scripts). The harness waits for
 * the store's round trips before the tests look, and moves the TestClock one scheduled sleep at
 * a time (see the core's `test/suites/harness.ts`).
 */
import { describe } from "@effect/vitest"
import { ioHarness } from "../../core/test/suites/harness.js"
import { rateLimiterSuite } from "../../core/test/suites/rateLimiter.js"
import { rateLimiterDecideSuite } from "../../core/test/suites/rateLimiterDecide.js"
import { rateLimiterKeyedSuite } from "../../core/test/suites/rateLimiterKeyed.js"
import { names } from "./utils/clients.js"
import { fresh, useRedis } from "./utils/fixture.js"

const fixture = useRedis({ prefix: "suites:" })

/**
 * The store keeps a key a keyed limiter evicts until it expires (another process may be using
 * it), and the load test runs a tenth of its callers: see the suites for both.
 */
const harness = (name: typeof names[number]) =>
  ioHarness(() => fresh(fixture.store(fixture.client(name)).rateLimiter), { forgetsEvictedKeys: false, scale: 0.1 })

describe.each(names)("RateLimiter (redis, %s store)", (name) => rateLimiterSuite(harness(name)))

describe.each(names)("RateLimiter.decide (redis, %s store)", (name) => rateLimiterDecideSuite(harness(name)))

describe.each(names)("RateLimiter.keyed (redis, %s store)", (name) => rateLimiterKeyedSuite(harness(name)))
