/**
 * The training run of the exact-resume test, shared by the test (test/resume.test.ts) and the fresh
 * process it spawns (test/helpers/resume-child.ts): a small character model trained by the CLI's
 * BatchSource on a fixed text, either as lines (random examples: the PRNG state matters) or as
 * running text (stream cursors and the carried hidden state matter), with a learning-rate schedule.
 */
import { BatchSource, linesCorpus, textCorpus } from "../../src/cli/corpus.js";
import { RNN, Trainer, type PlainTrainerOptions } from "../../src/index.js";

const TEXT = `the quick brown fox jumps over the lazy dog
pack my box with five dozen liquor jugs
how vexingly quick daft zebras jump
sphinx of black quartz judge my vow
the five boxing wizards jump quickly
jackdaws love my big sphinx of quartz
`;

export type DataKind = "lines" | "text";

export interface ResumeJob {
  name: string;
  data: DataKind;
  cell: "rnn" | "lstm" | "gru";
  options: PlainTrainerOptions;
}

const optimizers: PlainTrainerOptions[] = [
  { optimizer: "sgd", learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3, clipNorm: 1, reduction: "mean" },
  { optimizer: "adagrad", learningRate: 0.05, lrDecay: 0.01, initialAccumulatorValue: 0.1, clipValue: 0.5 },
  { optimizer: "rmsprop", learningRate: 0.003, momentum: 0.5, centered: true, weightDecay: 1e-3, clipNorm: 5 },
  { optimizer: "adam", learningRate: 0.01, amsgrad: true, weightDecay: 1e-3, reduction: "mean" },
  { optimizer: "adamw", learningRate: 0.01, betas: [0.8, 0.99], clipNorm: 1, reduction: "mean" },
];

/** Every optimizer on both kinds of data with the vanilla cell, and the gated cells on running text (the carried (h, c) matters). */
export const resumeJobs: ResumeJob[] = [
  ...optimizers.flatMap((options) => (["lines", "text"] as const).map((data) => ({
    name: `${options.optimizer} on ${data}`, data, cell: "rnn" as const, options,
  }))),
  { name: "lstm, adam on text", data: "text", cell: "lstm", options: optimizers[3] },
  { name: "gru, sgd on text", data: "text", cell: "gru", options: optimizers[0] },
];

/** The schedule of every job: a function, which a checkpoint cannot hold, so both processes pass it. */
export const schedule = (step: number, base: number): number => base / (1 + 0.05 * step);

const SEED = 7;

export function corpusFor(kind: DataKind) {
  const lines = TEXT.trim().split("\n");
  return kind === "lines" ? linesCorpus(lines.slice(0, 5), lines.slice(5)) : textCorpus(TEXT, 0.1);
}

/** A fresh data source at its start (the same in both processes). */
export function sourceFor(kind: DataKind): BatchSource {
  const corpus = corpusFor(kind);
  return new BatchSource(corpus.train, corpus.kind, 3, 8, SEED);
}

/** The model of every job (backend chosen by the caller). */
export function modelOptions(kind: DataKind, cell: ResumeJob["cell"] = "rnn") {
  return { cell, inputSize: corpusFor(kind).tokenizer.vocabSize, hiddenSize: 9, numLayers: 2, seed: SEED };
}

/** Train `steps` steps from the source; the summed loss of each. */
export function train(trainer: Trainer, source: BatchSource, steps: number): number[] {
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(trainer.step(source.next(), { carryState: source.continuous }).lossSum);
  return losses;
}

/** Every parameter's float32 bit patterns, by name. */
export function weightBits(model: RNN): Record<string, number[]> {
  return Object.fromEntries(model.parameters().map((p) => [p.name, Array.from(new Uint32Array(p.data.slice().buffer))]));
}
