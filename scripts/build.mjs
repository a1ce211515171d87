// Builds the package into dist/:
//   dist/index.js     the main entry `bptt` (ESM, minified + .map): the release Wasm embedded (no configuration, no file access)
//   dist/core.js      `bptt/core`: the same API with no Wasm embedded: call init(module | bytes) first (Vercel Edge, hosts without compile from bytes)
//   dist/io.js        `bptt/io`: safetensors, model files, checkpoints (dist/io-lib.js, after the main entry;
//                     dist/io.workerd.js after the workerd entry)
//   dist/js.js        `bptt/js`: the pure-TypeScript backend (importing it makes backend "js" available)
//   dist/gradcheck.js `bptt/gradcheck`: finite-difference gradient checks
//   dist/threads.js   `bptt/threads`: the threaded Wasm build embedded, and its thread pool; the main entry
//                     imports it dynamically when init({ threads }) asks for more than one thread
//   dist/relaxed.js   `bptt/relaxed`: the relaxed-SIMD builds (one-threaded and threaded) embedded; the main
//                     entry imports it dynamically when init({ relaxedSimd: true }) asks for it
//   dist/train.js     `bptt/train`: fit, evaluate, learning-rate schedules, data helpers
//   dist/train-worker.js  `bptt/worker`: train in a Web Worker or worker_threads, with progress and cancellation
//                     (the ESM entries share one copy of the library in dist/core.js: scripts/esm-entries.mjs)
//   dist/worker-client.js `bptt/worker/client`: trainInWorker alone, for the page's main thread; bundled apart,
//                     with no part of the library but the error type (which instanceof recognises across copies)
//   dist/worker.js    the `workerd` condition of `bptt`: core.js plus `import module from "./bptt.wasm"` handed to init()
//   dist/bptt.cjs     the CommonJS library, one bundle behind dist/{index,io,js,gradcheck,train}.cjs (require)
//   dist/cli.js       the `bptt` command (Node), with the bundled names data inlined
//   dist/bptt.wasm    the release module, for hosts that hand in a precompiled WebAssembly.Module
//   dist/types/       .d.ts declarations
//
//   node scripts/build.mjs          (npm run build)
import * as esbuild from "esbuild";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { entryFiles } from "./entry-files.mjs";
import { buildEsmEntries } from "./esm-entries.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
execFileSync(process.execPath, ["scripts/build-wasm.mjs"], { stdio: "inherit" });

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist", { recursive: true });
// es2022: esbuild's default target would emit Uint8Array.fromBase64, which Node 20 lacks.
// charset utf8: the embedded module is one character per byte; escaping every non-ASCII one would double it
const common = { bundle: true, target: "es2022", logLevel: "warning", legalComments: "none", charset: "utf8" };
// node:* modules are imported dynamically, only under Node (the thread pool's workers, the host's cores);
// lineLimit: an uncaught error prints its source line; one minified line would be the whole bundle (18–41 kB)
const library = { ...common, platform: "neutral", minify: true, external: ["node:*"], lineLimit: 500 };

await buildEsmEntries(root, library, {
  index: "src/index.ts", "io-lib": "src/io.ts", js: "src/js.ts", gradcheck: "src/gradcheck.ts", train: "src/train.ts", "train-worker": "src/worker/index.ts",
  threads: "src/threads.ts", relaxed: "src/relaxed.ts",
});
// bptt/io creates models (loadModel, loadCheckpoint), so it brings the Wasm with it, as `bptt` does: the
// embedded module by default, the module binding under workerd (a page importing only bptt/io works)
writeFileSync("dist/io.js", "// bptt/io: the main entry (the embedded Wasm), then the file formats\nimport \"./index.js\";\nexport * from \"./io-lib.js\";\n");
writeFileSync("dist/io.workerd.js", "// bptt/io under workerd: the workerd entry (the .wasm module binding), then the file formats\nimport \"./worker.js\";\nexport * from \"./io-lib.js\";\n");
await esbuild.build({ ...library, entryPoints: ["src/cjs.ts"], outfile: "dist/bptt.cjs", format: "cjs" });
writeFileSync("dist/index.cjs", "// require(\"bptt\")\nmodule.exports = require(\"./bptt.cjs\").main;\n");
writeFileSync("dist/io.cjs", "// require(\"bptt/io\")\nmodule.exports = require(\"./bptt.cjs\").io;\n");
writeFileSync("dist/gradcheck.cjs", "// require(\"bptt/gradcheck\")\nmodule.exports = require(\"./bptt.cjs\").gradcheck;\n");
writeFileSync("dist/train.cjs", "// require(\"bptt/train\")\nmodule.exports = require(\"./bptt.cjs\").train;\n");
writeFileSync("dist/js.cjs",
  "// require(\"bptt/js\"): makes backend \"js\" available, as importing bptt/js does\n" +
  "const { js } = require(\"./bptt.cjs\");\njs.provide();\nmodule.exports = { JsBackend: js.JsBackend };\n");
writeFileSync("dist/worker.js",
  "// The workerd entry: Cloudflare Workers forbid compiling Wasm from bytes, so the module is imported\n" +
  "// as a module binding (a WebAssembly.Module) and adopted by init() before any model is made.\n" +
  "import wasmModule from \"./bptt.wasm\";\n" +
  "import { init } from \"./core.js\";\n" +
  "init(wasmModule);\n" +
  "export * from \"./core.js\";\n");
await esbuild.build({ ...library, entryPoints: ["src/worker/client.ts"], outfile: "dist/worker-client.js", format: "esm" });
await esbuild.build({
  ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.js", format: "esm", platform: "node",
  banner: { js: "#!/usr/bin/env node" },
});
copyFileSync("build/bptt.release.wasm", "dist/bptt.wasm");
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
// the declaration of the embedded module is the module again as a literal type, and nothing public uses it
rmSync("dist/types/generated", { recursive: true, force: true });
const mainFiles = entryFiles("dist", "index.js");
const mainBytes = mainFiles.reduce((n, f) => n + statSync(join("dist", f)).size, 0);
console.log(`build: dist/ — the main entry is ${mainFiles.join(" + ")}: ${mainBytes} B with the embedded Wasm (test/runtimes/size.test.ts checks the budget)`);
