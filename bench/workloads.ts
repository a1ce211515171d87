/**
 * The benchmark workloads: a vanilla tanh RNN (or an LSTM for W4) over random tokens (uniform in
 * [0, V) from a fixed seed), cross-entropy summed over time, trained by full BPTT + plain SGD, or
 * sampled from.
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
  V: number;
  H: number;
  T: number;
  B: number;
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
  { kind: "train", id: "W4", cell: "lstm", V: 65, H: 128, T: 25, B: 1 },
  { kind: "generate", id: "W5", V: 65, H: 256, length: 500 },
];

export const MODEL_SEED = 1234;
export const DATA_SEED = 42;
export const SAMPLE_SEED = 7;
/** Distinct batches cycled through by the timed steps. */
const BATCHES = 8;

export function describeWorkload(w: Workload): string {
  if (w.kind === "missing") return w.description;
  if (w.kind === "generate") return `generate, V=${w.V} H=${w.H}`;
  return `train${w.cell === "lstm" ? " LSTM" : ""}, V=${w.V} H=${w.H} T=${w.T} B=${w.B}`;
}

export function flopsPerToken(w: TrainingWorkload | GenerationWorkload): number {
  return w.kind === "train" ? trainingFlopsPerToken(w.V, w.H, gatesOf(w)) : generationFlopsPerToken(w.V, w.H);
}

export function tokensPerCall(w: TrainingWorkload | GenerationWorkload): number {
  return w.kind === "train" ? w.T * w.B : w.length;
}

/** Gate blocks G of the workload's cell: its recurrent weights are (G·H, H). */
export function gatesOf(w: { cell?: "rnn" | "lstm" }): number {
  return w.cell === "lstm" ? 4 : 1;
}

export function makeModel(w: { V: number; H: number; cell?: "rnn" | "lstm" }, backend: Backend): RNN {
  if (w.cell === "lstm") return new RNN({ cell: "lstm", inputSize: w.V, hiddenSize: w.H, loss: "cross-entropy", seed: MODEL_SEED, backend });
  return new RNN({ inputSize: w.V, hiddenSize: w.H, nonlinearity: "tanh", loss: "cross-entropy", seed: MODEL_SEED, backend });
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
  const trainer = new Trainer(model, { learningRate: 0.01 });
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
