/**
 * The command line fails before it trains: every flag's range, every input file and every output
 * path is checked before the first step, and each failure is a BpttError in the command line's words
 * (no raw ENOENT / EISDIR stack trace, no API option names). Each case is given --steps 3, and the
 * log must show that no training started.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BpttError, RNN } from "../src/index.js";
import { encodeSafetensors } from "../src/io.js";
import { sample } from "../src/cli/sample.js";
import { train } from "../src/cli/train.js";

const dir = mkdtempSync(join(tmpdir(), "bptt-cli-checks-"));
const readOnly = join(dir, "read-only");
mkdirSync(readOnly);
chmodSync(readOnly, 0o555);
mkdirSync(join(dir, "a-directory"));
const text = join(dir, "names.txt");
writeFileSync(text, "anna\nbob\ncarl\ndora\nemil\nfrida\ngus\nhanna\n");
const isRoot = process.getuid?.() === 0;

/** The command's error (a BpttError) and its log: nothing may have trained. */
function refused(command: typeof train, argv: string[]): { message: string; log: string } {
  const lines: string[] = [];
  try {
    command(argv, (line) => lines.push(line));
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(BpttError);
    expect((error as BpttError).code).toBe("INVALID_ARGUMENT");
    return { message: (error as BpttError).message, log: lines.join("\n") };
  }
  return expect.fail(`expected ${argv.join(" ")} to be refused; it logged:\n${lines.join("\n")}`);
}

const out = join(dir, "model.safetensors");
const trainCases: [string, string[], RegExp][] = [
  ["--out in a missing directory", ["--out", join(dir, "missing", "m.safetensors")], /--out .*the directory .*missing does not exist/],
  ["--out naming a directory", ["--out", join(dir, "a-directory")], /--out .* is a directory/],
  ["--checkpoint in a missing directory", ["--checkpoint", join(dir, "missing", "c.ckpt")], /--checkpoint .*does not exist/],
  ["--temperature 0", ["--temperature", "0"], /--temperature must be a number in \(0, ∞\); got 0/],
  ["--held-out 1", ["--held-out", "1"], /--held-out must be a number in \[0, 1\); got 1/],
  ["--seconds -1", ["--seconds", "-1"], /--seconds must be a number in \(0, ∞\); got -1/],
  ["--seconds 0", ["--seconds", "0"], /--seconds must be a number in \(0, ∞\); got 0/],
  ["--eval-steps -1", ["--eval-steps", "-1"], /--eval-steps must be an integer ≥ 0; got -1/],
  ["--batch 2.5", ["--batch", "2.5"], /--batch must be an integer ≥ 1; got 2.5/],
  ["--hidden 0", ["--hidden", "0"], /--hidden must be an integer ≥ 1; got 0/],
  ["--layers 1e9", ["--layers", "1e9"], /--layers must be an integer in \[1, 65536\]/],
  ["--samples -2", ["--samples", "-2"], /--samples must be an integer ≥ 0/],
  ["--seed -1", ["--seed", "-1"], /--seed must be an integer in \[0, 4294967295\]/],
  ["--optimizer adamax", ["--optimizer", "adamax"], /--optimizer must be "sgd", "adagrad", "rmsprop", "adam" or "adamw"; got "adamax"/],
  ["--backend gpu", ["--backend", "gpu"], /--backend must be "wasm" or "js"/],
  ["--threads 0", ["--threads", "0"], /--threads must be a whole number ≥ 1 or "auto"; got "0"/],
  ["--threads all", ["--threads", "all"], /--threads must be a whole number ≥ 1 or "auto"; got "all"/],
  ["--clip-norm 0", ["--clip-norm", "0"], /--clip-norm must be a number in \(0, ∞\)/],
  ["--resume without --checkpoint", ["--resume"], /--resume needs --checkpoint/],
  ["--resume from a missing checkpoint", ["--resume", "--checkpoint", join(dir, "none.ckpt")], /cannot read the checkpoint .*none\.ckpt: no such file/],
  ["two training files", [text], /at most one training file; got 2/],
];

describe("bptt train checks every flag and path before the first step", () => {
  it.each(trainCases)("%s", (_, flags, message) => {
    const r = refused(train, [text, "--steps", "3", "--out", out, ...flags]);
    expect(r.message).toMatch(message);
    expect(r.log).not.toMatch(/trained|training a/);
  });

  it("a missing or unreadable training file is a one-line error, not an ENOENT / EISDIR stack trace", () => {
    expect(refused(train, [join(dir, "nope.txt"), "--steps", "3"]).message).toBe(`cannot read the training text ${join(dir, "nope.txt")}: no such file`);
    expect(refused(train, [join(dir, "a-directory"), "--steps", "3"]).message).toBe(`cannot read the training text ${join(dir, "a-directory")}: it is a directory`);
  });

  it.skipIf(isRoot)("--out in a read-only directory (not testable as root, who may write anywhere)", () => {
    expect(refused(train, [text, "--steps", "3", "--out", join(readOnly, "m.safetensors")]).message).toMatch(/is not writable/);
  });
});

describe("bptt sample checks its flags and file", () => {
  const cases: [string, string[], RegExp][] = [
    ["a missing model", [join(dir, "none.safetensors")], /cannot read the model .*none\.safetensors: no such file/],
    ["a directory", [join(dir, "a-directory")], /cannot read the model .*: it is a directory/],
    ["--temperature 0", [out, "--temperature", "0"], /--temperature must be a number in \(0, ∞\)/],
    ["--count 1.5", [out, "--count", "1.5"], /--count must be an integer ≥ 0/],
    ["--top-p 0", [out, "--top-p", "0"], /--top-p must be a number in \(0, 1\]/],
    ["--seed -3", [out, "--seed", "-3"], /--seed must be an integer in \[0, /],
  ];
  it.each(cases)("%s", (_, argv, message) => {
    expect(refused(sample, argv).message).toMatch(message);
  });
});

describe("bptt sample reads files without bptt metadata (PyTorch's) with --config, and checkpoints", () => {
  it("a state_dict saved as lstm.* and fc.* samples with --config and its vocabulary; without --config the error says what to give", () => {
    const model = new RNN({ cell: "lstm", inputSize: 4, hiddenSize: 3, backend: "js", seed: 5 });
    const names: Record<string, string> = { rnn: "lstm", head: "fc" };
    const tensors = model.parameters().map(({ name, shape, data }) => ({ name: name.replace(/^(rnn|head)\./, (_, m: string) => `${names[m]}.`), shape, data: data.slice() }));
    model.dispose();
    const file = join(dir, "torch.safetensors");
    writeFileSync(file, encodeSafetensors(tensors));
    expect(refused(sample, [file]).message).toMatch(/has no bptt configuration .*describe the architecture with --config/);
    const config = JSON.stringify({ cell: "lstm", inputSize: 4, hiddenSize: 3, vocabulary: "\nabc" });
    const lines: string[] = [];
    sample([file, "--config", config, "--count", "3", "--prompt", "a", "--backend", "js"], (line) => lines.push(line));
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^a[abc]*$/);
    expect(refused(sample, [file, "--config", JSON.stringify({ cell: "lstm", inputSize: 4, hiddenSize: 3, vocabulary: "ab" })]).message).toMatch(/vocabulary has 2 characters but the model's inputSize is 4/);
    expect(refused(sample, [file, "--config", "{not json"]).message).toMatch(/--config is not valid JSON/);
  });

  it("a checkpoint written by bptt train samples like its model", () => {
    const checkpoint = join(dir, "run.ckpt");
    train([text, "--steps", "2", "--hidden", "4", "--backend", "js", "--samples", "0", "--out", join(dir, "run.safetensors"), "--checkpoint", checkpoint], () => {});
    const lines: string[] = [];
    sample([checkpoint, "--count", "2", "--backend", "js"], (line) => lines.push(line));
    expect(lines).toHaveLength(2);
  });
});
