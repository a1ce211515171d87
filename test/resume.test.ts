/**
 * Checkpoints and exact resume.
 *
 * Exact resume: for every optimizer, on lines (random examples: the sampler's PRNG state matters)
 * and on running text (stream cursors and the carried hidden state matter), with clipping, both
 * reductions and a learning-rate schedule, on the js and the Wasm (release) backend:
 *   A: train N + M steps without stopping;
 *   B: train N steps, saveCheckpoint to a file, then in a FRESH `node` process (test/helpers/
 *      resume-child.ts, bundled by esbuild) loadCheckpoint, restore the data source and train M steps.
 * The M losses and the final weights of B must equal A's bit for bit (same backend, same code, same
 * data: nothing may be lost or rounded on the way through the file).
 *
 * Robustness: every truncation and every single-bit flip of a checkpoint is a BpttError "FORMAT"
 * (the CRC-32 in the metadata catches what the safetensors structure does not), never a trainer.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BpttError, Random, Trainer } from "../src/index.js";
import { loadCheckpoint, saveCheckpoint, saveModel } from "../src/io.js";
import { train as trainCommand } from "../src/cli/train.js";
import { modelOn } from "./helpers/models.js";
import { modelOptions, resumeJobs, schedule, sourceFor, train, weightBits } from "./helpers/resume-task.js";

const N = 5, M = 4;
const root = fileURLToPath(new URL("..", import.meta.url));
let dir = "";
let child = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bptt-resume-"));
  child = join(dir, "resume-child.mjs");
  buildSync({
    entryPoints: [join(root, "test/helpers/resume-child.ts")], outfile: child, bundle: true, format: "esm",
    platform: "node", target: "es2022", logLevel: "warning",
  });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(["js", "wasm-release"] as const)("exact resume on %s", (kind) => {
  it(`every optimizer, lines and text: ${N} steps, checkpoint, a fresh process, ${M} more = ${N + M} steps without stopping, bit for bit`, () => {
    const continuous = resumeJobs.map((job) => {
      const model = modelOn(kind, modelOptions(job.data, job.cell));
      const losses = train(new Trainer(model, { ...job.options, schedule }), sourceFor(job.data), N + M);
      const weights = weightBits(model);
      model.dispose();
      return { losses, weights };
    });
    const childJobs = resumeJobs.map((job, index) => {
      const model = modelOn(kind, modelOptions(job.data, job.cell));
      const trainer = new Trainer(model, { ...job.options, schedule });
      const source = sourceFor(job.data);
      const losses = train(trainer, source, N);
      expect(losses, job.name).toEqual(continuous[index].losses.slice(0, N));
      const checkpoint = join(dir, `${kind}-${index}.safetensors`);
      writeFileSync(checkpoint, saveCheckpoint(trainer, { data: source.position(), random: source.random }));
      model.dispose();
      const wasm = kind === "js" ? undefined : join(root, "build/bptt.release.wasm");
      return { job: index, checkpoint, backend: kind === "js" ? "js" : "wasm", wasm, steps: M };
    });
    const jobsFile = join(dir, `${kind}-jobs.json`);
    writeFileSync(jobsFile, JSON.stringify(childJobs));
    const resumed = JSON.parse(execFileSync(process.execPath, [child, jobsFile], { encoding: "utf8" })) as
      { stepCountAtLoad: number; losses: number[]; weights: Record<string, number[]>; backend: string }[];
    expect(resumed.length).toBe(resumeJobs.length);
    resumeJobs.forEach((job, index) => {
      const r = resumed[index];
      expect(r.backend, job.name).toBe(kind === "js" ? "js" : "wasm");
      expect(r.stepCountAtLoad, job.name).toBe(N);
      expect(r.losses, `${job.name}: losses of steps ${N + 1}–${N + M}`).toEqual(continuous[index].losses.slice(N));
      for (const [name, bits] of Object.entries(continuous[index].weights)) expect(r.weights[name], `${job.name}: ${name}`).toEqual(bits);
    });
  });
});

describe("checkpoint files", () => {
  /** A small trained Adam (amsgrad) trainer with a carried state, its checkpoint, and its data position and PRNG. */
  function trained() {
    const model = modelOn("js", { inputSize: 4, hiddenSize: 3, numLayers: 2, seed: 1 });
    const trainer = new Trainer(model, { optimizer: "adam", amsgrad: true, clipNorm: 1, schedule });
    const rng = new Random(3);
    const batch = () => ({ batchSize: 2, seqLen: 3, inputs: Array.from({ length: 6 }, () => rng.int(4)), targets: Array.from({ length: 6 }, () => rng.int(4)) });
    for (let s = 0; s < 3; s++) trainer.step(batch(), { carryState: true });
    const bytes = saveCheckpoint(trainer, { data: { epoch: 2, cursor: [5, 9] }, random: rng });
    return { model, trainer, rng, bytes };
  }

  it("round-trips: the metadata, the step, the data position, the PRNG state, and the same bytes when saved again", () => {
    const { model, trainer, rng, bytes } = trained();
    const loaded = loadCheckpoint(bytes, { backend: "js", schedule });
    expect(loaded.trainer.stepCount).toBe(3);
    expect(loaded.data).toEqual({ epoch: 2, cursor: [5, 9] });
    expect(loaded.random!.getState()).toEqual(rng.getState());
    expect(loaded.trainer.options).toEqual(trainer.options);
    expect(loaded.model.config).toEqual(model.config);
    expect(saveCheckpoint(loaded.trainer, { data: loaded.data, random: loaded.random })).toEqual(bytes);
    loaded.model.dispose();
    model.dispose();
  });

  it("every truncation is a FORMAT error", () => {
    const { model, bytes } = trained();
    for (let length = 0; length < bytes.length; length++) {
      const error = thrown(() => loadCheckpoint(bytes.subarray(0, length), { backend: "js", schedule }));
      if (!(error instanceof BpttError) || error.code !== "FORMAT") expect.fail(`truncated to ${length} bytes: ${String(error)}`);
    }
    model.dispose();
  });

  it("every single-bit flip is a FORMAT error (structure, metadata or the CRC-32 over every tensor)", () => {
    const { model, bytes } = trained();
    const copy = bytes.slice();
    for (let i = 0; i < bytes.length; i++) {
      const bit = 1 << (i % 8);
      copy[i] ^= bit;
      const error = thrown(() => loadCheckpoint(copy, { backend: "js", schedule }));
      copy[i] ^= bit;
      if (!(error instanceof BpttError) || error.code !== "FORMAT") expect.fail(`bit ${i % 8} of byte ${i} flipped: ${String(error)}`);
    }
    model.dispose();
  });

  it("refuses a model file, asks for the schedule it was trained with, and validates its options", () => {
    const { model, trainer, bytes } = trained();
    const notCheckpoint = thrown(() => loadCheckpoint(saveModel(model), { backend: "js" }));
    expect(notCheckpoint).toBeInstanceOf(BpttError);
    expect((notCheckpoint as BpttError).code).toBe("FORMAT");
    expect((notCheckpoint as BpttError).message).toMatch(/a checkpoint has "bptt-checkpoint" \(use loadModel for a model file\)/);
    const noSchedule = thrown(() => loadCheckpoint(bytes, { backend: "js" }));
    expect((noSchedule as BpttError).code).toBe("INVALID_ARGUMENT");
    expect((noSchedule as BpttError).message).toMatch(/trained with a learning-rate schedule.*pass the same function as options\.schedule/);
    expect((thrown(() => saveCheckpoint(trainer, { data: () => 1 })) as BpttError).message).toMatch(/^options\.data must be JSON-serialisable/);
    expect((thrown(() => saveCheckpoint({} as Trainer)) as BpttError).code).toBe("INVALID_ARGUMENT");
    model.dispose();
  });
});

describe("bptt train --checkpoint / --resume", () => {
  it.each([
    ["lines", "sgd", "js"],
    ["text", "adam", "wasm"],
    ["text", "rmsprop", "js"],
  ] as const)("%s, %s on %s: --steps 7 --stop-at 3, then --resume, writes the same model as 7 steps at once", (format, optimizer, backend) => {
    const corpus = join(dir, `corpus-${format}.txt`);
    writeFileSync(corpus, "ada\nbob\ncarla\ndave\neve\nfrank\ngrace\nheidi\nivan\njudy\nmallory\noscar\npeggy\ntrent\nvictor\nwalter\n".repeat(3));
    const common = [corpus, "--format", format, "--hidden", "8", "--batch", "3", "--seq-len", "9", "--samples", "0", "--optimizer", optimizer, "--backend", backend, "--seconds", "600"];
    const log: string[] = [];
    const run = (name: string, extra: string[]) => {
      trainCommand([...common, "--out", join(dir, `${name}.safetensors`), ...extra], (line) => log.push(line));
      return readFileSync(join(dir, `${name}.safetensors`));
    };
    const whole = run(`whole-${format}-${optimizer}`, ["--steps", "7"]);
    const checkpoint = join(dir, `cli-${format}-${optimizer}.ckpt`);
    run(`first-${format}-${optimizer}`, ["--steps", "7", "--stop-at", "3", "--checkpoint", checkpoint]);
    const resumed = run(`resumed-${format}-${optimizer}`, ["--steps", "7", "--checkpoint", checkpoint, "--resume"]);
    expect(log.some((line) => line.startsWith(`resumed ${checkpoint} at step 3 (${optimizer},`))).toBe(true);
    expect(log.some((line) => line.startsWith("trained 4 steps (7 in all)"))).toBe(true);
    expect(resumed.equals(whole)).toBe(true); // weights and held-out loss in the metadata, byte for byte
  });

  it("--resume without --checkpoint, or on other data, is an error", () => {
    const corpus = join(dir, "other.txt");
    writeFileSync(corpus, "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven\ntwelve\n".repeat(2));
    expect(() => trainCommand([corpus, "--resume", "--steps", "1"], () => {})).toThrow(/^--resume needs --checkpoint <file>/);
    const checkpoint = join(dir, "cli-other.ckpt"), first = join(dir, "first.txt");
    writeFileSync(first, "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\ntheta\niota\nkappa\nlambda\nmu\n".repeat(2));
    trainCommand([first, "--steps", "1", "--hidden", "4", "--backend", "js", "--samples", "0", "--out", join(dir, "other.safetensors"), "--checkpoint", checkpoint], () => {});
    expect(() => trainCommand([corpus, "--resume", "--checkpoint", checkpoint, "--steps", "9", "--hidden", "4", "--backend", "js", "--samples", "0"], () => {}))
      .toThrow(/was not written by bptt train on this data/);
  });
});

function thrown(f: () => unknown): unknown {
  try {
    const value = f();
    return new Error(`no error; returned ${typeof value}`);
  } catch (error) {
    return error;
  }
}
