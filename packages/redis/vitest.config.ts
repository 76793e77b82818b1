import { defineProject, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: "redis",
      globalSetup: ["./test/globalSetup.ts"],
      // one file at a time: the outage and multi-process tests measure real time
      fileParallelism: false
    }
  })
)
