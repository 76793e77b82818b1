import { defineWorkspace } from "vitest/config"

// Every package with tests is one project; each reads vitest.shared.ts through its own vitest.config.ts.
export default defineWorkspace(["packages/*/vitest.config.ts"])
