import { expect, it } from "vitest";
import { RNN, type Batch, type RNNOptions } from "../../src/index.js";
import { replaySgdTrajectory, type SgdTrajectory } from "./trajectory.js";

/** What every PyTorch golden record holds (test/fixtures/make_*_fixtures.py): the weights, one batch, PyTorch's results. */
export interface GoldenPass {
  name: string;
  batchSize: number;
  seqLen: number;
  /** Every parameter by its state_dict name (rnn.*, head.*), row-major. */
  parameters: Record<string, number[]>;
  /** Token ids, or B·T·I floats. */
  inputs: number[];
  /** Class ids (-100: none), or B·T·O floats. */
  targets: number[];
  mask: number[] | null;
  /** (L, B, H) initial state, or null for zeros. */
  h0: number[] | null;
  /** LSTM: (L, B, H) initial cell state, or null for zeros. */
  c0?: number[] | null;
  expected: {
    loss: number;
    count: number;
    outputs: number[];
    finalState: number[];
    finalCellState?: number[];
    gradients: Record<string, number[]>;
    h0Gradient: number[];
    c0Gradient?: number[];
  };
}

/** Elementwise tolerance against a float64 reference: |actual − expected| ≤ rtol·|expected| + atol. */
export interface Tolerance { rtol: number; atol: number }
/** One forward + backward pass in float32 against PyTorch in float64 (see test/golden-cells.test.ts for how it was set). */
export const PASS: Tolerance = { rtol: 1e-5, atol: 1e-6 };
/** Five SGD steps compound five passes' float32 differences. */
export const TRAJECTORY: Tolerance = { rtol: 3e-5, atol: 3e-6 };

/** The worst errors seen per key, for the suites that can write them out. */
export type ErrorStats = Record<string, { maxAbs: number; maxRatio: number }>;

/**
 * Expects `actual` within `tol` of `expected`, element by element (NaN fails), naming the worst
 * element; records the largest |difference| and share of the bound under `key` in `stats`.
 */
export function expectClose(stats: ErrorStats, key: string, label: string, actual: ArrayLike<number>, expected: ArrayLike<number>,
  tol: Tolerance = PASS): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = 0, at = 0, maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    const d = Number.isNaN(diff) ? Infinity : diff;
    const ratio = d / (tol.rtol * Math.abs(expected[i]) + tol.atol);
    if (ratio > worst) { worst = ratio; at = i; }
    maxAbs = Math.max(maxAbs, d);
  }
  const s = (stats[key] ??= { maxAbs: 0, maxRatio: 0 });
  s.maxAbs = Math.max(s.maxAbs, maxAbs);
  s.maxRatio = Math.max(s.maxRatio, worst);
  expect(worst, `${label}[${at}] is ${actual[at]}; PyTorch gives ${expected[at]}`).toBeLessThanOrEqual(1);
}

/** Just what a golden pass reads of a model after forward + zeroGrad + backward. */
interface PassedModel {
  outputs(): ArrayLike<number>;
  finalState(): ArrayLike<number>;
  finalCellState(): ArrayLike<number>;
  initialStateGradient(): ArrayLike<number>;
  initialCellStateGradient(): ArrayLike<number>;
  getGradient(name: string): ArrayLike<number>;
}

/**
 * A golden pass's checks, each through `close(label, actual, expected)`: the loss, the outputs, the
 * final state, every parameter's gradient, the initial state's gradient, and with a cell state (LSTM)
 * the final c and its initial gradient. `shapes` names the states' layouts in the labels.
 */
export function expectPass(close: (label: string, actual: ArrayLike<number>, expected: ArrayLike<number>) => void, model: PassedModel,
  loss: number, e: GoldenPass["expected"], cellState: boolean, shapes: { h: string; c: string } = { h: "", c: "" }): void {
  close("loss", [loss], [e.loss]);
  close("outputs", model.outputs(), e.outputs);
  close(`finalState${shapes.h}`, model.finalState(), e.finalState);
  for (const [name, grad] of Object.entries(e.gradients)) close(`gradient of ${name}`, model.getGradient(name), grad);
  close("initialStateGradient", model.initialStateGradient(), e.h0Gradient);
  if (cellState) {
    close(`finalCellState${shapes.c}`, model.finalCellState(), e.finalCellState!);
    close("initialCellStateGradient", model.initialCellStateGradient(), e.c0Gradient!);
  }
}

/** A golden record's batch: its inputs and targets, and the mask, h0, c0 and lengths it has. */
export function goldenBatch(c: GoldenPass & { lengths?: number[] }): Batch {
  return {
    batchSize: c.batchSize, seqLen: c.seqLen, inputs: c.inputs, targets: c.targets,
    ...(c.mask == null ? {} : { mask: c.mask }),
    ...(c.h0 == null ? {} : { h0: c.h0 }),
    ...(c.c0 == null ? {} : { c0: c.c0 }),
    ...(c.lengths === undefined ? {} : { lengths: c.lengths }),
  };
}

/** A golden record of the layer-feature suites: the layer's configuration, one pass, the dropout generator's state, maybe a trajectory. */
export interface FeatureRecord extends GoldenPass {
  input: "tokens" | "dense";
  inputSize: number;
  embeddingSize: number;
  hiddenSize: number;
  outputSize: number;
  numLayers: number;
  dropout: number;
  dropoutState: number[] | null;
  loss: "cross-entropy" | "mse";
  trajectory?: SgdTrajectory;
}

/** A model made with `options`, holding the record's weights (its parameter names must be the record's) and dropout state. */
export function goldenModel(options: RNNOptions, record: FeatureRecord): RNN {
  const model = new RNN({ ...options, seed: 1 });
  expect(model.parameters().map((p) => p.name)).toEqual(Object.keys(record.parameters));
  for (const [name, values] of Object.entries(record.parameters)) model.setParameter(name, values);
  if (record.dropoutState !== null) model.setDropoutState(record.dropoutState);
  return model;
}

/**
 * The tests of one record: a forward (in training mode when the record drops) and backward against
 * PyTorch, with `check` for a suite's own expectations of the result, and the record's SGD trajectory
 * when it has one. Errors go through `close(key, …)`; the trajectory's under `${key} trajectory`.
 */
export function goldenRecordTests(o: {
  record: FeatureRecord;
  build: () => RNN;
  close: (key: string, label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol?: Tolerance) => void;
  key: string;
  cellState: boolean;
  shapes?: { h: string; c: string };
  passTitle?: string;
  trajectoryTitle?: (steps: number) => string;
  check?: (result: { count: number }) => void;
}): void {
  const batch = goldenBatch(o.record);
  it(o.passTitle ?? "forward and backward match PyTorch", () => {
    const model = o.build();
    try {
      const r = model.forward(batch, { training: o.record.dropout > 0 });
      model.zeroGrad();
      model.backward();
      o.check?.(r);
      expectPass((label, actual, expected) => o.close(o.key, label, actual, expected), model, r.loss, o.record.expected, o.cellState, o.shapes);
    } finally {
      model.dispose();
    }
  });
  const trajectory = o.record.trajectory;
  if (trajectory === undefined) return;
  it(o.trajectoryTitle?.(trajectory.steps) ?? `${trajectory.steps} SGD steps follow torch.optim.SGD`, () => {
    const model = o.build();
    try {
      replaySgdTrajectory(model, batch, trajectory, (_q, label, actual, expected) => o.close(`${o.key} trajectory`, label, actual, expected, TRAJECTORY));
    } finally {
      model.dispose();
    }
  });
}
