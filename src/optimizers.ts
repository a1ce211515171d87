/**
 * The optimizers, with torch.optim's semantics, hyperparameter names (camelCased) and defaults:
 * option validation, the state each keeps (blocks of the parameter layout in the model's arena,
 * named "optim.<state>" after PyTorch's state keys), and the one kernel call per step. Scalars that
 * depend on the step (bias corrections, Adagrad's decayed rate) are computed here in float64, as
 * PyTorch computes them in Python floats, and handed to the float32 kernels, which round them once:
 * e.g. AdamW's factor 1 − lr·weight_decay or Adam's lr / (1 − β1^t) carry a relative error of at most
 * 2^-24 each, far below the float32 roundings of the update itself.
 */
import type { Backend } from "./backend.js";
import type { Arena } from "./arena.js";
import { checkFinite, describe, invalid } from "./errors.js";
import { align16 } from "./limits.js";

export type OptimizerName = "sgd" | "adagrad" | "rmsprop" | "adam" | "adamw";
export const optimizerNames: readonly OptimizerName[] = ["sgd", "adagrad", "rmsprop", "adam", "adamw"];

/** torch.optim.SGD's hyperparameters; the default optimizer, so `optimizer` may be left out. lr has no default, as in PyTorch. */
export interface SgdOptions {
  optimizer?: "sgd";
  /** lr (required). */
  learningRate: number;
  /** Momentum factor in [0, 1] (default 0). */
  momentum?: number;
  /** Dampening for momentum in [0, 1] (default 0). */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0; default false). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

/** torch.optim.Adagrad's hyperparameters. */
export interface AdagradOptions {
  optimizer: "adagrad";
  /** lr (default 1e-2). */
  learningRate?: number;
  /** lr_decay ≥ 0 (default 0): the rate at step t is lr / (1 + (t − 1)·lrDecay). */
  lrDecay?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** initial_accumulator_value ≥ 0 (default 0). */
  initialAccumulatorValue?: number;
  /** Added to the denominator (default 1e-10). */
  eps?: number;
}

/** torch.optim.RMSprop's hyperparameters. */
export interface RmspropOptions {
  optimizer: "rmsprop";
  /** lr (default 1e-2). */
  learningRate?: number;
  /** Smoothing constant in [0, 1] (default 0.99). */
  alpha?: number;
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum factor in [0, 1] (default 0). */
  momentum?: number;
  /** Normalise by the centered second moment, an estimate of the variance (default false). */
  centered?: boolean;
}

/** torch.optim.Adam's and AdamW's hyperparameters. */
export interface AdamOptions {
  optimizer: "adam" | "adamw";
  /** lr (default 1e-3). */
  learningRate?: number;
  /** (β1, β2), each in [0, 1) (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0); AdamW: the decoupled decay p ← p·(1 − lr·weightDecay) (default 1e-2). */
  weightDecay?: number;
  /** The AMSGrad variant (default false). */
  amsgrad?: boolean;
}

/**
 * One optimizer's hyperparameters (PyTorch's names, camelCased), told apart by `optimizer`: each
 * optimizer accepts only its own options, so `{ optimizer: "adam", momentum }` and an SGD without a
 * learning rate are type errors (and, from JavaScript, INVALID_ARGUMENT errors).
 */
export type OptimizerOptions = SgdOptions | AdagradOptions | RmspropOptions | AdamOptions;

/** Every optimizer's options in one bag, as the validation reads them from untyped input. */
type AnyOptimizerOptions = { optimizer?: OptimizerName } & Partial<Omit<SgdOptions, "optimizer">> & Partial<Omit<AdagradOptions, "optimizer">> &
  Partial<Omit<RmspropOptions, "optimizer">> & Partial<Omit<AdamOptions, "optimizer">>;

export type SgdSettings = { optimizer: "sgd"; learningRate: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number };
export type AdagradSettings = { optimizer: "adagrad"; learningRate: number; lrDecay: number; weightDecay: number; initialAccumulatorValue: number; eps: number };
export type RmspropSettings = { optimizer: "rmsprop"; learningRate: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean };
export type AdamSettings = { optimizer: "adam" | "adamw"; learningRate: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean };
/** The hyperparameters of one optimizer with every default filled in: plain JSON, stored in checkpoints. */
export type OptimizerSettings = SgdSettings | AdagradSettings | RmspropSettings | AdamSettings;

/** The options each optimizer accepts, in PyTorch's argument order. */
const accepted: Record<OptimizerName, readonly (keyof AnyOptimizerOptions)[]> = {
  sgd: ["learningRate", "momentum", "dampening", "weightDecay", "nesterov"],
  adagrad: ["learningRate", "lrDecay", "weightDecay", "initialAccumulatorValue", "eps"],
  rmsprop: ["learningRate", "alpha", "eps", "weightDecay", "momentum", "centered"],
  adam: ["learningRate", "betas", "eps", "weightDecay", "amsgrad"],
  adamw: ["learningRate", "betas", "eps", "weightDecay", "amsgrad"],
};
/** Every optimizer option, for telling an option of another optimizer from an unknown one. */
export const optimizerOptionNames: readonly string[] = ["optimizer", ...new Set(Object.values(accepted).flat())];

/**
 * Validate and complete the optimizer part of trainer options: an option of another optimizer
 * (e.g. momentum for Adam) is an error, as an unexpected keyword argument is in PyTorch.
 */
export function resolveOptimizer(options: OptimizerOptions): OptimizerSettings {
  const o = options as AnyOptimizerOptions;
  const name = o.optimizer ?? "sgd";
  if (typeof name !== "string" || !(optimizerNames as readonly string[]).includes(name)) {
    throw invalid(`optimizer must be one of ${optimizerNames.map((n) => JSON.stringify(n)).join(", ")}; got ${describe(name)}`);
  }
  const own = accepted[name as OptimizerName];
  for (const key of optimizerOptionNames) {
    if (key === "optimizer" || own.includes(key as keyof AnyOptimizerOptions)) continue;
    if ((o as Record<string, unknown>)[key] !== undefined) {
      throw invalid(`${key} is not an option of the ${name} optimizer; its options are ${own.join(", ")}`);
    }
  }
  const lr = (fallback: number | undefined) => checkFinite("learningRate", o.learningRate ?? fallback, 0, Infinity, true);
  const weightDecay = (fallback: number) => checkFinite("weightDecay", o.weightDecay ?? fallback, 0);
  const eps = (fallback: number) => checkFinite("eps", o.eps ?? fallback, 0);
  switch (name as OptimizerName) {
    case "sgd": {
      const s: SgdSettings = {
        optimizer: "sgd", learningRate: lr(undefined), momentum: checkFinite("momentum", o.momentum ?? 0, 0, 1),
        dampening: checkFinite("dampening", o.dampening ?? 0, 0, 1), nesterov: flag("nesterov", o.nesterov), weightDecay: weightDecay(0),
      };
      if (s.nesterov && (s.momentum === 0 || s.dampening !== 0)) throw invalid("nesterov needs momentum > 0 and dampening = 0");
      return s;
    }
    case "adagrad":
      return {
        optimizer: "adagrad", learningRate: lr(1e-2), lrDecay: checkFinite("lrDecay", o.lrDecay ?? 0, 0), weightDecay: weightDecay(0),
        initialAccumulatorValue: checkFinite("initialAccumulatorValue", o.initialAccumulatorValue ?? 0, 0), eps: eps(1e-10),
      };
    case "rmsprop":
      return {
        optimizer: "rmsprop", learningRate: lr(1e-2), alpha: checkFinite("alpha", o.alpha ?? 0.99, 0, 1), eps: eps(1e-8),
        weightDecay: weightDecay(0), momentum: checkFinite("momentum", o.momentum ?? 0, 0, 1), centered: flag("centered", o.centered),
      };
    case "adam":
    case "adamw":
      return {
        optimizer: name as "adam" | "adamw", learningRate: lr(1e-3), betas: betas(o.betas), eps: eps(1e-8),
        weightDecay: weightDecay(name === "adamw" ? 1e-2 : 0), amsgrad: flag("amsgrad", o.amsgrad),
      };
  }
}

function flag(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw invalid(`${name} must be a boolean; got ${describe(value)}`);
  return value;
}

function betas(value: unknown): [number, number] {
  if (value === undefined) return [0.9, 0.999];
  if (!Array.isArray(value) || value.length !== 2) throw invalid(`betas must be a pair [beta1, beta2]; got ${describe(value)}`);
  return value.map((b, i) => {
    if (typeof b !== "number" || !Number.isFinite(b) || b < 0 || b >= 1) throw invalid(`betas[${i}] must be a finite number in [0, 1); got ${describe(b)}`);
    return b;
  }) as [number, number];
}

/** The state tensors an optimizer keeps, by PyTorch's state key, each a block "optim.<key>" of the parameter layout. */
export function optimizerStateNames(s: OptimizerSettings): string[] {
  switch (s.optimizer) {
    case "sgd":
      return s.momentum > 0 ? ["momentum_buffer"] : [];
    case "adagrad":
      return ["sum"];
    case "rmsprop":
      return ["square_avg", ...(s.momentum > 0 ? ["momentum_buffer"] : []), ...(s.centered ? ["grad_avg"] : [])];
    case "adam":
    case "adamw":
      return ["exp_avg", "exp_avg_sq", ...(s.amsgrad ? ["max_exp_avg_sq"] : [])];
  }
}

/** Allocate (or reset) the state blocks in the arena, filled as PyTorch initialises them. */
export function initOptimizerState(backend: Backend, arena: Arena, s: OptimizerSettings, span: number): void {
  // all the blocks checked at once (float64), so that a state that does not fit adds none of them
  const missing = optimizerStateNames(s).filter((state) => !arena.has(`optim.${state}`));
  arena.checkRoom(missing.length * align16(span * 4), `the ${s.optimizer} optimizer's state (${missing.join(", ")})`);
  for (const state of optimizerStateNames(s)) {
    arena.define(`optim.${state}`, span * 4);
    const initial = s.optimizer === "adagrad" ? s.initialAccumulatorValue : 0;
    backend.fill(arena.block(`optim.${state}`), span, initial);
  }
}

/**
 * One update of all `span` parameters from the (clipped) gradients, at 1-based step `t` with
 * learning rate `lr` (the schedule's). One kernel call over the whole block.
 */
export function optimizerStep(backend: Backend, arena: Arena, s: OptimizerSettings, span: number, lr: number, t: number): void {
  const params = arena.block("params"), grads = arena.block("grads");
  const state = (name: string) => arena.block(`optim.${name}`);
  switch (s.optimizer) {
    case "sgd":
      backend.sgdStep(params, grads, s.momentum > 0 ? state("momentum_buffer") : 0, span, lr, s.momentum, s.dampening, s.weightDecay,
        s.nesterov ? 1 : 0, t === 1 ? 1 : 0);
      return;
    case "adagrad":
      backend.adagradStep(params, grads, state("sum"), span, lr / (1 + (t - 1) * s.lrDecay), s.weightDecay, s.eps);
      return;
    case "rmsprop":
      backend.rmspropStep(params, grads, state("square_avg"), s.centered ? state("grad_avg") : 0, s.momentum > 0 ? state("momentum_buffer") : 0, span,
        lr, s.alpha, s.eps, s.weightDecay, s.momentum, s.centered ? 1 : 0);
      return;
    case "adam":
    case "adamw": {
      const [beta1, beta2] = s.betas;
      const stepSize = lr / (1 - beta1 ** t), bc2Sqrt = Math.sqrt(1 - beta2 ** t);
      const maxSq = s.amsgrad ? state("max_exp_avg_sq") : 0, amsgrad = s.amsgrad ? 1 : 0;
      if (s.optimizer === "adam") {
        backend.adamStep(params, grads, state("exp_avg"), state("exp_avg_sq"), maxSq, span, stepSize, beta1, beta2, s.eps, s.weightDecay, bc2Sqrt, amsgrad);
      } else {
        backend.adamwStep(params, grads, state("exp_avg"), state("exp_avg_sq"), maxSq, span, stepSize, beta1, beta2, s.eps, 1 - lr * s.weightDecay, bc2Sqrt, amsgrad);
      }
    }
  }
}
