/**
 * The `bptt` command as a process (src/cli/main.ts bundled by esbuild, run by `node`):
 * - errors are one line on stderr: a BpttError, a missing file (no ENOENT stack trace);
 * - Ctrl-C: the first SIGINT ends the current step, saves the checkpoint and the model (both load
 *   back, the checkpoint at the step reached) and exits 130; a second SIGINT ends the process at once.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, loadModel } from "../src/io.js";

const root = fileURLToPath(new URL("..", import.meta.url));
let dir = "";
let cli = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bptt-cli-process-"));
  cli = join(dir, "cli.mjs");
  buildSync({ entryPoints: [join(root, "src/cli/main.ts")], outfile: cli, bundle: true, format: "esm", platform: "node", target: "es2022", logLevel: "warning" });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function bptt(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("bptt as a process", () => {
  it("a bad flag, a missing file and a binary file are one-line errors with exit code 1", () => {
    const binary = join(dir, "binary.bin");
    writeFileSync(binary, Buffer.from([0, 1, 2, 3, 0, 255, 254, 10, 0, 7]));
    const empty = join(dir, "empty.txt");
    writeFileSync(empty, "\n \n");
    const cases: [string[], RegExp][] = [
      [["train", "--hidden", "0"], /^bptt: --hidden must be an integer ≥ 1; got 0\n$/],
      [["train", join(dir, "missing.txt")], /^bptt: cannot read the training text .*missing\.txt: no such file\n$/],
      [["train", dir], /^bptt: cannot read the training text .*: it is a directory\n$/],
      [["sample", join(dir, "missing.safetensors")], /^bptt: cannot read the model .*: no such file\n$/],
      [["train", binary, "--steps", "1"], /^bptt: .*binary\.bin looks like a binary file .*--allow-binary/],
      [["train", empty, "--steps", "1"], /^bptt: the training text .*empty\.txt is empty\n$/],
    ];
    for (const [args, stderr] of cases) {
      const r = bptt(args);
      expect(r.status, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toMatch(stderr);
    }
  });

  it("--resume with different run flags is refused, listing every difference", () => {
    const checkpoint = join(dir, "run.ckpt");
    const common = ["--steps", "2", "--samples", "0", "--backend", "js", "--out", join(dir, "run.safetensors"), "--checkpoint", checkpoint];
    expect(bptt(["train", "--hidden", "8", "--batch", "4", ...common]).status).toBe(0);
    const r = bptt(["train", "--resume", "--hidden", "16", "--batch", "4", "--optimizer", "sgd", "--seed", "2", ...common]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^bptt: --resume continues the run in .*run\.ckpt with the same flags, but this command has --hidden 16 \(the run: 8\), --optimizer "sgd" \(the run: "adam"\), --seed 2 \(the run: 1\)\n$/);
  });

  /** Start a long training run, wait until it trains, send SIGINT `times` times; resolves with its exit and output. */
  function interrupted(times: number, extra: string[]): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [cli, "train", "--steps", "1000000", "--seconds", "600", "--hidden", "8", "--batch", "4", "--backend", "js", ...extra]);
      let stdout = "", stderr = "", sent = 0;
      const send = () => {
        if (sent++ < times) proc.kill("SIGINT");
      };
      proc.stdout.on("data", (chunk) => {
        stdout += chunk;
        if (sent === 0 && stdout.includes("training a ")) setTimeout(send, 300);
      });
      proc.stderr.on("data", (chunk) => {
        stderr += chunk;
        if (stderr.includes("Ctrl-C again")) send();
      });
      proc.on("error", reject);
      proc.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  }

  it("the first Ctrl-C finishes the step, saves the checkpoint and the model, and exits 130", async () => {
    const checkpoint = join(dir, "c.ckpt"), out = join(dir, "m.safetensors");
    const r = await interrupted(1, ["--checkpoint", checkpoint, "--out", out]);
    expect(r.code, r.stderr).toBe(130);
    const step = Number(/interrupted at step (\d+): wrote/.exec(r.stdout)?.[1]);
    expect(step).toBeGreaterThan(0);
    const loaded = loadCheckpoint(readFileSync(checkpoint), { backend: "js", schedule: () => 0 });
    expect(loaded.trainer.stepCount).toBe(step);
    loaded.model.dispose();
    const { model, tokenizer } = loadModel(readFileSync(out), { backend: "js" });
    expect(tokenizer!.vocabSize).toBe(model.config.inputSize);
    model.dispose();
  });

  it("a second Ctrl-C ends the process at once", async () => {
    // a validation set large enough that picking the best weights after the first Ctrl-C takes a while
    const r = await interrupted(2, ["--out", join(dir, "m2.safetensors"), "--validation", "0.5", "--eval-steps", "0"]);
    expect(r.signal, `exit code ${r.code}`).toBe("SIGINT");
    expect(r.stdout).not.toMatch(/samples at temperature/);
  });
});
