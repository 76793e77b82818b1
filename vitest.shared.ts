import { defaultServerConditions } from "vite"
import type { ViteUserConfig } from "vitest/config"

// Workspace packages resolve to their TypeScript sources through this export condition (see the
// "exports" of packages/*/package.json), so tests never need a build. Tests run in Vite's SSR
// environment, whose default conditions are replaced when given some: hence the defaults too.
const config: ViteUserConfig = {
  ssr: { resolve: { conditions: ["@effect-resilience/source", ...defaultServerConditions] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000
  }
}

export default config
