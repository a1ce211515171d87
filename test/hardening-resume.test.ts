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
