/**
 * What `fit` and `evaluate` read: the batches of one epoch, by index. `TokenStreams` (running text as
 * B parallel streams) and `ExampleBatches` (separate sequences, shuffled and padded) implement it; a
 * plain array of batches is one too (`batchSource`).
 */
import type { Batch } from "../batch.js";
import { describe, invalid } from "../errors.js";

export interface BatchSource {
  /** Batches in one epoch (one pass over the data). */
  readonly batchesPerEpoch: number;
  /**
   * Whether batch k + 1 continues the sequences of batch k (token streams): the state (h, and c for an
   * LSTM) is carried from one batch to the next, and starts from zeros at batch 0 of every epoch.
   */
  readonly stateful: boolean;
  /**
   * Batch k (0-based, below batchesPerEpoch) of epoch `epoch` (0-based; a shuffled source orders each
   * epoch differently). The batch may share its arrays with the one the previous call returned.
   */
  batch(k: number, epoch: number): Batch;
}

/** A source as given (a BatchSource; or an array of batches, or one batch, read in order, not stateful), checked. */
export function batchSource(data: Batch | BatchSource | readonly Batch[], name = "data"): BatchSource {
  if (isBatch(data)) return { batchesPerEpoch: 1, stateful: false, batch: () => data };
  if (Array.isArray(data)) {
    if (data.length === 0) throw invalid(`${name} is an empty array; expected at least one batch`);
    const batches = data as readonly Batch[];
    return { batchesPerEpoch: batches.length, stateful: false, batch: (k) => batches[k] };
  }
  const source = data as BatchSource;
  if (source === null || typeof source !== "object" || typeof source.batch !== "function") {
    throw invalid(`${name} must be a batch, an array of batches or a batch source { batchesPerEpoch, stateful, batch(k, epoch) } (TokenStreams, ExampleBatches); got ${describe(data)}`);
  }
  if (!Number.isInteger(source.batchesPerEpoch) || source.batchesPerEpoch < 1) {
    throw invalid(`${name}.batchesPerEpoch must be a positive integer; got ${describe(source.batchesPerEpoch)}`);
  }
  return source;
}

function isBatch(data: unknown): data is Batch {
  return data !== null && typeof data === "object" && !Array.isArray(data) && "inputs" in data && "batchSize" in data;
}
