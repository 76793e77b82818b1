/**
 * Makes sure the tests can start a `redis-server` (Debian's 7.0 in CI): installs it with
 * `apt-get` when it is missing and we may (root), otherwise fails with one line saying what to
 * do. With `REDIS_URL` set (a loopback server) nothing is installed.
 */
import { execFileSync, spawnSync } from "node:child_process"

const has = (command: string): boolean => spawnSync("sh", ["-c", `command -v ${command}`]).status === 0

export default function setup(): void {
  if (process.env.REDIS_URL !== undefined || has("redis-server")) return
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
