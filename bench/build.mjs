// Bundles bench/run.ts (and the library sources it imports) into build/bench.mjs for plain node.
//   node bench/build.mjs       (part of npm run bench)
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
await build({
  entryPoints: [join(root, "bench", "run.ts")],
  outfile: join(root, "build", "bench.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "es2022",
  sourcemap: "inline",
  logLevel: "warning",
});
