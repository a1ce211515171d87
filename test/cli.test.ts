/**
 * The command line end to end: `bptt train` on the bundled names beats the count-based bigram
 * baseline on held-out names and writes a model that `bptt sample` and `loadModel` read back.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../src/io.js";
import { sample } from "../src/cli/sample.js";
import { heldOutLoss, train } from "../src/cli/train.js";
import { textCorpus } from "../src/cli/corpus.js";
import { RNN } from "../src/index.js";
import { expectError } from "./helpers/errors.js";

const dir = mkdtempSync(join(tmpdir(), "bptt-cli-"));

function run(command: (argv: string[], log: (line: string) => void) => void, argv: string[]): string[] {
  const lines: string[] = [];
  command(argv, (line) => lines.push(line));
  return lines;
}

describe("bptt train / sample", () => {
  it("trains on the bundled names, beats the bigram baseline on held-out names, and saves a loadable model", () => {
    const out = join(dir, "names.safetensors");
    // 1,500 steps of 32 names (~330k characters): the learning-rate decay follows the step budget, so this is reproducible
    const log = run(train, ["--steps", "1500", "--seconds", "600", "--samples", "5", "--out", out]).join("\n");
    const m = /held-out loss per character: tanh RNN (\d+\.\d+) nats \(\d+\.\d+ bits\)\s+bigram \(add-1\) (\d+\.\d+) nats/.exec(log);
    expect(m, log).not.toBeNull();
    const [rnn, bigram] = [Number(m![1]), Number(m![2])];
    expect(bigram).toBeGreaterThan(2.3); // add-1 bigram on this split: ≈ 2.44 nats
    expect(rnn).toBeLessThan(bigram - 0.15);
    // early stopping on the validation split: the best checkpoint among every 250th step is kept
    expect(log).toMatch(/validation loss per character: best \d\.\d+ nats \(\d\.\d+ bits\) at step (250|500|750|1000|1250|1500)\b/);
    const { model, tokenizer, metadata } = loadModel(readFileSync(out), { backend: "js" });
    expect(tokenizer!.vocabSize).toBe(model.config.inputSize);
    expect(Number(metadata.held_out_loss)).toBeCloseTo(rnn, 4);
    expect(model.parameters().map((p) => p.name)).toEqual(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "head.weight", "head.bias"]);
    model.dispose();

    const samples = run(sample, [out, "--count", "4", "--prompt", "ma", "--seed", "3"]);
    expect(samples).toHaveLength(4);
    for (const name of samples) expect(name).toMatch(/^ma[a-z-]*$/);
    expect(run(sample, [out, "--count", "4", "--prompt", "ma", "--seed", "3"])).toEqual(samples);
  });

  it("--help describes the options; bad options are typed errors", () => {
    expect(run(train, ["--help"]).join("\n")).toMatch(/Usage: bptt train \[file\] \[options\][\s\S]*--hidden/);
    expect(run(sample, ["--help"]).join("\n")).toMatch(/Usage: bptt sample <model\.safetensors>/);
    expectError(() => run(train, ["--hidden", "0", "--steps", "1"]), "INVALID_ARGUMENT", "--hidden must be an integer ≥ 1; got 0");
    expectError(() => run(train, ["--bogus"]), "INVALID_ARGUMENT", "unknown option --bogus");
    expectError(() => run(train, ["--cell", "cnn", "--steps", "1"]), "INVALID_ARGUMENT", '--cell must be "rnn", "lstm" or "gru"; got "cnn"');
    expectError(() => run(train, ["--cell", "gru", "--nonlinearity", "relu", "--steps", "1"]), "INVALID_ARGUMENT", "--nonlinearity is for --cell rnn; --cell gru has fixed gate functions");
    expectError(() => run(sample, []), "INVALID_ARGUMENT", "bptt sample needs exactly one model file; got 0 arguments");
  });

  it("--cell lstm and --cell gru train gated models that sample loads back", () => {
    for (const cell of ["lstm", "gru"] as const) {
      const out = join(dir, `${cell}.safetensors`);
      const log = run(train, ["--cell", cell, "--steps", "30", "--hidden", "16", "--samples", "2", "--out", out]).join("\n");
      expect(log).toContain(`training a 1-layer ${cell.toUpperCase()} (H = 16`);
      const { model } = loadModel(readFileSync(out));
      expect(model.config.cell).toBe(cell);
      model.dispose();
      expect(run(sample, [out, "--count", "2"])).toHaveLength(2);
    }
  });

  it("--format text: beats the bigram on held-out text; held-out and validation text are capped by --max-eval", () => {
    // a running text with structure a bigram cannot see: words from a small lexicon, sentences of a few words
    const words = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "park", "and", "then", "slept", "under", "tree"];
    let text = "", x = 12345;
    while (text.length < 60_000) {
      x = (x * 1103515245 + 12345) >>> 0;
      const sentence = Array.from({ length: 3 + (x >>> 28) % 4 }, (_, i) => words[((x >>> (i * 4)) + i * 7) % words.length]);
      text += sentence.join(" ") + ". ";
    }
    const file = join(dir, "text.txt");
    writeFileSync(file, text);
    const log = run(train, [file, "--format", "text", "--steps", "600", "--seconds", "600", "--batch", "16", "--seq-len", "32", "--max-eval", "4000", "--validation", "0.2",
      "--samples", "1", "--out", join(dir, "text.safetensors")]).join("\n");
    const m = /held-out loss per character: tanh RNN (\d+\.\d+) nats \(\d+\.\d+ bits\)\s+bigram \(add-1\) (\d+\.\d+) nats/.exec(log);
    expect(m, log).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(Number(m![2]) - 0.3);
    // held out 10 % (6,000) and validation 20 % of the rest (10,000) would be more: --max-eval keeps 4,000 of each aside
    expect(log).toMatch(new RegExp(`on ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ${text.length - 8000} characters`));
  });

  it("--format auto (the default): a list (lines without spaces) is one example per line; prose, or a line over 1,000 characters, is running text", () => {
    const list = join(dir, "list.txt"), prose = join(dir, "prose.txt"), long = join(dir, "long.txt");
    writeFileSync(list, Array.from({ length: 40 }, (_, i) => `item${i}`).join("\n"));
    writeFileSync(prose, Array.from({ length: 40 }, (_, i) => `line ${i} of a short poem`).join("\n"));
    writeFileSync(long, Array.from({ length: 3 }, (_, i) => `paragraph${i}-`.repeat(120)).join("\n"));
    const out = (name: string) => ["--steps", "3", "--samples", "0", "--out", join(dir, `${name}.safetensors`)];
    const asList = run(train, [list, ...out("list")]).join("\n");
    expect(asList).toContain(`--format auto: reading ${list} as a list, one example per line`);
    expect(asList).toMatch(/: 3\d examples/);
    const asProse = run(train, [prose, ...out("prose")]).join("\n");
    expect(asProse).toContain(`--format auto: reading ${prose} as running text (100 % of its lines have spaces: prose, not a list)`);
    expect(asProse).toMatch(/: \d+ characters/);
    const asLong = run(train, [long, ...out("long")]).join("\n");
    expect(asLong).toContain(`--format auto: reading ${long} as running text (its longest line has ${"paragraph0-".repeat(120).length} characters)`);
  });

  it("a list of 300,000 lines trains (the corpus is never spread into a call's arguments)", () => {
    const big = join(dir, "big-list.txt");
    writeFileSync(big, Array.from({ length: 300_000 }, (_, i) => `w${(i * 7919) % 100_000}`).join("\n"));
    const log = run(train, [big, "--steps", "2", "--samples", "0", "--validation", "0", "--out", join(dir, "big.safetensors")]).join("\n");
    expect(log).toMatch(/: 270000 examples/);
    expect(log).toMatch(/held-out loss per character: tanh RNN \d/);
  });

  it("held-out text is evaluated as parallel streams: batchSize 1 is the exact sequential loss, 8 streams differ only by 7 state restarts", () => {
    const text = "abcabdabcabe ".repeat(400);
    const corpus = textCorpus(text, 0.5);
    const model = new RNN({ inputSize: corpus.tokenizer.vocabSize, hiddenSize: 8, seed: 2 });
    // the reference: one stream over every held-out character, carrying h across windows of 100
    const ids = corpus.heldOut[0];
    let sum = 0, h0: Float32Array | undefined;
    for (let at = 0; at + 1 < ids.length; at += 100) {
      const n = Math.min(100, ids.length - 1 - at);
      sum += model.forward({ batchSize: 1, seqLen: n, inputs: ids.subarray(at, at + n), targets: ids.subarray(at + 1, at + 1 + n), h0 }).loss;
      h0 = model.finalState();
    }
    const sequential = sum / (ids.length - 1);
    expect(heldOutLoss(model, corpus, 1)).toBeCloseTo(sequential, 5);
    expect(Math.abs(heldOutLoss(model, corpus, 8) - sequential) / sequential).toBeLessThan(0.01);
    model.dispose();
  });
});
