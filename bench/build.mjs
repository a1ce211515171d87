// Bundles bench/run.ts (and the library sources it imports) into build/bench.mjs, and
// bench/profile.ts into build/profile.mjs, for plain node. TensorFlow.js stays external: it is
// loaded from node_modules at run time (its wasm backend finds its .wasm files next to itself).
//   node bench/build.mjs       (part of npm run bench)
//   node build/profile.mjs W1 wasm     (per-kernel time shares of one workload)
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
for (const [entry, out] of [["run.ts", "bench.mjs"], ["profile.ts", "profile.mjs"], ["compare-builds.ts", "compare-builds.mjs"], ["gemm.ts", "gemm.mjs"], ["thread-scaling.ts", "thread-scaling.mjs"]]) await build({
  entryPoints: [join(root, "bench", entry)],
  outfile: join(root, "build", out),
  external: ["@tensorflow/*"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "es2022",
  sourcemap: "inline",
  logLevel: "warning",
});
