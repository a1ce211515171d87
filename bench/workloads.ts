/**
 * The benchmark workloads: a vanilla tanh RNN (or an LSTM for W4 and W6) over random tokens
 * (uniform in [0, V) from a fixed seed), trained by full BPTT, or sampled from. W1–W4: the loss
 * summed over time and batch, plain SGD (learning rate 0.01). W6 and W7 are the char-LM setup
 * of issue 9 (V 83, H 256, T 64, B 32): the mean loss, gradients clipped to global norm 1, Adam
 * at 2e-3 — the same random tokens, since the data does not change the work. W3b is W3 with a
 * bidirectional layer (issue 12: each direction should run as fast as a unidirectional layer), and
 * W6e is W6 with an nn.Embedding of 64 in front of the LSTM.
 */
import { RNN, Random, Trainer, generate, type Batch } from "../src/index.js";
// the pure-TS backend is a subpath of its own: importing it makes backend "js" available
import "../src/js.js";
import { generationFlopsPerToken, trainingFlopsPerToken } from "./flops.js";

export type Backend = "wasm" | "js";

export interface TrainingWorkload {
  kind: "train";
  id: string;
  /** The recurrent cell; "rnn" (vanilla tanh) unless given. */
  cell?: "rnn" | "lstm";
  /** A bidirectional layer (the head reads 2H). */
  bidirectional?: boolean;
  /** An nn.Embedding of this width in front of the layer (else one-hot input). */
  embedding?: number;
  V: number;
  H: number;
  T: number;
  B: number;
  /** Optimizer and loss settings; SGD at 0.01 on the summed loss, no clipping, unless given. */
  optimizer?: "sgd" | "adam";
  learningRate?: number;
  clipNorm?: number;
  reduction?: "sum" | "mean";
}

export interface GenerationWorkload {
  kind: "generate";
  id: string;
  V: number;
  H: number;
  /** Tokens sampled per generate() call. */
  length: number;
}

export interface MissingWorkload {
  kind: "missing";
  id: string;
  description: string;
  reason: string;
}

export type Workload = TrainingWorkload | GenerationWorkload | MissingWorkload;

export const workloads: Workload[] = [
  { kind: "train", id: "W1", V: 65, H: 128, T: 25, B: 1 },
  { kind: "train", id: "W2", V: 65, H: 512, T: 25, B: 1 },
  { kind: "train", id: "W3", V: 65, H: 256, T: 32, B: 32 },
  { kind: "train", id: "W3b", V: 65, H: 256, T: 32, B: 32, bidirectional: true },
  { kind: "train", id: "W4", cell: "lstm", V: 65, H: 128, T: 25, B: 1 },
  { kind: "generate", id: "W5", V: 65, H: 256, length: 500 },
  { kind: "train", id: "W6", cell: "lstm", V: 83, H: 256, T: 64, B: 32, optimizer: "adam", learningRate: 2e-3, clipNorm: 1, reduction: "mean" },
  { kind: "train", id: "W6e", cell: "lstm", V: 83, H: 256, T: 64, B: 32, embedding: 64, optimizer: "adam", learningRate: 2e-3, clipNorm: 1, reduction: "mean" },
  { kind: "train", id: "W7", V: 83, H: 256, T: 64, B: 32, optimizer: "adam", learningRate: 2e-3, clipNorm: 1, reduction: "mean" },
];

export interface TrainerSettings {
  optimizer: "sgd" | "adam";
  learningRate: number;
  clipNorm?: number;
  reduction: "sum" | "mean";
}

/** The optimizer and loss settings of a training workload, defaults filled in. */
export function trainerSettings(w: TrainingWorkload): TrainerSettings {
  return { optimizer: w.optimizer ?? "sgd", learningRate: w.learningRate ?? 0.01, clipNorm: w.clipNorm, reduction: w.reduction ?? "sum" };
}

/** bptt's Trainer for a workload's model, with the workload's settings. */
export function makeTrainer(w: TrainingWorkload, model: RNN): Trainer {
  const s = trainerSettings(w);
  return new Trainer(model, { optimizer: s.optimizer, learningRate: s.learningRate, clipNorm: s.clipNorm, reduction: s.reduction });
}

export const MODEL_SEED = 1234;
export const DATA_SEED = 42;
export const SAMPLE_SEED = 7;
/** Distinct batches cycled through by the timed steps. */
const BATCHES = 8;

export function describeWorkload(w: Workload): string {
  if (w.kind === "missing") return w.description;
  if (w.kind === "generate") return `generate, V=${w.V} H=${w.H}`;
  const s = trainerSettings(w);
  const extra = s.optimizer === "sgd" && s.clipNorm === undefined ? "" : `, ${s.optimizer === "adam" ? "Adam" : "SGD"}${s.clipNorm !== undefined ? `, clip ${s.clipNorm}` : ""}`;
  const layer = `${w.bidirectional ? " bidirectional" : ""}${w.embedding ? `, embedding ${w.embedding}` : ""}`;
  return `train${w.cell === "lstm" ? " LSTM" : ""}${layer}, V=${w.V} H=${w.H} T=${w.T} B=${w.B}${extra}`;
}

export function flopsPerToken(w: TrainingWorkload | GenerationWorkload): number {
  return w.kind === "train" ? trainingFlopsPerToken(w.V, w.H, gatesOf(w), w.bidirectional ? 2 : 1, w.embedding ?? 0) : generationFlopsPerToken(w.V, w.H);
}

export function tokensPerCall(w: TrainingWorkload | GenerationWorkload): number {
  return w.kind === "train" ? w.T * w.B : w.length;
}

/** Gate blocks G of the workload's cell: its recurrent weights are (G·H, H). */
export function gatesOf(w: { cell?: "rnn" | "lstm" }): number {
  return w.cell === "lstm" ? 4 : 1;
}

export function makeModel(w: { V: number; H: number; cell?: "rnn" | "lstm"; bidirectional?: boolean; embedding?: number }, backend: Backend): RNN {
  const layer = { bidirectional: w.bidirectional ?? false, ...(w.embedding ? { embeddingSize: w.embedding } : {}) };
  if (w.cell === "lstm") return new RNN({ cell: "lstm", inputSize: w.V, hiddenSize: w.H, loss: "cross-entropy", seed: MODEL_SEED, backend, ...layer });
  return new RNN({ inputSize: w.V, hiddenSize: w.H, nonlinearity: "tanh", loss: "cross-entropy", seed: MODEL_SEED, backend, ...layer });
}

/** Next-token batches of random ids: targets are the inputs shifted by one, from one random stream. */
export function makeBatches(w: TrainingWorkload, count = BATCHES): Batch[] {
  const rng = new Random(DATA_SEED);
  const batches: Batch[] = [];
  for (let n = 0; n < count; n++) {
    const inputs = new Int32Array(w.B * w.T), targets = new Int32Array(w.B * w.T);
    for (let b = 0; b < w.B; b++) {
      let current = Math.floor(rng.next() * w.V);
      for (let t = 0; t < w.T; t++) {
        const next = Math.floor(rng.next() * w.V);
        inputs[b * w.T + t] = current;
        targets[b * w.T + t] = next;
        current = next;
      }
    }
    batches.push({ batchSize: w.B, seqLen: w.T, inputs, targets });
  }
  return batches;
}

/** A prepared workload: `call()` runs one timed unit (one training step, or one generate() call). */
export interface Runner {
  model: RNN;
  call: () => void;
  dispose: () => void;
}

export function trainingRunner(w: TrainingWorkload, backend: Backend): Runner {
  const model = makeModel(w, backend);
  const trainer = makeTrainer(w, model);
  const batches = makeBatches(w);
  let n = 0;
  return {
    model,
    call: () => {
      trainer.step(batches[n]);
      n = (n + 1) % batches.length;
    },
    dispose: () => model.dispose(),
  };
}

export function generationRunner(w: GenerationWorkload, backend: Backend): Runner {
  const model = makeModel(w, backend);
  const rng = new Random(SAMPLE_SEED);
  return {
    model,
    call: () => {
      generate(model, { prompt: [0], length: w.length, seed: rng });
    },
    dispose: () => model.dispose(),
  };
}
