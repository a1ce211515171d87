/**
 * bptt train's options from issue 11 and bptt eval: the held-out evaluation of an LSTM carries c as
 * well as h (checked against the stream read whole by hand), --schedule by name or JSON with the rate
 * a function of the step alone, --forget-bias, --init, --held-out-file, --patience (early stopping)
 * and training tokens/s that leave validation out; bptt eval against evaluate() computed here.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RNN } from "../src/index.js";
import { loadModel } from "../src/io.js";
import { evaluate, TokenStreams } from "../src/train.js";
import { evalCommand } from "../src/cli/eval.js";
import { heldOutLoss, train } from "../src/cli/train.js";
import { textCorpus } from "../src/cli/corpus.js";
import { expectError } from "./helpers/errors.js";

const dir = mkdtempSync(join(tmpdir(), "bptt-cli-options-"));
const names = join(dir, "names.txt");
writeFileSync(names, ["anna", "bob", "carl", "dora", "emil", "frida", "gus", "hanna", "ida", "jon", "karl", "lena", "mona", "nils", "otto", "paul"].join("\n"));
const quick = ["--steps", "4", "--hidden", "6", "--batch", "4", "--samples", "0", "--backend", "js"];

function run(command: (argv: string[], log: (line: string) => void) => void, argv: string[]): string {
  const lines: string[] = [];
  command(argv, (line) => lines.push(line));
  return lines.join("\n");
}

/** The exact loss of one stream of `ids` read in windows of `T` with the LSTM's h and (when `carryCell`) c carried. */
function streamLoss(model: RNN, ids: Int32Array, T: number, carryCell: boolean): number {
  let sum = 0, count = 0, h0: Float32Array | undefined, c0: Float32Array | undefined;
  for (let at = 0; at + 1 < ids.length; at += T) {
    const n = Math.min(T, ids.length - 1 - at);
    const r = model.forward({ batchSize: 1, seqLen: n, inputs: ids.subarray(at, at + n), targets: ids.subarray(at + 1, at + 1 + n), h0, c0 });
    h0 = model.finalState();
    if (carryCell) c0 = model.finalCellState();
    sum += r.loss;
    count += r.count;
  }
  return sum / count;
}

describe("held-out evaluation of running text", () => {
  it("an LSTM's held-out loss carries c as well as h: one stream equals the text read whole; dropping c (the old behaviour) differs", () => {
    const corpus = textCorpus("the cat sat on the mat and the dog ran to the park. ".repeat(60), 0.5);
    // a forget-gate bias of 6 keeps c from one window to the next, so dropping it shows
    const model = new RNN({ cell: "lstm", inputSize: corpus.tokenizer.vocabSize, hiddenSize: 8, seed: 3, backend: "js", forgetBias: 6 });
    const ids = corpus.heldOut[0];
    expect(ids.length).toBeGreaterThan(3 * 256); // several windows of 256: the state crosses window ends
    const whole = model.forward({ batchSize: 1, seqLen: ids.length - 1, inputs: ids.subarray(0, -1), targets: ids.subarray(1) });
    const exact = whole.loss / whole.count;
    expect(streamLoss(model, ids, 256, true)).toBeCloseTo(exact, 5);
    const withoutCell = streamLoss(model, ids, 256, false);
    expect(Math.abs(withoutCell - exact)).toBeGreaterThan(1e-3); // the test can tell the two apart
    expect(heldOutLoss(model, corpus, 1)).toBeCloseTo(exact, 5);
    // 4 streams: evaluate() over TokenStreams, the same numbers
    expect(heldOutLoss(model, corpus, 4)).toBeCloseTo(evaluate(model, new TokenStreams(ids, { batchSize: Math.min(4, Math.floor((ids.length - 1) / 256)), seqLen: 256 })).meanLoss, 6);
    model.dispose();
  });
});

describe("bptt train options", () => {
  it("--schedule: a name or JSON options; a decay needs --steps, plateau needs validation; an unknown name lists the presets", () => {
    expectError(() => run(train, [names, "--schedule", "exponential", "--steps", "3"]), "INVALID_ARGUMENT", /--schedule must be "constant", "linear", "cosine", "step" or "plateau", or a preset's options as JSON/);
    expectError(() => run(train, [names, "--schedule", "cosine"]), "INVALID_ARGUMENT", /--schedule cosine decays over --steps, and this run has none: give --steps \(the learning rate never depends on time\)/);
    expectError(() => run(train, [names, "--schedule", "plateau", "--validation", "0", "--steps", "3"]), "INVALID_ARGUMENT", "--schedule plateau watches the validation loss");
    expectError(() => run(train, [names, "--schedule", "step", "--steps", "3"]), "INVALID_ARGUMENT", /--schedule step: schedule\.stepSize is missing/);
    expectError(() => run(train, [names, "--schedule", "{bad", "--steps", "3"]), "INVALID_ARGUMENT", /--schedule is not valid JSON/);
    // the rate is the schedule's at every step: cosine from 0.01 to 0 over 4 steps (the trainer's checkpoint shows the last rate used)
    const out = join(dir, "cosine.safetensors");
    const log = run(train, [names, ...quick, "--optimizer", "sgd", "--lr", "0.01", "--schedule", '{"name": "cosine", "warmupSteps": 1}', "--out", out]);
    expect(log).toMatch(/trained 4 steps/);
  });

  it("--forget-bias sets b_if of an LSTM (\"none\" keeps PyTorch's initialisation) and is refused for other cells; --init reaches the model", () => {
    const tiny = ["--optimizer", "sgd", "--lr", "1e-30", "--momentum", "0", "--steps", "1", "--hidden", "5", "--batch", "2", "--samples", "0", "--backend", "js", "--validation", "0"];
    const bias = (extra: string[]) => {
      const out = join(dir, `lstm-${extra.join("")}.safetensors`);
      run(train, [names, "--cell", "lstm", ...tiny, ...extra, "--out", out]);
      const { model } = loadModel(readFileSync(out));
      const b = model.parameters().find((p) => p.name === "rnn.bias_ih_l0")!.data.slice(5, 10);
      const config = model.config.forgetBias;
      model.dispose();
      return { b, config };
    };
    const one = bias(["--forget-bias", "1"]);
    expect(one.config).toBe(1);
    for (const x of one.b) expect(x).toBeCloseTo(1, 6);
    const none = bias(["--forget-bias", "none"]);
    expect(none.config).toBeNull();
    for (const x of none.b) expect(Math.abs(x)).toBeLessThanOrEqual(1 / Math.sqrt(5)); // U(−1/√H, 1/√H)
    expect(new Set(none.b).size).toBe(5);
    expectError(() => run(train, [names, "--cell", "gru", "--forget-bias", "1", "--steps", "1"]), "INVALID_ARGUMENT", "--forget-bias is for --cell lstm; got --cell gru");
    expectError(() => run(train, [names, "--cell", "lstm", "--forget-bias", "big", "--steps", "1"]), "INVALID_ARGUMENT", '--forget-bias must be a number or "none"; got "big"');
    expectError(() => run(train, [names, "--init", "he", "--steps", "1"]), "INVALID_ARGUMENT", '--init must be "pytorch", "xavier", "orthogonal" or "identity"; got "he"');
    // --init identity: W_hh = I (an update of 1e-30 leaves it so)
    const out = join(dir, "identity.safetensors");
    run(train, [names, ...tiny, "--init", "identity", "--nonlinearity", "relu", "--out", out]);
    const { model } = loadModel(readFileSync(out));
    const whh = model.parameters().find((p) => p.name === "rnn.weight_hh_l0")!.data;
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(whh[i * 5 + j]).toBeCloseTo(i === j ? 1 : 0, 12);
    model.dispose();
  });

  it("--held-out-file: the held-out line scores that file (as bptt eval does), names the cell and prints bits; --held-out with it is refused", () => {
    const heldOut = join(dir, "held-out.txt");
    writeFileSync(heldOut, "anton\nbea\ncarla\n");
    const out = join(dir, "held-out-file.safetensors");
    const log = run(train, [names, ...quick, "--cell", "gru", "--held-out-file", heldOut, "--out", out]);
    const m = new RegExp(`held-out loss per character \\(${heldOut.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\): GRU (\\d\\.\\d+) nats \\((\\d\\.\\d+) bits\\)  bigram \\(add-1\\) \\d\\.\\d+ nats \\(\\d\\.\\d+ bits\\)`).exec(log);
    expect(m, log).not.toBeNull();
    expect(Number(m![2])).toBeCloseTo(Number(m![1]) / Math.LN2, 3);
    // 16 training names, none held out: the training set keeps every name but the validation split
    expect(log).toMatch(/: 15 examples/);
    const evaluated = run(evalCommand, [out, heldOut, "--backend", "js"]);
    expect(evaluated).toContain(`${m![1]} nats`);
    expectError(() => run(train, [names, "--held-out", "0.2", "--held-out-file", heldOut, "--steps", "1"]), "INVALID_ARGUMENT", "--held-out and --held-out-file are exclusive");
    expectError(() => run(train, [names, "--held-out-file", join(dir, "none.txt"), "--steps", "1"]), "INVALID_ARGUMENT", /cannot read the held-out text .*none\.txt: no such file/);
  });

  it("--patience stops when validation stops improving and says at which step the model was best; tokens/s leaves validation time out", () => {
    // a learning rate of 0.3 for Adam diverges within a few checks, so the validation loss stops improving
    const log = run(train, [names, "--hidden", "8", "--batch", "4", "--lr", "0.3", "--steps", "400", "--seconds", "600", "--eval-steps", "5", "--patience", "2", "--validation", "0.25", "--samples", "0", "--backend", "js", "--out", join(dir, "patience.safetensors")]);
    const stop = /stopping early at step (\d+): 2 validation checks in a row without improvement \(--patience 2\)/.exec(log);
    expect(stop, log).not.toBeNull();
    const best = /validation loss per character: best \d\.\d+ nats \(\d\.\d+ bits\) at step (\d+) of (\d+); the model keeps those weights/.exec(log);
    expect(best, log).not.toBeNull();
    expect(Number(best![2])).toBe(Number(stop![1]));
    expect(Number(stop![1]) - Number(best![1])).toBeGreaterThanOrEqual(10); // at least two checks of 5 steps after the best
    const rate = /trained (\d+) steps, ([\d,]+) tokens in (\d+\.\d) s \(([\d,]+) tokens\/s; validation took (\d+\.\d) s more\)/.exec(log);
    expect(rate, log).not.toBeNull();
  });
});

describe("bptt eval", () => {
  it("prints nats and bits per character of a text model on a file, equal to evaluate() over the same streams; a character outside the vocabulary is named", () => {
    const text = join(dir, "story.txt");
    const story = "once upon a time a small cat sat on a warm mat and slept. ".repeat(40);
    writeFileSync(text, story);
    const out = join(dir, "story.safetensors");
    run(train, [text, "--format", "text", "--cell", "lstm", "--steps", "5", "--hidden", "6", "--batch", "2", "--seq-len", "16", "--samples", "0", "--backend", "js", "--out", out]);
    const log = run(evalCommand, [out, text, "--batch", "3", "--backend", "js"]);
    const { model, tokenizer } = loadModel(readFileSync(out), { backend: "js" });
    const ids = tokenizer!.encode(story);
    const expected = evaluate(model, new TokenStreams(ids, { batchSize: 3, seqLen: 256 }));
    model.dispose();
    expect(log).toContain(`${expected.count.toLocaleString("en-US")} characters scored (running text) by a 1-layer LSTM (H = 6)`);
    expect(log).toContain(`loss per character: ${expected.meanLoss.toFixed(4)} nats, ${(expected.meanLoss / Math.LN2).toFixed(4)} bits`);
    const other = join(dir, "other.txt");
    writeFileSync(other, "a cat? yes!");
    expectError(() => run(evalCommand, [out, other, "--backend", "js"]), "INVALID_ARGUMENT", new RegExp(`${other.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: cannot encode`));
    expectError(() => run(evalCommand, [out]), "INVALID_ARGUMENT", "bptt eval needs a model file and a text file; got 1 argument");
  });
});
