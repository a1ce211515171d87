/**
 * `fit(trainer, data, options)`: the training loop users would otherwise write around `trainer.step`.
 * It runs steps over the batches of `data` epoch after epoch until a budget is spent (steps, epochs or
 * seconds, whichever comes first), applies a learning-rate schedule preset, evaluates validation data
 * every N steps, stops early when the validation loss stops improving and puts back the weights of
 * the best evaluation, calls onStep / onEvaluate, honours an AbortSignal, and returns the history.
 *
 * A step whose loss or gradient is not finite ends the run: the trainer has left the weights as they
 * were before it, fit puts back the best evaluation's weights where it would have at the end, and
 * rejects with that NonFiniteError, which carries the history so far as `history`.
 *
 * Deterministic given the seeds (the model's, the data source's): the same call gives the same
 * history, bit for bit. Time decides only when a budget in seconds stops the run; the learning rate
 * depends on the step alone, so a schedule that decays needs a length in steps (from `steps`,
 * `epochs` or its own `totalSteps`), never from seconds.
 */
import type { Batch } from "./batch.js";
import { batchSource, type BatchSource } from "./data/source.js";
import { NonFiniteError, checkFinite, checkPositiveInt, describe, invalid } from "./errors.js";
import { evaluate, type EvaluateResult } from "./evaluate.js";
import { LearningRateSchedule, needsTotalSteps, type ScheduleName, type ScheduleOptions } from "./schedules.js";
import type { Trainer } from "./trainer.js";

export interface FitOptions {
  /** Stop after this many training steps. */
  steps?: number;
  /** Stop after this many passes over `data` (may be fractional: 0.5 is half an epoch, rounded up to a whole step). */
  epochs?: number;
  /** Stop after the first step that ends this many seconds after the start (validation included). */
  seconds?: number;
  /**
   * A learning-rate schedule preset (by name or options), or a LearningRateSchedule. Its step is the
   * step of this fit (1-based); "linear" and "cosine" span the budget in steps or epochs unless they
   * give totalSteps. Not with a trainer that has a `schedule` function of its own.
   */
  schedule?: ScheduleName | ScheduleOptions | LearningRateSchedule;
  /** Validation data: a batch, an array of batches or a source, evaluated with `evaluate` (state carried for streams). */
  validation?: Batch | BatchSource | readonly Batch[];
  /** Steps between evaluations of the validation data (default: one epoch of `data`). The last step is always evaluated too. */
  evaluateEvery?: number;
  /** Stop when `patience` evaluations in a row have not lowered the best validation loss by more than minDelta (default 0). */
  earlyStopping?: { patience: number; minDelta?: number };
  /** At the end, set the weights back to those of the best evaluation (default: true with earlyStopping, else false). */
  restoreBestWeights?: boolean;
  /** Called after every step. */
  onStep?: (step: FitStep) => void;
  /** Called after every evaluation of the validation data. */
  onEvaluate?: (evaluation: FitEvaluation) => void;
  /** Aborting stops the run after the current step (no further evaluation); fit resolves with the history so far. */
  signal?: AbortSignal;
  /** Milliseconds of work between yields to the event loop, so that timers, messages and abort() get their turn (default 50; 0: never). */
  yieldEveryMs?: number;
}

export interface FitStep {
  /** 1-based step of this fit. */
  step: number;
  /** 0-based epoch and batch within it. */
  epoch: number;
  batch: number;
  /** Mean loss per target of the step, before the update. */
  loss: number;
  gradNorm: number;
  clipped: boolean;
  learningRate: number;
  tokens: number;
}

export interface FitEvaluation extends EvaluateResult {
  /** The step after which the validation data was evaluated. */
  step: number;
  /** Whether this evaluation is the best so far (lowest mean loss, by more than minDelta). */
  best: boolean;
}

export type StopReason = "steps" | "epochs" | "seconds" | "early-stopping" | "aborted" | "non-finite";

export interface FitHistory {
  /** Steps taken. */
  steps: number;
  /** Epochs of `data` covered (steps / batchesPerEpoch). */
  epochs: number;
  stoppedBy: StopReason;
  /** Per step: mean training loss, learning rate, gradient norm before clipping. */
  loss: number[];
  learningRate: number[];
  gradNorm: number[];
  evaluations: FitEvaluation[];
  /** The step of the best evaluation and its mean validation loss (null without validation). */
  bestStep: number | null;
  bestLoss: number | null;
  /** Whether the weights were set back to those of bestStep. */
  restoredBest: boolean;
  /** Targets trained on. */
  tokens: number;
  /** Wall time of the run, validation included (the only field that differs between two identical runs). */
  seconds: number;
}

const fitOptionNames = ["steps", "epochs", "seconds", "schedule", "validation", "evaluateEvery", "earlyStopping", "restoreBestWeights", "onStep", "onEvaluate", "signal", "yieldEveryMs"];

/** Train `trainer`'s model on `data` (a BatchSource such as TokenStreams or ExampleBatches, or an array of batches). */
export async function fit(trainer: Trainer, data: BatchSource | readonly Batch[], options: FitOptions): Promise<FitHistory> {
  const plan = planFit(trainer, data, options);
  const { source, model, schedule, validation, every, patience, minDelta, restore } = plan;
  const started = now();
  let lastYield = started;
  const history: FitHistory = {
    steps: 0, epochs: 0, stoppedBy: "steps", loss: [], learningRate: [], gradNorm: [], evaluations: [],
    bestStep: null, bestLoss: null, restoredBest: false, tokens: 0, seconds: 0,
  };
  const best = restore ? new Float32Array(model.parameterCount) : null;
  let waited = 0;
  const evaluateNow = (step: number): boolean => {
    const result = evaluate(model, validation!);
    const improved = history.bestLoss === null || result.meanLoss < history.bestLoss - minDelta;
    if (improved) {
      history.bestLoss = result.meanLoss;
      history.bestStep = step;
      waited = 0;
      if (best !== null) copyParameters(model, best);
    } else {
      waited++;
    }
    schedule?.observe(result.meanLoss);
    const evaluation: FitEvaluation = { ...result, step, best: improved };
    history.evaluations.push(evaluation);
    options.onEvaluate?.(evaluation);
    return patience !== undefined && waited >= patience;
  };

  trainer.resetState();
  let stop: StopReason | null = null;
  for (let step = 1; stop === null; step++) {
    if (options.signal?.aborted) {
      stop = "aborted";
      break;
    }
    const epoch = Math.floor((step - 1) / source.batchesPerEpoch), k = (step - 1) % source.batchesPerEpoch;
    if (source.stateful && k === 0) trainer.resetState();
    const learningRate = schedule?.rate(step);
    let r: ReturnType<Trainer["step"]>;
    try {
      r = trainer.step(source.batch(k, epoch), { carryState: source.stateful, learningRate });
    } catch (e) {
      if (e instanceof NonFiniteError) throw Object.assign(e, { history: finish(history, best, model, source, started, "non-finite") });
      throw e;
    }
    history.steps = step;
    history.loss.push(r.loss);
    history.learningRate.push(r.learningRate);
    history.gradNorm.push(r.gradNorm);
    history.tokens += r.tokens;
    options.onStep?.({ step, epoch, batch: k, loss: r.loss, gradNorm: r.gradNorm, clipped: r.clipped, learningRate: r.learningRate, tokens: r.tokens });

    if (plan.steps !== undefined && step >= plan.steps) stop = "steps";
    else if (plan.epochSteps !== undefined && step >= plan.epochSteps) stop = "epochs";
    else if (plan.seconds !== undefined && (now() - started) / 1000 >= plan.seconds) stop = "seconds";
    if (validation !== undefined && (step % every === 0 || stop !== null) && evaluateNow(step) && stop === null) stop = "early-stopping";

    if (stop === null && plan.yieldEveryMs > 0 && now() - lastYield >= plan.yieldEveryMs) {
      await yieldToEventLoop();
      lastYield = now();
    }
  }
  return finish(history, best, model, source, started, stop);
}

/** The end of a run: the best weights put back (when kept), and the history's totals. */
function finish(history: FitHistory, best: Float32Array | null, model: Trainer["model"], source: BatchSource, started: number,
  stop: StopReason): FitHistory {
  if (best !== null && history.bestStep !== null) {
    restoreParameters(model, best);
    history.restoredBest = true;
  }
  history.epochs = history.steps / source.batchesPerEpoch;
  history.stoppedBy = stop;
  history.seconds = (now() - started) / 1000;
  return history;
}

interface FitPlan {
  source: BatchSource;
  model: Trainer["model"];
  schedule: LearningRateSchedule | undefined;
  validation: BatchSource | undefined;
  every: number;
  steps: number | undefined;
  /** epochs · batchesPerEpoch, rounded up. */
  epochSteps: number | undefined;
  seconds: number | undefined;
  patience: number | undefined;
  minDelta: number;
  restore: boolean;
  yieldEveryMs: number;
}

/** Every option checked before the first step: a bad option changes nothing. */
function planFit(trainer: Trainer, data: BatchSource | readonly Batch[], options: FitOptions): FitPlan {
  if (trainer === null || typeof trainer !== "object" || typeof trainer.step !== "function") throw invalid(`trainer must be a Trainer; got ${describe(trainer)}`);
  if (options === null || typeof options !== "object") throw invalid(`options must be an object { steps | epochs | seconds, … }; got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!fitOptionNames.includes(key)) throw invalid(`unknown fit option ${JSON.stringify(key)}; the options are ${fitOptionNames.join(", ")}`);
  }
  const source = batchSource(data, "data");
  const o = options;
  if (o.steps === undefined && o.epochs === undefined && o.seconds === undefined) throw invalid("fit needs a budget: options.steps, options.epochs or options.seconds");
  const steps = o.steps === undefined ? undefined : checkPositiveInt("options.steps", o.steps);
  const epochs = o.epochs === undefined ? undefined : checkFinite("options.epochs", o.epochs, 0, Infinity, true);
  const seconds = o.seconds === undefined ? undefined : checkFinite("options.seconds", o.seconds, 0, Infinity, true);
  const epochSteps = epochs === undefined ? undefined : Math.ceil(epochs * source.batchesPerEpoch);
  const budget = steps === undefined ? epochSteps : epochSteps === undefined ? steps : Math.min(steps, epochSteps);

  const validation = o.validation === undefined ? undefined : batchSource(o.validation, "options.validation");
  const every = o.evaluateEvery === undefined ? source.batchesPerEpoch : checkPositiveInt("options.evaluateEvery", o.evaluateEvery);
  let patience: number | undefined, minDelta = 0;
  if (o.earlyStopping !== undefined) {
    if (o.earlyStopping === null || typeof o.earlyStopping !== "object") throw invalid(`options.earlyStopping must be an object { patience, minDelta? }; got ${describe(o.earlyStopping)}`);
    if (validation === undefined) throw invalid("options.earlyStopping needs options.validation: it watches the validation loss");
    patience = checkPositiveInt("options.earlyStopping.patience", o.earlyStopping.patience);
    minDelta = checkFinite("options.earlyStopping.minDelta", o.earlyStopping.minDelta ?? 0, 0);
  }
  if (o.restoreBestWeights !== undefined && typeof o.restoreBestWeights !== "boolean") throw invalid(`options.restoreBestWeights must be a boolean; got ${describe(o.restoreBestWeights)}`);
  const restore = o.restoreBestWeights ?? o.earlyStopping !== undefined;
  if (restore && validation === undefined) throw invalid("options.restoreBestWeights needs options.validation: the best weights are those of the best validation loss");

  let schedule: LearningRateSchedule | undefined;
  if (o.schedule !== undefined) {
    if (trainer.options.schedule !== undefined) throw invalid("options.schedule and the trainer's own schedule function are exclusive: give one");
    if (o.schedule instanceof LearningRateSchedule) {
      schedule = o.schedule;
    } else {
      if (budget === undefined && needsTotalSteps(o.schedule)) {
        throw invalid(`options.schedule "${typeof o.schedule === "string" ? o.schedule : o.schedule.name}" needs totalSteps when the budget is in seconds only: the learning rate never depends on time`);
      }
      schedule = new LearningRateSchedule(o.schedule, trainer.options.learningRate, budget);
    }
    if (schedule.observesMetric && validation === undefined) throw invalid("options.schedule \"plateau\" needs options.validation: it watches the validation loss");
  }
  for (const key of ["onStep", "onEvaluate"] as const) {
    if (o[key] !== undefined && typeof o[key] !== "function") throw invalid(`options.${key} must be a function; got ${describe(o[key])}`);
  }
  if (o.signal !== undefined && (o.signal === null || typeof o.signal !== "object" || typeof o.signal.aborted !== "boolean")) {
    throw invalid(`options.signal must be an AbortSignal; got ${describe(o.signal)}`);
  }
  const yieldEveryMs = checkFinite("options.yieldEveryMs", o.yieldEveryMs ?? 50, 0);
  return { source, model: trainer.model, schedule, validation, every, steps, epochSteps, seconds, patience, minDelta, restore, yieldEveryMs };
}

/** All parameters, in layout order, into `out` (parameterCount floats). */
function copyParameters(model: Trainer["model"], out: Float32Array): void {
  let at = 0;
  for (const p of model.parameters()) {
    out.set(p.data, at);
    at += p.data.length;
  }
}

function restoreParameters(model: Trainer["model"], from: Float32Array): void {
  let at = 0;
  for (const p of model.parameters()) {
    p.data.set(from.subarray(at, at + p.data.length));
    at += p.data.length;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}
