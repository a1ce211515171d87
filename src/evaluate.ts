/**
 * The loss of a model over a whole data set, without training: forward passes only. Over a stateful
 * source (TokenStreams) every state the cell has — h, and c for an LSTM — is carried from one window
 * to the next, so a stream cut into windows scores exactly as the stream read whole.
 */
import type { Batch } from "./batch.js";
import { batchSource, type BatchSource } from "./data/source.js";
import { describe, invalid } from "./errors.js";
import type { RNN } from "./model.js";

export interface EvaluateResult {
  /** The summed loss over every target (float64 sum of the windows' sums). */
  loss: number;
  /** Targets counted. */
  count: number;
  /** loss / count (0 when count is 0). */
  meanLoss: number;
  /** Cross-entropy: meanLoss in bits (÷ ln 2), i.e. bits per token (per character for a char model); null for MSE. */
  bitsPerToken: number | null;
}

/**
 * Evaluate `model` over one pass of `data` (a batch, an array of batches, or a BatchSource read as
 * epoch 0). Batches with h0/c0 of their own start from them unless the source is stateful.
 */
export function evaluate(model: RNN, data: Batch | BatchSource | readonly Batch[]): EvaluateResult {
  if (model === null || typeof model !== "object" || typeof model.forward !== "function") throw invalid(`model must be an RNN; got ${describe(model)}`);
  const source = batchSource(data);
  const { hiddenSize: H, projSize: P } = model.config;
  const L = model.config.numLayers * (model.config.bidirectional ? 2 : 1); // state slices: layer-major then direction
  const R = P > 0 ? P : H; // h's width (c has H)
  let state: Float32Array | null = null, cellState: Float32Array | null = null;
  let loss = 0, count = 0;
  for (let k = 0; k < source.batchesPerEpoch; k++) {
    const batch = source.batch(k, 0);
    if (batch === null || typeof batch !== "object" || batch.targets === undefined) throw invalid(`batch ${k} has no targets; evaluation needs targets`);
    let result;
    if (source.stateful) {
      const n = L * batch.batchSize * R;
      if (state === null || state.length !== n) {
        if (state !== null) throw invalid(`batch ${k} has batchSize ${batch.batchSize} but batch 0 of this stateful source had ${state.length / (L * R)}: streams cannot change in number`);
        state = new Float32Array(n);
        cellState = model.hasCellState ? new Float32Array(L * batch.batchSize * H) : null;
      }
      result = model.forward({ ...batch, h0: state, c0: cellState ?? undefined });
      model.finalState(state);
      if (cellState !== null) model.finalCellState(cellState);
    } else {
      result = model.forward(batch);
    }
    loss += result.loss;
    count += result.count;
  }
  const meanLoss = count > 0 ? loss / count : 0;
  return { loss, count, meanLoss, bitsPerToken: model.config.loss === "cross-entropy" ? meanLoss / Math.LN2 : null };
}
