import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // the packed package in real runtimes: npm run test:runtimes (vitest.runtimes.config.ts)
    exclude: ["test/runtimes/**", "**/node_modules/**"],
    // builds build/*.wasm and src/generated/ when missing or older than assembly/
    globalSetup: ["test/setup/build-wasm.ts"],
    setupFiles: ["test/setup/entries.ts"],
    testTimeout: 60_000,
  },
});
