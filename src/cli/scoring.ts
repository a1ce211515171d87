/**
 * The loss of a model over a corpus's sequences, as the command line reports it (held-out,
 * validation, `bptt eval`): the sequences become a BatchSource and `evaluate` (bptt/train) scores
 * them, so running text is read as parallel streams that carry every state of the cell — h, and c
 * for an LSTM — from window to window.
 */
import type { Batch } from "../batch.js";
import type { BatchSource } from "../data/source.js";
import { TokenStreams } from "../data/streams.js";
import { evaluate, type EvaluateResult } from "../evaluate.js";
import type { RNN } from "../model.js";
import { fillPadded, longestTransitions, type Corpus } from "./corpus.js";

/** Steps per window when running text is scored: long windows, few calls; the state is carried anyway. */
export const SCORING_WINDOW = 256;

/**
 * Lines: groups of `batchSize` examples in order, padded to the longest of the group. Text: at most
 * `batchSize` contiguous streams (fewer when the text is shorter than batchSize windows), each read in
 * windows of SCORING_WINDOW steps with the state carried; the last N − 1 − B·⌊(N − 1)/B⌋ (< B)
 * characters are not scored.
 */
export function scoringSource(kind: Corpus["kind"], sequences: Int32Array[], batchSize: number): BatchSource {
  if (kind === "text") {
    const ids = sequences[0], transitions = ids.length - 1;
    const streams = Math.max(1, Math.min(batchSize, Math.floor(transitions / SCORING_WINDOW)));
    return new TokenStreams(ids, { batchSize: streams, seqLen: SCORING_WINDOW });
  }
  const longest = longestTransitions(sequences);
  const inputs = new Int32Array(batchSize * longest), targets = new Int32Array(batchSize * longest);
  return {
    batchesPerEpoch: Math.ceil(sequences.length / batchSize),
    stateful: false,
    batch(k: number): Batch {
      const group = sequences.slice(k * batchSize, (k + 1) * batchSize);
      return fillPadded(group, longestTransitions(group), inputs, targets);
    },
  };
}

/** Loss, count, mean loss (nats per character) and bits per character of `sequences` (no update). */
export function scoreSequences(model: RNN, kind: Corpus["kind"], sequences: Int32Array[], batchSize: number): EvaluateResult {
  return evaluate(model, scoringSource(kind, sequences, batchSize));
}

/** The cell as the command line names it: "tanh RNN", "ReLU RNN", "LSTM", "GRU". */
export function cellName(model: RNN): string {
  const { cell, nonlinearity } = model.config;
  return cell === "rnn" ? `${nonlinearity === "relu" ? "ReLU" : "tanh"} RNN` : cell.toUpperCase();
}
