import { checkPositiveInt, describe, invalid } from "./errors.js";

/**
 * A batch of B sequences of T steps, batch-first as users hold them: element (b, t) of a token
 * batch is `inputs[b·T + t]`, of a dense batch `inputs[(b·T + t)·I + i]`.
 */
export interface Batch {
  batchSize: number;
  seqLen: number;
  /** Tokens: B·T ids in [0, inputSize). Dense: B·T·inputSize floats. */
  inputs: ArrayLike<number>;
  /** Cross-entropy: B·T class ids in [0, outputSize), or ignoreIndex (−100) for "no target". MSE: B·T·outputSize floats. */
  targets?: ArrayLike<number>;
  /** Optional B·T of 0/1: 0 means the step has no target (padding, many-to-one tasks). */
  mask?: ArrayLike<number>;
  /** Optional initial state, numLayers·B·H floats in PyTorch's (num_layers, B, H) layout; zeros when absent. */
  h0?: ArrayLike<number>;
  /** LSTM only: optional initial cell state, numLayers·B·H floats in PyTorch's (num_layers, B, H) layout; zeros when absent. */
  c0?: ArrayLike<number>;
  /**
   * Optional B integers in [1, seqLen]: sequence b has lengths[b] steps and its steps t ≥ lengths[b] are padding,
   * as pack_padded_sequence(enforce_sorted=False): no loss, no state change (finalState() holds each sequence's
   * state after its own last step; a bidirectional layer's reverse direction starts there), outputs 0.
   */
  lengths?: ArrayLike<number>;
}

export const IGNORE_INDEX = -100;

export interface BatchShape {
  cell: "rnn" | "lstm" | "gru";
  input: "tokens" | "dense";
  loss: "cross-entropy" | "mse";
  inputSize: number;
  outputSize: number;
  hiddenSize: number;
  numLayers: number;
  /** LSTM with projections: h0 has projSize units per sequence (0: hiddenSize). */
  projSize?: number;
  /** Two directions per layer: h0 and c0 hold 2·numLayers slices, layer-major then direction. */
  bidirectional?: boolean;
}

/** Check every field of a batch against the model's shape; throws before anything is written. */
export function validateBatch(batch: Batch, shape: BatchShape, needTargets: boolean): void {
  if (batch === null || typeof batch !== "object") throw invalid(`batch must be an object { batchSize, seqLen, inputs, targets? }; got ${describe(batch)}`);
  const B = checkPositiveInt("batch.batchSize", batch.batchSize);
  const T = checkPositiveInt("batch.seqLen", batch.seqLen);
  const { inputSize: I, outputSize: O, hiddenSize: H, numLayers: L } = shape;
  if (shape.input === "tokens") {
    const ids = checkLength("batch.inputs", batch.inputs, B * T, `batchSize × seqLen = ${B} × ${T}`);
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      if (!Number.isInteger(id) || id < 0 || id >= I) {
        throw invalid(`batch.inputs[${k}] (sequence ${Math.floor(k / T)}, step ${k % T}) is ${id}; expected a token id, an integer in [0, ${I})`);
      }
    }
  } else {
    checkFiniteArray("batch.inputs", checkLength("batch.inputs", batch.inputs, B * T * I, `batchSize × seqLen × inputSize = ${B} × ${T} × ${I}`));
  }
  if (batch.targets === undefined) {
    if (needTargets) throw invalid("batch.targets is missing; training needs targets");
  } else if (shape.loss === "cross-entropy") {
    const targets = checkLength("batch.targets", batch.targets, B * T, `batchSize × seqLen = ${B} × ${T}`);
    for (let k = 0; k < targets.length; k++) {
      const c = targets[k];
      if (!Number.isInteger(c) || ((c < 0 || c >= O) && c !== IGNORE_INDEX)) {
        throw invalid(`batch.targets[${k}] (sequence ${Math.floor(k / T)}, step ${k % T}) is ${c}; expected a class id, an integer in [0, ${O}), or ${IGNORE_INDEX} for no target`);
      }
    }
  } else {
    checkFiniteArray("batch.targets", checkLength("batch.targets", batch.targets, B * T * O, `batchSize × seqLen × outputSize = ${B} × ${T} × ${O}`));
  }
  if (batch.lengths !== undefined) {
    const lengths = checkLength("batch.lengths", batch.lengths, B, `batchSize = ${B}, one length per sequence`);
    for (let b = 0; b < B; b++) {
      const n = lengths[b];
      if (!Number.isInteger(n) || n < 1 || n > T) throw invalid(`batch.lengths[${b}] is ${describe(n)}; expected an integer in [1, seqLen] = [1, ${T}]`);
    }
  }
  if (batch.mask !== undefined) {
    const mask = checkLength("batch.mask", batch.mask, B * T, `batchSize × seqLen = ${B} × ${T}`);
    for (let k = 0; k < mask.length; k++) {
      if (mask[k] !== 0 && mask[k] !== 1) throw invalid(`batch.mask[${k}] is ${mask[k]}; expected 0 or 1`);
    }
  }
  // bidirectional: (2·L, B, ·), layer-major then direction, as PyTorch's h_0 and c_0
  const S = shape.bidirectional ? 2 * L : L, layers = shape.bidirectional ? `2 × numLayers × batchSize` : "numLayers × batchSize";
  const slices = shape.bidirectional ? `2 × ${L} × ${B}` : `${L} × ${B}`;
  if (batch.h0 !== undefined) {
    const P = shape.projSize ?? 0, R = P > 0 ? P : H;
    checkFiniteArray("batch.h0", checkLength("batch.h0", batch.h0, S * B * R, `${layers} × ${P > 0 ? "projSize" : "hiddenSize"} = ${slices} × ${R}`));
  }
  if (batch.c0 !== undefined) {
    if (shape.cell !== "lstm") throw invalid(`batch.c0 is the LSTM cell state; this model's cell is "${shape.cell}", whose only state is h0: leave c0 out`);
    checkFiniteArray("batch.c0", checkLength("batch.c0", batch.c0, S * B * H, `${layers} × hiddenSize = ${slices} × ${H}`));
  }
}

export function checkLength(name: string, values: unknown, expected: number, formula: string): ArrayLike<number> {
  if (values === null || typeof values !== "object" || typeof (values as ArrayLike<number>).length !== "number") {
    throw invalid(`${name} must be an array or typed array of ${expected} numbers (${formula}); got ${describe(values)}`);
  }
  const array = values as ArrayLike<number>;
  if (array.length !== expected) throw invalid(`${name} has length ${array.length}; expected ${formula} = ${expected}`);
  return array;
}

export function checkFiniteArray(name: string, values: ArrayLike<number>): void {
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (typeof v !== "number" || !Number.isFinite(v)) throw invalid(`${name}[${k}] is ${describe(v)}; expected a finite number`);
  }
}
