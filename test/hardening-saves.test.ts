/**
 * Saves are atomic: a process killed (SIGKILL) while it writes a file leaves the previous file whole
 * or the new one whole, never a torn mix. A child process writes 8 MB files in a loop and is killed
 * at varying moments; the same kills against an in-place write (writeFileSync, O_TRUNC) show that the
 * test can see a torn file.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileAtomic } from "../src/cli/files.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const SIZE = 8 << 20;
let dir = "";
let child = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bptt-saves-"));
  child = join(dir, "save-child.mjs");
  buildSync({ entryPoints: [join(root, "test/helpers/save-child.ts")], outfile: child, bundle: true, format: "esm", platform: "node", target: "es2022", logLevel: "warning" });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Start the writer, wait for its first complete file, let it write for `ms` more, kill it; the file's state. */
function killDuringSaves(path: string, mode: "atomic" | "in-place", ms: number): Promise<"whole" | "torn"> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, path, String(SIZE), mode], { stdio: ["ignore", "pipe", "inherit"] });
    proc.stdout.once("data", () => setTimeout(() => proc.kill("SIGKILL"), ms));
    proc.on("error", reject);
    proc.on("exit", () => {
      const bytes = readFileSync(path);
      const whole = bytes.length === SIZE && (bytes.every((b) => b === 1) || bytes.every((b) => b === 2));
      resolve(whole ? "whole" : "torn");
    });
  });
}

describe("writeFileAtomic", () => {
  it("a SIGKILL at any moment of a save leaves a whole file (old or new); in place, the same kills tear it", async () => {
    const delays = [5, 23, 61];
    const atomic: string[] = [], inPlace: string[] = [];
    for (const ms of delays) {
      atomic.push(await killDuringSaves(join(dir, `atomic-${ms}.bin`), "atomic", ms));
      inPlace.push(await killDuringSaves(join(dir, `in-place-${ms}.bin`), "in-place", ms));
    }
    expect(atomic).toEqual(delays.map(() => "whole"));
    expect(inPlace).toContain("torn");
  }, 60_000);

  it("writes the bytes, replaces an existing file, and leaves no temporary file", () => {
    const path = join(dir, "plain.bin");
    writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    writeFileAtomic(path, new Uint8Array([4, 5]));
    expect([...readFileSync(path)]).toEqual([4, 5]);
    expect(readdirSync(dir).filter((f) => f.includes("plain.bin"))).toEqual(["plain.bin"]);
  });

  it("a write into a missing directory throws ENOENT and leaves nothing behind", () => {
    expect(() => writeFileAtomic(join(dir, "missing", "x.bin"), new Uint8Array(1))).toThrow(/ENOENT/);
  });
});
