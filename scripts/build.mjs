// Builds the package into dist/:
//   dist/index.js     ESM library, the release Wasm embedded as base64 (no configuration, no file access)
//   dist/index.cjs    the same for require()
//   dist/cli.js       the `bptt` command (Node), with the bundled names data inlined
//   dist/bptt.wasm    the release module, for hosts that hand in a precompiled WebAssembly.Module
//   dist/types/       .d.ts declarations
//
//   node scripts/build.mjs          (npm run build)
import * as esbuild from "esbuild";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
execFileSync(process.execPath, ["scripts/build-wasm.mjs"], { stdio: "inherit" });

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist", { recursive: true });
// es2022: esbuild's default target would emit Uint8Array.fromBase64, which Node 20 lacks
const common = { bundle: true, target: "es2022", logLevel: "warning", legalComments: "none" };
await esbuild.build({ ...common, entryPoints: ["src/index.ts"], outfile: "dist/index.js", format: "esm", platform: "neutral" });
await esbuild.build({ ...common, entryPoints: ["src/index.ts"], outfile: "dist/index.cjs", format: "cjs", platform: "neutral" });
await esbuild.build({
  ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.js", format: "esm", platform: "node",
  banner: { js: "#!/usr/bin/env node" },
});
copyFileSync("build/bptt.release.wasm", "dist/bptt.wasm");
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
console.log("build: dist/index.js, dist/index.cjs, dist/cli.js, dist/bptt.wasm, dist/types/");
