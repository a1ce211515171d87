/**
 * What crosses between a page and a training worker (bptt/worker): the job, its progress events and
 * its result, all structured-cloneable. Types only: the page side imports no code from here.
 */
import type { PlainTrainerOptions, RNNOptions } from "../index.js";
import type { ScheduleName, ScheduleOptions } from "../schedules.js";

export interface TrainingJob {
  /** The model to create (`wasmModule` cannot cross; pass `wasm` instead). Ignored when `initialModel` is given. */
  model?: Omit<RNNOptions, "wasmModule">;
  /** Continue from a saved model (saveModel bytes). */
  initialModel?: Uint8Array;
  /** Backend for `initialModel` (default "wasm"). */
  backend?: "wasm" | "js";
  /** Trainer options; `schedule` is a function and cannot cross, so it is not accepted: name a preset in `schedule` instead. */
  trainer: PlainTrainerOptions;
  /**
   * A learning-rate schedule preset of bptt/train, by name or plain-JSON options ("constant",
   * "linear", "cosine", "step"; "linear" and "cosine" span `steps` unless they give totalSteps).
   * "plateau" watches a validation loss, which a job has not: it is refused.
   */
  schedule?: ScheduleName | ScheduleOptions;
  /** One token stream; each batch row is a window of seqLen + 1 tokens at a random offset (inputs, then targets shifted by one). */
  data: ArrayLike<number>;
  batchSize: number;
  seqLen: number;
  /** Training steps to run. */
  steps: number;
  /** Seed of the window sampler (default 0). */
  seed?: number;
  /** Steps between progress events (default 10). */
  progressEvery?: number;
  /** Attach ‖∂E/∂h_t‖ per layer and step of the latest step to each progress event. */
  recordStepNorms?: boolean;
  /** Attach the model's saveModel bytes to every n-th progress event (default 0: never). */
  snapshotEvery?: number;
  /** A compiled bptt module for hosts that may not compile the embedded one (WebAssembly.Module is cloneable). */
  wasm?: WebAssembly.Module;
}

export interface TrainingProgress {
  step: number;
  steps: number;
  /** Mean loss per token of each step since the previous event. */
  losses: number[];
  gradNorm: number;
  clipped: boolean;
  /** Tokens trained per second of training time so far. */
  tokensPerSecond: number;
  elapsedMs: number;
  /** The learning rate of the latest step. */
  learningRate: number;
  stepNorms?: Float32Array;
  /** saveModel bytes, every `snapshotEvery`-th event. */
  model?: Uint8Array;
}

export interface TrainingResult {
  /** Whether the run stopped early because it was cancelled. */
  cancelled: boolean;
  /** Steps completed. */
  steps: number;
  /** Mean loss per token of every completed step. */
  losses: number[];
  tokensPerSecond: number;
  elapsedMs: number;
  /** The trained model as saveModel bytes. */
  model: Uint8Array;
}
