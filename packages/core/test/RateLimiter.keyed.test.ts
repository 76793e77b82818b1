import { describe } from "@effect/vitest"
import { memoryHarnesses } from "./suites/harness.js"
import { rateLimiterKeyedSuite } from "./suites/rateLimiterKeyed.js"

// Every store runs the same suite: the memory store here, the Redis store in its own package.
describe.each(memoryHarnesses)("RateLimiter.keyed (%s store)", (_, harness) => rateLimiterKeyedSuite(harness))
