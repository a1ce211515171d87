import type { Batch } from "./batch.js";
import { checkFinite, invalid } from "./errors.js";
import type { RNN } from "./model.js";
import { Random } from "./random.js";

export interface GradientCheckOptions {
  /**
   * Finite-difference step. Default 1e-2 for smooth models (tanh, LSTM, GRU): the float32 rounding
   * noise of a central difference grows as 1/ε while its truncation error, O(ε²), stays far below it;
   * 1e-3 with ReLU layers, small enough not to carry a pre-activation across the kink at 0.
   */
  epsilon?: number;
  /** Check at most this many entries per tensor, drawn at random (default: all). */
  maxEntriesPerTensor?: number;
  /**
   * Gradients smaller than this are compared absolutely: error = |a − n| / max(|a| + |n|, floor).
   * Default max(1e-3, 20·u·|L|/ε) with u = 2⁻²⁴: the float32 rounding noise of a central difference
   * of the loss L grows like u·|L|/ε, so entries below that level cannot be judged relatively.
   */
  floor?: number;
  seed?: number;
  /**
   * Check the training pass: with dropout, every forward of the check draws the same masks (the
   * model's dropout PRNG is rewound to its state at the start before each one). Default false.
   */
  training?: boolean;
}

export interface GradientCheckResult {
  /** Parameter name, or "h0" / "c0" for the initial hidden / cell state (checked when the batch gives one). */
  name: string;
  /** Worst symmetric relative error |a − n| / max(|a| + |n|, floor) over the checked entries. */
  maxRelativeError: number;
  /** Where the worst error is, with the analytic and numeric values. */
  worst: { index: number; analytic: number; numeric: number };
  checked: number;
}

/**
 * Compare the model's backpropagated gradients with central finite differences
 * (L(θ + ε) − L(θ − ε)) / 2ε of the summed loss, entry by entry. The model's parameters are
 * restored exactly; its gradients hold the analytic values afterwards.
 */
export function gradientCheck(model: RNN, batch: Batch, options: GradientCheckOptions = {}): GradientCheckResult[] {
  const smooth = model.config.cell !== "rnn" || model.config.nonlinearity !== "relu";
  const epsilon = checkFinite("epsilon", options.epsilon ?? (smooth ? 1e-2 : 1e-3), 0, Infinity, true);
  const limit = options.maxEntriesPerTensor ?? Infinity;
  if (batch.targets === undefined) throw invalid("gradientCheck needs a batch with targets");
  const rng = new Random(options.seed ?? 0);
  const training = options.training === true;
  const dropoutState = training && model.config.dropout > 0 ? model.getDropoutState() : null;
  const forward = (b: Batch) => {
    if (dropoutState !== null) model.setDropoutState(dropoutState);
    return model.forward(b, { training });
  };
  const loss = forward(batch).loss;
  const floor = checkFinite("floor", options.floor ?? Math.max(1e-3, (20 * 2 ** -24 * Math.abs(loss)) / epsilon), 0, Infinity, true);
  model.zeroGrad();
  model.backward();
  const results: GradientCheckResult[] = [];
  const lossAt = (b: Batch) => forward(b).loss;
  for (const { name, data } of model.parameters()) {
    const analytic = model.getGradient(name);
    const params = model.getParameter(name);
    const indices = pick(data.length, limit, rng);
    const result: GradientCheckResult = { name, maxRelativeError: 0, worst: { index: -1, analytic: 0, numeric: 0 }, checked: 0 };
    for (const i of indices) {
      const original = params[i];
      params[i] = original + epsilon;
      model.setParameter(name, params);
      const up = lossAt(batch);
      params[i] = original - epsilon;
      model.setParameter(name, params);
      const down = lossAt(batch);
      params[i] = original;
      model.setParameter(name, params);
      record(result, i, analytic[i], (up - down) / (2 * epsilon), floor);
    }
    results.push(result);
  }
  // the initial states given in the batch: h0, and c0 for LSTM
  const states = [
    { name: "h0", values: batch.h0, gradient: () => model.initialStateGradient() },
    { name: "c0", values: batch.c0, gradient: () => model.initialCellStateGradient() },
  ] as const;
  for (const state of states) {
    if (state.values === undefined) continue;
    forward(batch);
    model.zeroGrad();
    model.backward();
    const analytic = state.gradient();
    const values = Float32Array.from(state.values);
    const at = (v: Float32Array): Batch => ({ ...batch, [state.name]: v });
    const result: GradientCheckResult = { name: state.name, maxRelativeError: 0, worst: { index: -1, analytic: 0, numeric: 0 }, checked: 0 };
    for (const i of pick(values.length, limit, rng)) {
      const original = values[i];
      values[i] = original + epsilon;
      const up = lossAt(at(values));
      values[i] = original - epsilon;
      const down = lossAt(at(values));
      values[i] = original;
      record(result, i, analytic[i], (up - down) / (2 * epsilon), floor);
    }
    results.push(result);
  }
  // leave the gradients and caches of the unperturbed batch behind
  forward(batch);
  model.zeroGrad();
  model.backward();
  return results;
}

function record(result: GradientCheckResult, index: number, analytic: number, numeric: number, floor: number): void {
  const error = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic) + Math.abs(numeric), floor);
  result.checked++;
  if (error >= result.maxRelativeError) {
    result.maxRelativeError = error;
    result.worst = { index, analytic, numeric };
  }
}

function pick(n: number, limit: number, rng: Random): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  return n <= limit ? all : rng.shuffle(all).slice(0, limit).sort((a, b) => a - b);
}
