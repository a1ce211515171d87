/**
 * `bptt train --resume` is exact around the first validation check: a run stopped (--stop-at) before,
 * at or after the first check and resumed ends in the same trainer state — weights, optimizer state,
 * data position and the plateau schedule of the learning rate — as a run that never stopped. Before,
 * a best loss of Infinity was saved as JSON null and the resumed run halved its learning rate at every check.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeSafetensors } from "../src/io.js";
import { train } from "../src/cli/train.js";

const dir = mkdtempSync(join(tmpdir(), "bptt-resume-cli-"));
const common = ["--hidden", "8", "--batch", "4", "--steps", "40", "--eval-steps", "10", "--seconds", "600", "--samples", "0", "--backend", "js"];

function run(argv: string[]): string {
  const lines: string[] = [];
  train([...common, ...argv], (line) => lines.push(line));
  return lines.join("\n");
}

/** Every tensor's bit pattern, and the data position (with the plateau state). */
function checkpointState(path: string): { tensors: Record<string, number[]>; data: unknown } {
  const file = decodeSafetensors(readFileSync(path));
  const tensors: Record<string, number[]> = {};
  for (const [name, t] of file.tensors) tensors[name] = [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)];
  return { tensors, data: JSON.parse(file.metadata.data) };
}

describe("bptt train --resume around the first validation check", () => {
  const straight = join(dir, "straight.ckpt");
  it.each([5, 9, 10, 11, 25])("stopped at step %i and resumed = never stopped, bit for bit", (stopAt) => {
    try {
      readFileSync(straight);
    } catch {
      run(["--checkpoint", straight, "--out", join(dir, "straight.safetensors")]);
    }
    const ckpt = join(dir, `stop-${stopAt}.ckpt`);
    run(["--stop-at", String(stopAt), "--checkpoint", ckpt, "--out", join(dir, `first-${stopAt}.safetensors`)]);
    const log = run(["--resume", "--checkpoint", ckpt, "--out", join(dir, `resumed-${stopAt}.safetensors`)]);
    expect(log).toContain(`resumed ${ckpt} at step ${stopAt}`);
    const resumed = checkpointState(ckpt), expected = checkpointState(straight);
    expect(resumed.data).toEqual(expected.data);
    expect(Object.keys(resumed.tensors)).toEqual(Object.keys(expected.tensors));
    for (const name of Object.keys(expected.tensors)) expect(resumed.tensors[name], name).toEqual(expected.tensors[name]);
  });
});

describe("bptt train --resume keeps early stopping's best weights", () => {
  it("stopped after the best check and resumed writes the model a straight run writes, byte for byte", () => {
    // Adam at 0.3 overshoots: the best of the checks every 5 steps is step 15 of 40, before the stop at 25
    const flags = ["--lr", "0.3", "--eval-steps", "5", "--patience", "0", "--schedule", "constant"];
    const straightOut = join(dir, "best-straight.safetensors");
    const log = run([...flags, "--out", straightOut]);
    expect(log).toMatch(/best [\d.]+ nats \([\d.]+ bits\) at step 15 of 40/);
    const ckpt = join(dir, "best.ckpt"), resumedOut = join(dir, "best-resumed.safetensors");
    run([...flags, "--stop-at", "25", "--checkpoint", ckpt, "--out", join(dir, "best-first.safetensors")]);
    const resumedLog = run([...flags, "--resume", "--checkpoint", ckpt, "--out", resumedOut]);
    expect(resumedLog).toMatch(/at step 15 of 40/);
    expect(readFileSync(resumedOut).equals(readFileSync(straightOut)), "the resumed run's model file").toBe(true);
  });
});
