/**
 * Running text (one long stream of token ids) as B contiguous streams read in windows of T steps, for
 * truncated BPTT with the state carried from window to window (PyTorch's word_language_model
 * `batchify` + `get_batch`):
 *
 *   S = ⌊(N − 1) / B⌋ steps per stream; stream b reads inputs ids[b·S + j] and targets ids[b·S + j + 1],
 *   j in [0, S); window k holds j in [k·T, min((k + 1)·T, S)), so the last window of an epoch is
 *   shorter when T does not divide S. Every window continues the one before (`stateful`); at the
 *   wrap-around to window 0 of the next epoch the state starts again from zeros.
 *
 * The last N − 1 − B·S ids (fewer than B) are never a target. Element (b, t) of a window is at b·T + t.
 */
import type { Batch } from "../batch.js";
import { checkPositiveInt, describe, invalid } from "../errors.js";
import type { BatchSource } from "./source.js";

export interface TokenStreamOptions {
  /** B: parallel streams (the batch size). */
  batchSize: number;
  /** T: steps per window (the truncation length of BPTT). */
  seqLen: number;
}

export class TokenStreams implements BatchSource {
  readonly batchSize: number;
  readonly seqLen: number;
  /** S: steps (targets) per stream in one epoch. */
  readonly streamLength: number;
  readonly batchesPerEpoch: number;
  readonly stateful = true;
  readonly #ids: Int32Array;
  readonly #full: Batch;
  readonly #last: Batch;

  constructor(ids: ArrayLike<number>, options: TokenStreamOptions) {
    if (ids === null || typeof ids !== "object" || typeof ids.length !== "number") throw invalid(`ids must be an array or typed array of token ids; got ${describe(ids)}`);
    if (options === null || typeof options !== "object") throw invalid(`options must be an object { batchSize, seqLen }; got ${describe(options)}`);
    const B = checkPositiveInt("options.batchSize", options.batchSize);
    const T = checkPositiveInt("options.seqLen", options.seqLen);
    if (ids.length < B + 1) throw invalid(`ids has length ${ids.length}; expected at least batchSize + 1 = ${B + 1} (each stream needs one input and its target)`);
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw invalid(`ids[${k}] is ${describe(id)}; expected a token id, an integer ≥ 0`);
    }
    this.#ids = Int32Array.from(ids);
    this.batchSize = B;
    this.seqLen = T;
    const S = Math.floor((ids.length - 1) / B);
    this.streamLength = S;
    this.batchesPerEpoch = Math.ceil(S / T);
    const lastT = S - (this.batchesPerEpoch - 1) * T;
    const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
    this.#full = { batchSize: B, seqLen: T, inputs, targets };
    this.#last = lastT === T ? this.#full : { batchSize: B, seqLen: lastT, inputs: inputs.subarray(0, B * lastT), targets: targets.subarray(0, B * lastT) };
  }

  /** Window k of every epoch (the epoch does not change it): (B, T) inputs and next-token targets. Shares its arrays with every other window. */
  batch(k: number, _epoch = 0): Batch {
    if (!Number.isInteger(k) || k < 0 || k >= this.batchesPerEpoch) throw invalid(`k must be an integer in [0, ${this.batchesPerEpoch}); got ${describe(k)}`);
    const out = k === this.batchesPerEpoch - 1 ? this.#last : this.#full;
    const B = this.batchSize, T = out.seqLen, S = this.streamLength, ids = this.#ids;
    const inputs = out.inputs as Int32Array, targets = out.targets as Int32Array;
    for (let b = 0; b < B; b++) {
      const from = b * S + k * this.seqLen;
      for (let t = 0; t < T; t++) {
        inputs[b * T + t] = ids[from + t];
        targets[b * T + t] = ids[from + t + 1];
      }
    }
    return out;
  }
}
