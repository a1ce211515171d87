/**
 * Separate sequences of different lengths (names, sentences, many-to-one examples) batched for
 * training: each epoch shuffles the examples (seeded), takes them B at a time, and pads every row to
 * the longest sequence of its batch:
 *
 *   padded steps: input 0 (ids) or zeros (dense), target IGNORE_INDEX (−100), mask 0
 *
 * Every batch carries a mask (the example's own mask, 0 on padding), so padding adds nothing to the
 * loss of either kind: cross-entropy skips −100 and masked steps, MSE skips masked steps. Rows are
 * padded on the right, so a many-to-one target at a row's last real step sees only that row's inputs.
 * With `lengths: true` every batch also carries the examples' lengths (pack_padded_sequence): padding
 * then changes no state either, and a bidirectional model's reverse direction starts at each example's end.
 */
import { IGNORE_INDEX, type Batch } from "../batch.js";
import { checkPositiveInt, describe, invalid } from "../errors.js";
import { Random } from "../random.js";
import type { Example } from "./examples.js";
import type { BatchSource } from "./source.js";

export interface ExampleBatchOptions {
  /** B: examples per batch. */
  batchSize: number;
  /** Reorder the examples at every epoch (default true); false keeps their order (evaluation). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0): the same seed gives the same order of every epoch. */
  seed?: number;
  /** Leave out the last batch of an epoch when it has fewer than B examples (default false: it is a smaller batch). */
  dropLast?: boolean;
  /**
   * Give every batch `lengths`, the examples' own numbers of steps (default false): the padding is then
   * packed as pack_padded_sequence packs it — no state change, final states at each example's own end,
   * and a bidirectional model's reverse direction starting there. Without it the padding only has no target.
   */
  lengths?: boolean;
}

export class ExampleBatches implements BatchSource {
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  readonly stateful = false;
  /** Floats per input step (1: token ids) and per target step (1: class ids), the same for every example. */
  readonly inputWidth: number;
  readonly targetWidth: number;
  readonly #examples: { inputs: ArrayLike<number>; targets: ArrayLike<number>; mask: ArrayLike<number> | undefined; steps: number }[];
  readonly #shuffle: boolean;
  readonly #seed: number;
  readonly #order: Int32Array;
  readonly #random = new Random(0);
  #orderEpoch = -1;
  readonly #inputs: Float64Array;
  readonly #targets: Float64Array;
  readonly #mask: Uint8Array;
  /** The examples' lengths per batch row, when options.lengths asks for them; else null. */
  readonly #lengths: Int32Array | null;

  constructor(examples: readonly Example[], options: ExampleBatchOptions) {
    if (!Array.isArray(examples) || examples.length === 0) throw invalid(`examples must be a non-empty array of { inputs, targets, mask?, steps? }; got ${describe(examples)}`);
    if (options === null || typeof options !== "object") throw invalid(`options must be an object { batchSize, shuffle?, seed?, dropLast?, lengths? }; got ${describe(options)}`);
    const B = checkPositiveInt("options.batchSize", options.batchSize);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw invalid(`options.seed must be an integer in [0, 2^32); got ${describe(seed)}`);
    for (const key of ["shuffle", "dropLast", "lengths"] as const) {
      if (options[key] !== undefined && typeof options[key] !== "boolean") throw invalid(`options.${key} must be a boolean; got ${describe(options[key])}`);
    }
    let inputWidth = 0, targetWidth = 0, longest = 0;
    this.#examples = examples.map((e: Example, i) => {
      if (e === null || typeof e !== "object") throw invalid(`examples[${i}] must be an object { inputs, targets, mask?, steps? }; got ${describe(e)}`);
      const steps = e.steps ?? lengthOf(`examples[${i}].inputs`, e.inputs);
      checkPositiveInt(`examples[${i}].steps`, steps);
      const iw = widthOf(`examples[${i}].inputs`, e.inputs, steps), tw = widthOf(`examples[${i}].targets`, e.targets, steps);
      if (i === 0) [inputWidth, targetWidth] = [iw, tw];
      if (iw !== inputWidth) throw invalid(`examples[${i}] has ${iw} input values per step; examples[0] has ${inputWidth}`);
      if (tw !== targetWidth) throw invalid(`examples[${i}] has ${tw} target values per step; examples[0] has ${targetWidth}`);
      if (e.mask !== undefined) {
        if (lengthOf(`examples[${i}].mask`, e.mask) !== steps) throw invalid(`examples[${i}].mask has length ${e.mask.length}; expected steps = ${steps}`);
        for (let t = 0; t < steps; t++) if (e.mask[t] !== 0 && e.mask[t] !== 1) throw invalid(`examples[${i}].mask[${t}] is ${describe(e.mask[t])}; expected 0 or 1`);
      }
      longest = Math.max(longest, steps);
      return { inputs: e.inputs, targets: e.targets, mask: e.mask, steps };
    });
    const n = examples.length;
    if (options.dropLast === true && n < B) throw invalid(`examples has ${n} entries, fewer than batchSize = ${B}, and dropLast leaves no batch`);
    this.batchSize = B;
    this.batchesPerEpoch = options.dropLast === true ? Math.floor(n / B) : Math.ceil(n / B);
    this.inputWidth = inputWidth;
    this.targetWidth = targetWidth;
    this.#shuffle = options.shuffle ?? true;
    this.#seed = seed;
    this.#order = Int32Array.from({ length: n }, (_, i) => i);
    this.#inputs = new Float64Array(B * longest * inputWidth);
    this.#targets = new Float64Array(B * longest * targetWidth);
    this.#mask = new Uint8Array(B * longest);
    this.#lengths = options.lengths === true ? new Int32Array(B) : null;
  }

  /** Batch k of epoch `epoch`: rows padded to the longest example of the batch. Shares its arrays with every other batch. */
  batch(k: number, epoch = 0): Batch {
    if (!Number.isInteger(k) || k < 0 || k >= this.batchesPerEpoch) throw invalid(`k must be an integer in [0, ${this.batchesPerEpoch}); got ${describe(k)}`);
    if (!Number.isInteger(epoch) || epoch < 0) throw invalid(`epoch must be a non-negative integer; got ${describe(epoch)}`);
    const order = this.#orderOf(epoch);
    const first = k * this.batchSize, B = Math.min(this.batchSize, order.length - first);
    let T = 0;
    for (let b = 0; b < B; b++) T = Math.max(T, this.#examples[order[first + b]].steps);
    const I = this.inputWidth, O = this.targetWidth;
    const inputs = this.#inputs.subarray(0, B * T * I), targets = this.#targets.subarray(0, B * T * O), mask = this.#mask.subarray(0, B * T);
    inputs.fill(0);
    targets.fill(IGNORE_INDEX);
    mask.fill(0);
    for (let b = 0; b < B; b++) {
      const e = this.#examples[order[first + b]];
      for (let j = 0; j < e.steps * I; j++) inputs[b * T * I + j] = e.inputs[j];
      for (let j = 0; j < e.steps * O; j++) targets[b * T * O + j] = e.targets[j];
      for (let t = 0; t < e.steps; t++) mask[b * T + t] = e.mask === undefined ? 1 : e.mask[t];
      if (this.#lengths !== null) this.#lengths[b] = e.steps;
    }
    const batch: Batch = { batchSize: B, seqLen: T, inputs, targets, mask };
    if (this.#lengths !== null) batch.lengths = this.#lengths.subarray(0, B);
    return batch;
  }

  /** The order of the examples in an epoch: a Fisher–Yates shuffle seeded by (seed, epoch), or as given. */
  #orderOf(epoch: number): Int32Array {
    if (!this.#shuffle || epoch === this.#orderEpoch) return this.#order;
    const order = this.#order;
    for (let i = 0; i < order.length; i++) order[i] = i;
    this.#random.seed((this.#seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.#random.int(i + 1);
      const tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    this.#orderEpoch = epoch;
    return order;
  }
}

function lengthOf(name: string, values: unknown): number {
  if (values === null || typeof values !== "object" || typeof (values as ArrayLike<number>).length !== "number") {
    throw invalid(`${name} must be an array or typed array of numbers; got ${describe(values)}`);
  }
  return (values as ArrayLike<number>).length;
}

function widthOf(name: string, values: unknown, steps: number): number {
  const n = lengthOf(name, values);
  if (n === 0 || n % steps !== 0) throw invalid(`${name} has length ${n}; expected a positive multiple of steps = ${steps}`);
  const array = values as ArrayLike<number>;
  for (let k = 0; k < n; k++) if (typeof array[k] !== "number" || !Number.isFinite(array[k])) throw invalid(`${name}[${k}] is ${describe(array[k])}; expected a finite number`);
  return n / steps;
}
