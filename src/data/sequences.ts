/**
 * Turning token ids into next-token training examples: framed names packed into a padded
 * batch, and running text cut into consecutive windows.
 *
 * A batch is batch-first, like the model API: element (b, t) is at b · seqLen + t.
 */
import { BpttError, checkPositiveInt, describe, invalid } from "../errors.js";
import type { CharTokenizer } from "../text/tokenizer.js";

export interface TokenBatch {
  batchSize: number;
  seqLen: number;
  /** (batchSize, seqLen) ids; 0 on padded steps. */
  inputs: Int32Array;
  /** (batchSize, seqLen) next ids; `ignoreIndex` on padded steps. */
  targets: Int32Array;
}

export interface TextWindow {
  /** ids[k .. k + T − 1], a view into the ids passed in (no copy). */
  inputs: Int32Array;
  /** ids[k + 1 .. k + T], a view into the ids passed in (no copy). */
  targets: Int32Array;
}

/** Each name encoded and framed by the boundary character: [boundary, ...name, boundary]. */
export function namesToSequences(names: readonly string[], tokenizer: CharTokenizer, boundary: string): Int32Array[] {
  if (!Array.isArray(names)) throw invalid(`names must be an array of strings; got ${describe(names)}`);
  if (typeof boundary !== "string") throw invalid(`boundary must be a single character; got ${describe(boundary)}`);
  const boundaryIds = tokenizer.encode(boundary);
  if (boundaryIds.length !== 1) {
    throw invalid(`boundary must be exactly one character; got ${JSON.stringify(boundary)} (${boundaryIds.length} characters)`);
  }
  const boundaryId = boundaryIds[0];
  return names.map((name: unknown, i) => {
    if (typeof name !== "string") throw invalid(`names[${i}] must be a string; got ${describe(name)}`);
    if (name.length === 0) throw invalid(`names[${i}] is empty; every name needs at least one character`);
    let ids: Int32Array;
    try {
      ids = tokenizer.encode(name);
    } catch (e) {
      if (e instanceof BpttError) throw new BpttError(e.code, `names[${i}] = ${JSON.stringify(name)}: ${e.message}`);
      throw e;
    }
    const at = ids.indexOf(boundaryId);
    if (at >= 0) {
      throw invalid(`names[${i}] = ${JSON.stringify(name)} contains the boundary character ${JSON.stringify(boundary)} at index ${at}; pick a boundary no name uses`);
    }
    const framed = new Int32Array(ids.length + 2);
    framed[0] = boundaryId;
    framed.set(ids, 1);
    framed[ids.length + 1] = boundaryId;
    return framed;
  });
}

/**
 * Pack up to `batchSize` sequences into one batch of next-token pairs: row b has inputs
 * seq[0 .. n−2] and targets seq[1 .. n−1], padded to seqLen = (longest n) − 1 with input 0 and
 * target `ignoreIndex`. Rows beyond `sequences.length` are all padding, so a short last batch
 * keeps the shape (batchSize, seqLen); padded steps add nothing to the loss.
 */
export function packBatch(sequences: Int32Array[], batchSize: number, ignoreIndex = -100): TokenBatch {
  checkPositiveInt("batchSize", batchSize);
  if (!Number.isInteger(ignoreIndex)) throw invalid(`ignoreIndex must be an integer; got ${describe(ignoreIndex)}`);
  if (!Array.isArray(sequences)) throw invalid(`sequences must be an array of Int32Array; got ${describe(sequences)}`);
  if (sequences.length === 0 || sequences.length > batchSize) {
    throw invalid(`sequences has ${sequences.length} entries; expected 1 to batchSize = ${batchSize}`);
  }
  let longest = 0;
  sequences.forEach((seq: unknown, i) => {
    if (!(seq instanceof Int32Array)) throw invalid(`sequences[${i}] must be an Int32Array; got ${describe(seq)}`);
    if (seq.length < 2) throw invalid(`sequences[${i}] has length ${seq.length}; expected at least 2 ids (one input, one target)`);
    for (let t = 0; t < seq.length; t++) {
      if (seq[t] < 0) throw invalid(`sequences[${i}][${t}] = ${seq[t]}; expected a token id ≥ 0`);
      if (seq[t] === ignoreIndex && t > 0) {
        throw invalid(`sequences[${i}][${t}] = ${seq[t]} equals ignoreIndex, so that target would be silently skipped; choose another ignoreIndex`);
      }
    }
    longest = Math.max(longest, seq.length);
  });

  const seqLen = longest - 1;
  const inputs = new Int32Array(batchSize * seqLen); // padding input: 0
  const targets = new Int32Array(batchSize * seqLen).fill(ignoreIndex);
  sequences.forEach((seq, b) => {
    inputs.set(seq.subarray(0, seq.length - 1), b * seqLen);
    targets.set(seq.subarray(1), b * seqLen);
  });
  return { batchSize, seqLen, inputs, targets };
}

/**
 * Cut running text into consecutive windows of `seqLen` steps for truncated BPTT with the
 * state carried: window w starts at k = w · seqLen. Every character after the first is a
 * target exactly once; the last window is shorter when (ids.length − 1) is not a multiple of seqLen.
 */
export function textWindows(ids: Int32Array, seqLen: number): TextWindow[] {
  if (!(ids instanceof Int32Array)) throw invalid(`ids must be an Int32Array; got ${describe(ids)}`);
  checkPositiveInt("seqLen", seqLen);
  if (ids.length < 2) throw invalid(`ids has length ${ids.length}; expected at least 2 (one input, one target)`);
  const windows: TextWindow[] = [];
  for (let k = 0; k < ids.length - 1; k += seqLen) {
    const steps = Math.min(seqLen, ids.length - 1 - k);
    windows.push({ inputs: ids.subarray(k, k + steps), targets: ids.subarray(k + 1, k + 1 + steps) });
  }
  return windows;
}
