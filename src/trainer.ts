import { validateBatch, type Batch } from "./batch.js";
import { BpttError, NonFiniteError, checkFinite, checkKeys, checkOneOf, checkPositiveInt, describe, invalid } from "./errors.js";
import type { BatchSource } from "./data/source.js";
import type { FitHistory, FitOptions } from "./fit.js";
import type { RNN } from "./model.js";
import { initOptimizerState, optimizerOptionNames, optimizerStep, resolveOptimizer, type OptimizerOptions, type OptimizerSettings } from "./optimizers.js";

/** What a Trainer takes besides its optimizer's options. */
export interface TrainerBaseOptions {
  /** Clip every gradient element to [−clipValue, clipValue] (torch.nn.utils.clip_grad_value_). */
  clipValue?: number;
  /** Rescale the gradients when their global L2 norm exceeds clipNorm (torch.nn.utils.clip_grad_norm_). */
  clipNorm?: number;
  /**
   * "sum" (default): the gradient of the summed loss, as the math and PyTorch's reduction="sum";
   * "mean": divided by the number of targets, so the learning rate does not depend on batch size and length.
   */
  reduction?: "sum" | "mean";
  /** Learning rate for a step (1-based), given the base rate; called once per step. */
  schedule?: (step: number, baseLearningRate: number) => number;
}

/** An optimizer's options (one member of the OptimizerOptions union) with clipping, reduction and schedule. */
export type TrainerOptions = OptimizerOptions & TrainerBaseOptions;

/** TrainerOptions without the schedule function: plain JSON (worker jobs). */
export type PlainTrainerOptions = OptimizerOptions & Omit<TrainerBaseOptions, "schedule">;

export interface StepOptions {
  /** Start from the state the previous `carryState` step ended in (truncated BPTT; no gradient flows back into it). */
  carryState?: boolean;
  /** Also return ‖∂E/∂h_t‖ per layer and step of the window, (L, T). */
  recordStepNorms?: boolean;
  /** The learning rate of this step (≥ 0), in place of the schedule's or the base rate: how `fit` applies a schedule preset. */
  learningRate?: number;
}

export interface StepResult {
  /** Mean loss per counted target (token) of this step, before the update. */
  loss: number;
  /** The summed loss (as PyTorch's reduction="sum"). */
  lossSum: number;
  /** Global L2 norm of the gradients before clipping (of the mean loss when reduction is "mean"). */
  gradNorm: number;
  /** Whether clipping changed the gradients. */
  clipped: boolean;
  /** Targets counted in the loss. */
  tokens: number;
  /** Learning rate used for the update. */
  learningRate: number;
  /** Wall time of the step in milliseconds. */
  ms: number;
  /** ‖∂E/∂h_t‖ per layer and step when recordStepNorms was asked for. */
  stepNorms?: Float32Array;
}

/** The trainer's own options besides the optimizer's. */
const trainerOptionNames = ["clipValue", "clipNorm", "reduction", "schedule"];

/** Resolved trainer options: the optimizer's settings with defaults filled in, plus clipping, reduction and schedule. */
export type TrainerSettings = OptimizerSettings & {
  reduction: "sum" | "mean";
  clipValue?: number;
  clipNorm?: number;
  schedule?: (step: number, baseLearningRate: number) => number;
};

/** fit(trainer, data, options) of bptt/train, once it is loaded; how to load it (the main entry gives a dynamic import). */
let fitLoop: ((trainer: Trainer, data: BatchSource | readonly Batch[], options: FitOptions) => Promise<FitHistory>) | undefined;
let loadFitLoop: (() => Promise<unknown>) | undefined;

/** @internal Called by bptt/train (src/train.ts) when it is imported. */
export function provideFitLoop(loop: NonNullable<typeof fitLoop>): void {
  fitLoop = loop;
}

/** @internal The main entry hands in how to load bptt/train when trainer.fit() is first called. */
export function provideFitLoader(load: () => Promise<unknown>): void {
  loadFitLoop = load;
}

/**
 * The training loop's one step: forward (with dropout, when the model has it) → loss → BPTT → clipping → optimizer update, over kernels
 * only. The optimizer (SGD, Adagrad, RMSprop, Adam, AdamW with torch.optim's semantics) keeps its
 * state in the model's arena, allocated here. A non-finite loss or gradient throws NonFiniteError
 * before the update: the weights and the optimizer state are left as they were.
 */
export class Trainer {
  readonly options: Readonly<TrainerSettings>;
  /** Number of completed steps. */
  stepCount = 0;
  #carried: Float32Array | null = null;
  /** LSTM: the carried cell state c beside `carried` (h); null for other cells. */
  #carriedCell: Float32Array | null = null;
  #carriedBatchSize = 0;

  constructor(readonly model: RNN, options: TrainerOptions) {
    if (options === null || typeof options !== "object") throw invalid(`trainer options must be an object { learningRate, … }; got ${describe(options)}`);
    checkKeys("trainer", options, [...optimizerOptionNames, ...trainerOptionNames]);
    const optimizer = resolveOptimizer(options);
    if (options.schedule !== undefined && typeof options.schedule !== "function") throw invalid(`schedule must be a function (step, baseLearningRate) => learningRate; got ${describe(options.schedule)}`);
    this.options = {
      ...optimizer,
      reduction: checkOneOf("reduction", options.reduction ?? "sum", ["sum", "mean"] as const),
      clipValue: options.clipValue === undefined ? undefined : checkFinite("clipValue", options.clipValue, 0, Infinity, true),
      clipNorm: options.clipNorm === undefined ? undefined : checkFinite("clipNorm", options.clipNorm, 0, Infinity, true),
      schedule: options.schedule,
    };
    const { backend, arena } = model.internals();
    initOptimizerState(backend, arena, optimizer, model.layout.span);
  }

  /** Forget the carried state: the next carryState step starts from zeros. */
  resetState(): void {
    this.#carried = null;
    this.#carriedCell = null;
  }

  /**
   * Truncated BPTT over long sequences: split a batch of B sequences of length N into windows of
   * `bpttSteps` (the last may be shorter) and take one training step per window, carrying the
   * hidden state (and an LSTM's cell state) forward without gradient. Full BPTT when bpttSteps ≥ N.
   * Starts from batch.h0 and batch.c0 (or zeros); the carried state is left for a following `carryState` step.
   */
  trainSequence(batch: Batch, options: { bpttSteps: number; recordStepNorms?: boolean }): StepResult[] {
    if (batch === null || typeof batch !== "object" || batch.targets === undefined) throw invalid("batch.targets is missing; training needs targets");
    validateBatch(batch, this.model.config, true);
    const W = checkPositiveInt("bpttSteps", options?.bpttSteps);
    const { batchSize: B, seqLen: N } = batch;
    if (batch.lengths !== undefined && Array.from(batch.lengths).some((n) => n !== N)) {
      throw invalid(`batch.lengths: trainSequence carries the state of full-length streams from window to window; every length must be seqLen = ${N} (train sequences of other lengths with step())`);
    }
    const c = this.model.config;
    const inWidth = c.input === "tokens" ? 1 : c.inputSize;
    const outWidth = c.loss === "cross-entropy" ? 1 : c.outputSize;
    const inputs = new Float64Array(B * W * inWidth), targets = new Float64Array(B * W * outWidth);
    const mask = batch.mask === undefined ? undefined : new Float64Array(B * W);
    this.#carried = batch.h0 === undefined ? null : Float32Array.from(batch.h0);
    const S = c.numLayers * (c.bidirectional ? 2 : 1); // state slices: layer-major then direction
    const stateSize = S * B * (c.projSize > 0 ? c.projSize : c.hiddenSize), cellSize = S * B * c.hiddenSize;
    this.#carriedCell = this.model.hasCellState ? (batch.c0 === undefined ? new Float32Array(cellSize) : Float32Array.from(batch.c0)) : null;
    this.#carriedBatchSize = B;
    const results: StepResult[] = [];
    for (let start = 0; start < N; start += W) {
      const T = Math.min(W, N - start);
      for (let b = 0; b < B; b++) {
        const from = b * N + start, to = b * T;
        copyRows(inputs, to, batch.inputs, from, T, inWidth);
        copyRows(targets, to, batch.targets, from, T, outWidth);
        if (mask) copyRows(mask, to, batch.mask!, from, T, 1);
      }
      const window: Batch = {
        batchSize: B, seqLen: T, inputs: inputs.subarray(0, B * T * inWidth), targets: targets.subarray(0, B * T * outWidth),
        mask: mask?.subarray(0, B * T),
      };
      if (this.#carried === null) this.#carried = new Float32Array(stateSize);
      results.push(this.step(window, { carryState: true, recordStepNorms: options.recordStepNorms }));
    }
    return results;
  }

  /**
   * `fit(this, data, options)` of `bptt/train` (budgets, validation, early stopping, schedules,
   * callbacks, abort; see there), loaded on first use by the main entry; with `bptt/core`, import
   * `bptt/train` first.
   */
  async fit(data: BatchSource | readonly Batch[], options: FitOptions = {}): Promise<FitHistory> {
    if (fitLoop === undefined) await loadFitLoop?.();
    if (fitLoop === undefined) throw new BpttError("INVALID_STATE", "trainer.fit() comes with bptt/train: import \"bptt/train\" once before calling it");
    return fitLoop(this, data, options);
  }

  step(batch: Batch, options: StepOptions = {}): StepResult {
    const started = now();
    const model = this.model, o = this.options;
    if (batch === null || typeof batch !== "object" || batch.targets === undefined) throw invalid("batch.targets is missing; training needs targets");
    validateBatch(batch, model.config, true);
    const carry = options.carryState === true;
    let h0 = batch.h0, c0 = batch.c0;
    if (carry && this.#carried !== null) {
      if (batch.h0 !== undefined) throw invalid("batch.h0 and carryState are exclusive: the carried state is the initial state");
      if (batch.c0 !== undefined) throw invalid("batch.c0 and carryState are exclusive: the carried state is the initial state");
      if (this.#carriedBatchSize !== batch.batchSize) {
        throw invalid(`batch.batchSize is ${batch.batchSize} but the carried state holds ${this.#carriedBatchSize} sequences; call trainer.resetState() to start new sequences`);
      }
      h0 = this.#carried;
      c0 = this.#carriedCell ?? undefined;
    }
    const stepIndex = this.stepCount + 1;
    const learningRate = options.learningRate ?? (o.schedule ? o.schedule(stepIndex, o.learningRate) : o.learningRate);
    if (options.learningRate === undefined) checkFinite(`schedule(${stepIndex}) result (learning rate)`, learningRate, 0, Infinity, true);
    else checkFinite("options.learningRate", learningRate, 0);
    const L = model.config.numLayers * (model.config.bidirectional ? 2 : 1), H = model.config.hiddenSize, R = model.config.projSize > 0 ? model.config.projSize : H;
    // validated once above; the carried state is the trainer's own (finite, L·B·H floats)
    const fwd = model.forwardValidated(batch, h0, c0, true);
    if (!Number.isFinite(fwd.loss)) throw new NonFiniteError(stepIndex, "loss", `the loss is ${fwd.loss}`);
    model.zeroGrad();
    model.backward();

    const { backend, arena } = model.internals();
    const grads = arena.block("grads"), span = model.layout.span;
    if (o.reduction === "mean" && fwd.count > 0) backend.scale(grads, span, 1 / fwd.count);
    let sumSq = backend.sumSquares(grads, span);
    if (!Number.isFinite(sumSq)) {
      const bad = model.layout.tensors.find((t) => !Number.isFinite(backend.sumSquares(grads + t.offset * 4, t.size)));
      throw new NonFiniteError(stepIndex, bad ? bad.name : "gradients", `a gradient is not finite (squared norm ${sumSq})`);
    }
    const gradNorm = Math.sqrt(sumSq);
    let clipped = false;
    if (o.clipValue !== undefined) {
      backend.clipByValue(grads, span, o.clipValue);
      const after = backend.sumSquares(grads, span);
      clipped = after !== sumSq;
      sumSq = after;
    }
    if (o.clipNorm !== undefined) {
      const norm = Math.sqrt(sumSq);
      const coef = o.clipNorm / (norm + 1e-6);
      if (coef < 1) {
        backend.scale(grads, span, coef);
        clipped = true;
      }
    }
    optimizerStep(backend, arena, o, span, learningRate, stepIndex);
    this.stepCount = stepIndex;

    if (carry) {
      const n = L * batch.batchSize * R, nc = L * batch.batchSize * H;
      if (this.#carried === null || this.#carried.length !== n) this.#carried = new Float32Array(n);
      model.finalState(this.#carried);
      if (model.hasCellState) {
        if (this.#carriedCell === null || this.#carriedCell.length !== nc) this.#carriedCell = new Float32Array(nc);
        model.finalCellState(this.#carriedCell);
      }
      this.#carriedBatchSize = batch.batchSize;
    }
    const result: StepResult = { loss: fwd.meanLoss, lossSum: fwd.loss, gradNorm, clipped, tokens: fwd.count, learningRate, ms: now() - started };
    if (options.recordStepNorms) result.stepNorms = model.stepGradientNorms();
    return result;
  }

  /** @internal The state a following carryState step starts from, as a copy (for checkpoints), or null. */
  carriedState(): { batchSize: number; state: Float32Array; cellState: Float32Array | null } | null {
    if (this.#carried === null) return null;
    return { batchSize: this.#carriedBatchSize, state: this.#carried.slice(), cellState: this.#carriedCell?.slice() ?? null };
  }

  /** @internal Restore a carried state saved by `carriedState()` (checked by the caller). */
  restoreCarriedState(carried: { batchSize: number; state: Float32Array; cellState: Float32Array | null } | null): void {
    this.#carried = carried === null ? null : carried.state.slice();
    this.#carriedCell = carried === null || carried.cellState === null ? null : carried.cellState.slice();
    this.#carriedBatchSize = carried === null ? 0 : carried.batchSize;
  }
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

/** dst[to·w …] = src[from·w …] for n rows of width w. */
function copyRows(dst: Float64Array, to: number, src: ArrayLike<number>, from: number, n: number, w: number): void {
  for (let k = 0; k < n * w; k++) dst[to * w + k] = src[from * w + k];
}
