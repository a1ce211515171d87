/**
 * The process the kill-during-save test kills (bundled by esbuild and run by `node`): it writes
 * `path` over and over, alternately filled with the bytes 1 and 2 (`size` bytes each), atomically or,
 * for comparison, in place as writeFileSync does, and prints "ready" once the first write is done.
 *
 *   node save-child.mjs <path> <size> atomic|in-place
 */
import { writeFileSync } from "node:fs";
import { writeFileAtomic } from "../../src/cli/files.js";

const [path, size, mode] = process.argv.slice(2);
const buffers = [new Uint8Array(Number(size)).fill(1), new Uint8Array(Number(size)).fill(2)];
for (let k = 0; ; k++) {
  if (mode === "atomic") writeFileAtomic(path, buffers[k & 1]);
  else writeFileSync(path, buffers[k & 1]);
  if (k === 0) process.stdout.write("ready\n");
}
