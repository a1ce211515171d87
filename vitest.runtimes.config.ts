import { defineConfig } from "vitest/config";

// npm run test:runtimes: the packed package in real runtimes (Node ESM/CJS, Chromium page and
// Web Worker, Deno, Bun, workerd, edge-runtime), the size budget, training in worker_threads and
// the demo page. Needs dist/ built and Chromium installed; a missing runtime fails, never skips.
export default defineConfig({
  test: {
    include: ["test/runtimes/**/*.test.ts"],
    globalSetup: ["test/runtimes/setup.ts"],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // two shared cores: one file at a time
    fileParallelism: false,
  },
});
