// Builds the package into dist/:
//   dist/index.js     ESM library, minified (+ .map), the release Wasm embedded as base64 (no configuration, no file access)
//   dist/index.cjs    the same for require()
//   dist/core.js      the same API with no Wasm embedded: call init(module | bytes) first (Cloudflare Workers, Vercel Edge)
//   dist/worker.js    the `workerd` condition: core.js plus `import module from "./bptt.wasm"` handed to init()
//   dist/train-worker.js  bptt/worker: train in a Web Worker or worker_threads, with progress and cancellation
//   dist/cli.js       the `bptt` command (Node), with the bundled names data inlined
//   dist/bptt.wasm    the release module, for hosts that hand in a precompiled WebAssembly.Module
//   dist/types/       .d.ts declarations
//
//   node scripts/build.mjs          (npm run build)
import * as esbuild from "esbuild";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
execFileSync(process.execPath, ["scripts/build-wasm.mjs"], { stdio: "inherit" });

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist", { recursive: true });
// es2022: esbuild's default target would emit Uint8Array.fromBase64, which Node 20 lacks
const common = { bundle: true, target: "es2022", logLevel: "warning", legalComments: "none" };
const library = { ...common, platform: "neutral", minify: true, sourcemap: true };

/** Resolves the embedded base64 module to an empty string: for the builds that load the Wasm as a file. */
const noEmbed = {
  name: "no-embedded-wasm",
  setup(build) {
    build.onResolve({ filter: /generated\/wasm-release\.js$/ }, () => ({ path: "wasm-release", namespace: "no-embed" }));
    build.onLoad({ filter: /.*/, namespace: "no-embed" }, () => ({ contents: "export const releaseWasmBase64 = \"\";", loader: "js" }));
  },
};

await esbuild.build({ ...library, entryPoints: ["src/index.ts"], outfile: "dist/index.js", format: "esm" });
await esbuild.build({ ...library, entryPoints: ["src/index.ts"], outfile: "dist/index.cjs", format: "cjs", sourcemap: false });
await esbuild.build({ ...library, entryPoints: ["src/index.ts"], outfile: "dist/core.js", format: "esm", plugins: [noEmbed] });
// bptt/worker imports the library from its sibling ./index.js (the same module instance as the page's
// `import "bptt"`, sharing what init() prepared), so it adds only itself
await esbuild.build({ ...library, entryPoints: ["src/worker/index.ts"], outfile: "dist/train-worker.js", format: "esm",
  plugins: [{ name: "library-sibling", setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: "./index.js", external: true }));
  } }] });
writeFileSync("dist/worker.js",
  "// The workerd entry: Cloudflare Workers forbid compiling Wasm from bytes, so the module is imported\n" +
  "// as a module binding (a WebAssembly.Module) and adopted by init() before any model is made.\n" +
  "import wasmModule from \"./bptt.wasm\";\n" +
  "import { init } from \"./core.js\";\n" +
  "init(wasmModule);\n" +
  "export * from \"./core.js\";\n");
await esbuild.build({
  ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.js", format: "esm", platform: "node",
  banner: { js: "#!/usr/bin/env node" },
});
copyFileSync("build/bptt.release.wasm", "dist/bptt.wasm");
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
// declarations of the embedded base64 modules are the modules again as literal types (50 kB), and nothing public uses them
rmSync("dist/types/generated", { recursive: true, force: true });
console.log("build: dist/index.js, dist/index.cjs, dist/core.js, dist/worker.js, dist/train-worker.js, dist/cli.js, dist/bptt.wasm, dist/types/");
