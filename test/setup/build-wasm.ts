import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Newest modification time of the files under `dir` (recursively). */
function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

/**
 * Vitest global setup: rebuild the Wasm modules (and the embedded copy of the release module) when any is
 * missing or older than a kernel source, the asconfig or the build script, so that
 * `npx vitest run` always tests the current kernels.
 */
export default function setup(): void {
  const outputs = ["build/bptt.release.wasm", "build/bptt.debug.wasm", "build/bptt.threads.wasm", "src/generated/wasm-release.ts", "src/generated/wasm-threads.ts",
    "build/bptt.relaxed.wasm", "src/generated/wasm-relaxed.ts", "src/generated/wasm-relaxed-threads.ts"]
    .map((f) => join(root, f));
  const sources = Math.max(newest(join(root, "assembly")), statSync(join(root, "asconfig.json")).mtimeMs,
    statSync(join(root, "scripts/build-wasm.mjs")).mtimeMs);
  const stale = outputs.some((f) => !existsSync(f) || statSync(f).mtimeMs < sources);
  if (stale) execFileSync(process.execPath, [join(root, "scripts/build-wasm.mjs")], { cwd: root, stdio: "inherit" });
}
