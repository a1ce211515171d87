/**
 * A count-based character bigram model with add-α (Lidstone) smoothing, the baseline an RNN
 * must beat. Over a vocabulary of V ids,
 *
 *   P(next | prev) = (count[prev][next] + α) / (Σ_j count[prev][j] + α·V)
 *
 * where count[prev][next] is how often `next` directly follows `prev` inside a training
 * sequence. The caller frames each sequence, e.g. [BOUNDARY, n, a, m, e, BOUNDARY], so the
 * model also learns how names start and end. Before `fit` every row is uniform (1/V).
 */
import { checkFinite, checkPositiveInt, describe, invalid } from "../errors.js";

export class BigramModel {
  readonly vocabSize: number;
  readonly alpha: number;
  private readonly counts: Float64Array; // (V, V): counts[prev * V + next]
  private readonly rowTotals: Float64Array; // (V): Σ_next counts[prev * V + next]

  constructor(vocabSize: number, alpha = 1) {
    this.vocabSize = checkPositiveInt("vocabSize", vocabSize);
    this.alpha = checkFinite("alpha", alpha, 0, Infinity, true);
    this.counts = new Float64Array(vocabSize * vocabSize);
    this.rowTotals = new Float64Array(vocabSize);
  }

  /** Replace the counts with the transitions inside `sequences` (none across sequences). */
  fit(sequences: Int32Array[]): void {
    this.checkSequences(sequences);
    const V = this.vocabSize;
    this.counts.fill(0);
    this.rowTotals.fill(0);
    for (const seq of sequences) {
      for (let t = 1; t < seq.length; t++) {
        this.counts[seq[t - 1] * V + seq[t]] += 1;
        this.rowTotals[seq[t - 1]] += 1;
      }
    }
  }

  /** ln P(next | prev), in nats. */
  logProb(prev: number, next: number): number {
    this.checkId("prev", prev);
    this.checkId("next", next);
    return this.logProbUnchecked(prev, next);
  }

  /** Mean of −ln P(seq[t] | seq[t−1]) over every predicted character (t ≥ 1) of every sequence, in nats. */
  meanNegLogLikelihood(sequences: Int32Array[]): number {
    this.checkSequences(sequences);
    let total = 0;
    let count = 0;
    for (const seq of sequences) {
      for (let t = 1; t < seq.length; t++) total -= this.logProbUnchecked(seq[t - 1], seq[t]);
      count += Math.max(0, seq.length - 1);
    }
    if (count === 0) throw invalid("meanNegLogLikelihood needs at least one transition; every sequence has fewer than 2 ids");
    return total / count;
  }

  private logProbUnchecked(prev: number, next: number): number {
    const V = this.vocabSize;
    return Math.log((this.counts[prev * V + next] + this.alpha) / (this.rowTotals[prev] + this.alpha * V));
  }

  private checkId(name: string, id: unknown): void {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw invalid(`${name} must be an integer id in [0, ${this.vocabSize}); got ${describe(id)}`);
    }
  }

  private checkSequences(sequences: unknown): asserts sequences is Int32Array[] {
    if (!Array.isArray(sequences)) throw invalid(`sequences must be an array of Int32Array; got ${describe(sequences)}`);
    sequences.forEach((seq: unknown, i) => {
      if (!(seq instanceof Int32Array)) throw invalid(`sequences[${i}] must be an Int32Array; got ${describe(seq)}`);
      for (let t = 0; t < seq.length; t++) {
        if (seq[t] < 0 || seq[t] >= this.vocabSize) {
          throw invalid(`sequences[${i}][${t}] = ${seq[t]}; expected an id in [0, ${this.vocabSize})`);
        }
      }
    });
  }
}
