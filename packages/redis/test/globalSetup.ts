/**
 * Makes sure the tests can start a `redis-server` (Debian's 7.0 in CI): installs it with
 * `apt-get` when it is missing and we may (root), otherwise fails with one line saying what to
 * do. With `REDIS_URL` set, the tests use that server instead (loopback only: it is flushed
 * here, once) and nothing is installed.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { createClient } from "redis"

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"])

const has = (command: string): boolean => spawnSync("sh", ["-c", `command -v ${command}`]).status === 0

export default async function setup(): Promise<void> {
  const url = process.env.REDIS_URL
  if (url !== undefined) {
    if (!LOOPBACK.has(new URL(url).hostname)) throw new Error(`REDIS_URL must be a loopback server, not ${url}`)
    const client = await createClient({ url }).connect()
    await client.flushAll()
    await client.close()
    return
  }
  if (has("redis-server")) return
  if (process.getuid?.() === 0 && has("apt-get")) {
    execFileSync("sh", [
      "-c",
      "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server"
    ], {
      stdio: "inherit"
    })
    // the tests start their own servers: the packaged service must not run
    spawnSync("sh", ["-c", "systemctl disable --now redis-server >/dev/null 2>&1 || true"])
    if (has("redis-server")) return
  }
  throw new Error(
    "redis-server is not installed: install it (`sudo apt-get install redis-server`) or set REDIS_URL=redis://127.0.0.1:<port> to a running server"
  )
}
