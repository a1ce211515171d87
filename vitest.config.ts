import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // builds build/*.wasm and src/generated/ when missing or older than assembly/
    globalSetup: ["test/setup/build-wasm.ts"],
    testTimeout: 60_000,
  },
});
