/**
 * Learning-rate schedules as named presets, described by plain JSON options so that a worker job or a
 * command line can name them: "constant", "linear" and "cosine" (each with an optional linear
 * warm-up), "step" and "plateau" (reduce on plateau). Each preset is one of PyTorch's
 * torch.optim.lr_scheduler schedulers stepped once per training step: the rate of 1-based step t is
 * the one PyTorch's optimizer holds after t − 1 calls of scheduler.step(). With base rate b, W warm-up
 * steps, N total steps, f the final factor, and s = t − W − 1 the steps since the warm-up, D = N − W:
 *
 *   warm-up (t ≤ W)  b·t/W                                  LinearLR(1/W, 1, total_iters=W−1)
 *   constant         b
 *   linear           b·(1 − (1 − f)·min(s, D)/D)            LinearLR(1, f, total_iters=D), after SequentialLR's milestone W
 *   cosine           b·(f + (1 − f)·(1 + cos(π·min(s, D)/D))/2)   CosineAnnealingLR(T_max=D, eta_min=f·b), likewise
 *   step             b·gamma^⌊(t − 1)/stepSize⌋             StepLR(step_size, gamma)
 *   plateau          multiplied by `factor` (not below minLearningRate) after more than `patience`
 *                    observed metrics in a row without improvement   ReduceLROnPlateau(mode="min")
 *
 * Past N, linear and cosine stay at f·b (PyTorch's cosine would rise again). The generator of the
 * golden sequences is test/fixtures/make_schedule_fixtures.py.
 */
import { BpttError, checkFinite, checkOneOf, describe, invalid } from "./errors.js";

export type ScheduleName = "constant" | "linear" | "cosine" | "step" | "plateau";
export const scheduleNames: readonly ScheduleName[] = ["constant", "linear", "cosine", "step", "plateau"];

/** A constant rate, after an optional linear warm-up. */
export interface ConstantSchedule {
  name: "constant";
  /** Steps of linear warm-up: step t ≤ W runs at b·t/W (default 0: none). */
  warmupSteps?: number;
}

/** A linear or cosine decay from b to finalFactor·b over totalSteps, after an optional linear warm-up. */
export interface DecaySchedule {
  name: "linear" | "cosine";
  /** N, the steps the schedule spans, warm-up included. `fit` fills it in from its budget in steps or epochs. */
  totalSteps?: number;
  /** Steps of linear warm-up (default 0). */
  warmupSteps?: number;
  /** The rate reached at the end, as a fraction of b, in [0, 1] (default 0). */
  finalFactor?: number;
}

/** The rate multiplied by gamma every stepSize steps. */
export interface StepDecaySchedule {
  name: "step";
  stepSize: number;
  /** Default 0.1. */
  gamma?: number;
}

/** ReduceLROnPlateau with mode "min": the rate falls when the observed metric (a validation loss) stops improving. */
export interface PlateauSchedule {
  name: "plateau";
  /** Multiplier of the rate at each reduction, in (0, 1) (default 0.1). */
  factor?: number;
  /** Observations without improvement tolerated before a reduction (default 10). */
  patience?: number;
  /** Improvement needed to count (default 1e-4). */
  threshold?: number;
  /** "rel" (default): better means below best·(1 − threshold); "abs": below best − threshold. */
  thresholdMode?: "rel" | "abs";
  /** Observations to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** The rate never goes below this (default 0). */
  minLearningRate?: number;
  /** A reduction smaller than eps is skipped (default 1e-8). */
  eps?: number;
}

/** A schedule preset by its options, or by its name alone (every option at its default). */
export type ScheduleOptions = ConstantSchedule | DecaySchedule | StepDecaySchedule | PlateauSchedule;

/** Where a plateau schedule stands: plain JSON, for checkpoints. */
export interface ScheduleState {
  learningRate: number;
  best: number;
  badObservations: number;
  cooldownLeft: number;
}

const optionNames: Record<ScheduleName, readonly string[]> = {
  constant: ["warmupSteps"],
  linear: ["totalSteps", "warmupSteps", "finalFactor"],
  cosine: ["totalSteps", "warmupSteps", "finalFactor"],
  step: ["stepSize", "gamma"],
  plateau: ["factor", "patience", "threshold", "thresholdMode", "cooldown", "minLearningRate", "eps"],
};

/**
 * A learning-rate schedule bound to its base rate. `rate(t)` gives the rate of 1-based step t;
 * reduce-on-plateau also needs `observe(metric)` after each evaluation (`fit` does both).
 * As a Trainer option: `schedule: (t) => s.rate(t)`.
 */
export class LearningRateSchedule {
  /** The options with every default filled in (plain JSON). */
  readonly options: Readonly<Required<ConstantSchedule> | Required<DecaySchedule> | Required<StepDecaySchedule> | Required<PlateauSchedule>>;
  readonly baseLearningRate: number;
  #state: ScheduleState;

  /** `totalSteps` is the default N of "linear" and "cosine" when their options do not give one. */
  constructor(options: ScheduleOptions | ScheduleName, baseLearningRate: number, totalSteps?: number) {
    this.baseLearningRate = checkFinite("baseLearningRate", baseLearningRate, 0, Infinity, true);
    this.options = resolveSchedule(options, totalSteps);
    this.#state = { learningRate: baseLearningRate, best: Infinity, badObservations: 0, cooldownLeft: 0 };
  }

  /** Whether the schedule reads observed metrics (reduce-on-plateau). */
  get observesMetric(): boolean {
    return this.options.name === "plateau";
  }

  /** The learning rate of 1-based step `step`. */
  rate(step: number): number {
    if (!Number.isInteger(step) || step < 1) throw invalid(`step must be a positive integer (1-based); got ${describe(step)}`);
    const o = this.options, b = this.baseLearningRate;
    switch (o.name) {
      case "plateau":
        return this.#state.learningRate;
      case "step":
        return b * o.gamma ** Math.floor((step - 1) / o.stepSize);
      default: {
        const W = o.warmupSteps;
        if (step <= W) return (b * step) / W;
        if (o.name === "constant") return b;
        const D = o.totalSteps - W, progress = Math.min(step - W - 1, D) / D, f = o.finalFactor;
        return o.name === "linear" ? b * (1 - (1 - f) * progress) : b * (f + ((1 - f) * (1 + Math.cos(Math.PI * progress))) / 2);
      }
    }
  }

  /** Report a metric to minimise (a validation loss). Changes only a plateau schedule; a no-op for the others. */
  observe(metric: number): void {
    checkFinite("metric", metric);
    const o = this.options;
    if (o.name !== "plateau") return;
    const s = this.#state;
    const better = o.thresholdMode === "rel" ? metric < s.best * (1 - o.threshold) : metric < s.best - o.threshold;
    if (better) {
      s.best = metric;
      s.badObservations = 0;
    } else {
      s.badObservations++;
    }
    if (s.cooldownLeft > 0) {
      s.cooldownLeft--;
      s.badObservations = 0;
    }
    if (s.badObservations > o.patience) {
      const reduced = Math.max(s.learningRate * o.factor, o.minLearningRate);
      if (s.learningRate - reduced > o.eps) s.learningRate = reduced;
      s.cooldownLeft = o.cooldown;
      s.badObservations = 0;
    }
  }

  /** A copy of the plateau state (the others have none that changes). */
  getState(): ScheduleState {
    return { ...this.#state };
  }

  setState(state: ScheduleState): void {
    if (state === null || typeof state !== "object") throw invalid(`schedule state must be an object { learningRate, best, badObservations, cooldownLeft }; got ${describe(state)}`);
    const next: ScheduleState = {
      learningRate: checkFinite("state.learningRate", state.learningRate, 0),
      best: typeof state.best === "number" && state.best === Infinity ? Infinity : checkFinite("state.best", state.best),
      badObservations: checkCount("state.badObservations", state.badObservations),
      cooldownLeft: checkCount("state.cooldownLeft", state.cooldownLeft),
    };
    this.#state = next;
  }
}

/** Validate schedule options and fill in the defaults; `totalSteps` is the fallback N of linear and cosine. */
export function resolveSchedule(options: ScheduleOptions | ScheduleName, totalSteps?: number): LearningRateSchedule["options"] {
  const o = (typeof options === "string" ? { name: options } : options) as Record<string, unknown>;
  if (o === null || typeof o !== "object") throw invalid(`schedule must be a preset name (${scheduleNames.join(", ")}) or options { name, … }; got ${describe(options)}`);
  const name = checkOneOf("schedule.name", o.name, scheduleNames);
  for (const key of Object.keys(o)) {
    if (key !== "name" && !optionNames[name].includes(key)) {
      throw invalid(`schedule.${key} is not an option of the "${name}" schedule; its options are ${optionNames[name].join(", ") || "none"}`);
    }
  }
  const count = (key: string, fallback: number) => checkCount(`schedule.${key}`, o[key] ?? fallback);
  switch (name) {
    case "constant":
      return { name, warmupSteps: count("warmupSteps", 0) };
    case "linear":
    case "cosine": {
      const N = o.totalSteps ?? totalSteps;
      if (N === undefined) throw invalid(`schedule.totalSteps is missing: the "${name}" schedule decays over a number of steps (fit fills it in from a budget in steps or epochs, never from seconds)`);
      const warmupSteps = count("warmupSteps", 0);
      const steps = checkCount("schedule.totalSteps", N);
      if (steps <= warmupSteps) throw invalid(`schedule.totalSteps is ${steps}; expected more than warmupSteps = ${warmupSteps}`);
      return { name, totalSteps: steps, warmupSteps, finalFactor: checkFinite("schedule.finalFactor", o.finalFactor ?? 0, 0, 1) };
    }
    case "step": {
      if (o.stepSize === undefined) throw invalid(`schedule.stepSize is missing: the "step" schedule multiplies the rate by gamma every stepSize steps`);
      const stepSize = checkCount("schedule.stepSize", o.stepSize);
      if (stepSize === 0) throw invalid("schedule.stepSize must be a positive integer; got 0");
      return { name, stepSize, gamma: checkFinite("schedule.gamma", o.gamma ?? 0.1, 0, Infinity, true) };
    }
    case "plateau": {
      const factor = checkFinite("schedule.factor", o.factor ?? 0.1, 0, 1, true);
      if (factor === 1) throw invalid("schedule.factor must be below 1 (it multiplies the rate at each reduction); got 1");
      return {
        name, factor, patience: count("patience", 10), threshold: checkFinite("schedule.threshold", o.threshold ?? 1e-4, 0),
        thresholdMode: checkOneOf("schedule.thresholdMode", o.thresholdMode ?? "rel", ["rel", "abs"] as const), cooldown: count("cooldown", 0),
        minLearningRate: checkFinite("schedule.minLearningRate", o.minLearningRate ?? 0, 0), eps: checkFinite("schedule.eps", o.eps ?? 1e-8, 0),
      };
    }
  }
}

/** Whether a schedule's options leave its length to the caller (linear or cosine without totalSteps). */
export function needsTotalSteps(options: ScheduleOptions | ScheduleName): boolean {
  const o = typeof options === "string" ? { name: options } : options;
  return o !== null && typeof o === "object" && (o.name === "linear" || o.name === "cosine") && (o as DecaySchedule).totalSteps === undefined;
}

function checkCount(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new BpttError("INVALID_ARGUMENT", `${name} must be a non-negative integer; got ${describe(value)}`);
  return value;
}
