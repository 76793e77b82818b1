/**
 * Four Node processes share one limiter on Redis (server time, real time, loopback): their
 * admissions together never exceed the bound in any window.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { type RedisServer, startServer } from "./utils/server.js"

const worker = fileURLToPath(new URL("./utils/limiterWorker.ts", import.meta.url))

interface Result {
  readonly admissions: ReadonlyArray<readonly [before: number, after: number]>
  readonly denied: number
}

interface Worker {
  readonly ready: Promise<void>
  readonly go: () => void
  readonly done: Promise<Record<string, Result>>
}

const spawnWorker = (url: string, millis: number): Worker => {
  const child = spawn(process.execPath, [
    "--conditions=@effect-resilience/source",
    "--import",
    "tsx",
    worker,
    url,
    String(millis)
  ], {
    stdio: ["pipe", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  let markReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString()
    if (stdout.startsWith("ready\n")) markReady()
  })
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  const done = new Promise<Record<string, Result>>((resolve, reject) =>
    child.once("exit", (code) => {
      if (code === 0) resolve(JSON.parse(stdout.slice("ready\n".length)) as Record<string, Result>)
      else reject(new Error(`worker exited with ${code}: ${stderr}`))
    })
  )
  return { ready, go: () => child.stdin.end("go\n"), done }
}

const LIMIT = 25
const INTERVAL = 250
const RUN_MILLIS = 1500

describe("four processes sharing one limiter", () => {
  let server: RedisServer
  let outcomes: ReadonlyArray<Record<string, Result>>

  beforeAll(async () => {
    server = await startServer()
    const workers = Array.from({ length: 4 }, () => spawnWorker(server.url, RUN_MILLIS))
    await Promise.all(workers.map((w) => w.ready))
    for (const w of workers) w.go()
    outcomes = await Promise.all(workers.map((w) => w.done))
  }, 120_000)

  afterAll(async () => {
    await server?.stop()
  })

  it.each(["fixed-window", "sliding-window", "token-bucket"])("%s: never more than the bound", (algorithm) => {
    const results = outcomes.map((o) => o[algorithm])
    const admissions = results.flatMap((r) => r.admissions)
    const first = Math.min(...admissions.map(([before]) => before))
    const last = Math.max(...admissions.map(([, after]) => after))
    const span = last - first
    // every process was refused some of the time: they really competed
    for (const r of results) expect(r.denied).toBeGreaterThan(0)
    if (algorithm === "fixed-window") {
      // per aligned window: count the admissions known to fall in it (the call began and ended in it)
      const perWindow = new Map<number, number>()
      for (const [before, after] of admissions) {
        const window = Math.floor(before / INTERVAL)
        if (Math.floor(after / INTERVAL) === window) perWindow.set(window, (perWindow.get(window) ?? 0) + 1)
      }
      for (const count of perWindow.values()) expect(count).toBeLessThanOrEqual(LIMIT)
      expect(admissions.length).toBeLessThanOrEqual(
        LIMIT * (Math.floor(last / INTERVAL) - Math.floor(first / INTERVAL) + 1)
      )
    } else if (algorithm === "sliding-window") {
      // any INTERVAL-long span holds at most LIMIT: so at most LIMIT per started span
      expect(admissions.length).toBeLessThanOrEqual(LIMIT * Math.ceil((span + 1) / INTERVAL))
      // admissions that certainly fell within one INTERVAL-long span (sorted by start)
      const sorted = admissions.slice().sort((x, y) => x[0] - y[0])
      for (let i = 0; i < sorted.length; i++) {
        let j = i
        while (j + 1 < sorted.length && sorted[j + 1][1] < sorted[i][0] + INTERVAL) j++
        expect(j - i + 1).toBeLessThanOrEqual(LIMIT)
      }
    } else {
      // burst plus the refill over the span
      expect(admissions.length).toBeLessThanOrEqual(LIMIT + Math.ceil((LIMIT * span) / INTERVAL))
    }
    // and it admitted close to the bound: it limits, it does not starve
    expect(admissions.length).toBeGreaterThanOrEqual(LIMIT * Math.floor(span / INTERVAL) * 0.5)
  })
})
