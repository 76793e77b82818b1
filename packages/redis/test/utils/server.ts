/**
 * A `redis-server` of the test's own on a free loopback port, persistence off; stopped (or
 * killed and restarted, for outage tests) by the test.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as net from "node:net"

/** A free loopback port: bind port 0, read it, release it. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** kills the server at once (SIGKILL), as a crash would */
  readonly kill: () => Promise<void>
  /** starts it again on the same port */
  readonly restart: () => Promise<void>
  readonly stop: () => Promise<void>
}

const launch = (port: number): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn("redis-server", [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no"
    ], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes("Ready to accept connections")) {
        child.stdout!.off("data", onData)
        child.stdout!.resume()
        resolve(child)
      }
    }
    child.stdout!.on("data", onData)
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}): ${output}`)))
  })

const exited = (child: ChildProcess, signal: NodeJS.Signals): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill(signal)
  })

/**
 * A server the user runs, from `REDIS_URL` (loopback only; flushed once by the global setup):
 * used when set, and then the tests that kill and restart a server are skipped.
 */
export const external: string | undefined = process.env.REDIS_URL

export const startServer = async (): Promise<RedisServer> => {
  if (external !== undefined) {
    const unsupported = () => Promise.reject(new Error("cannot kill or restart the server at REDIS_URL"))
    return {
      port: Number(new URL(external).port),
      url: external,
      kill: unsupported,
      restart: unsupported,
      stop: async () => {}
    }
  }
  const port = await freePort()
  let child = await launch(port)
  // a run that ends without stopping it (a failed hook, a killed worker) leaves no server behind
  process.once("exit", () => child.kill("SIGKILL"))
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => exited(child, "SIGKILL"),
    restart: async () => {
      child = await launch(port)
    },
    stop: () => exited(child, "SIGTERM")
  }
}
