import { describe, expect, it } from "vitest";
import { BigramModel } from "../src/baseline/bigram.js";
import { BpttError } from "../src/errors.js";

// Toy corpus over 3 symbols: 0 = boundary ".", 1 = "a", 2 = "b"; the names "a", "ab", "b".
//   .a.   .ab.   .b.
// Transitions: 0→1 ×2, 0→2 ×1 | 1→0 ×1, 1→2 ×1 | 2→0 ×2          (7 in all)
// Row totals: 3 | 2 | 2.  With α = 1, V = 3: P(next | prev) = (count + 1) / (total + 3)
//   prev 0: P(0) = 1/6, P(1) = 3/6, P(2) = 2/6
//   prev 1: P(0) = 2/5, P(1) = 1/5, P(2) = 2/5
//   prev 2: P(0) = 3/5, P(1) = 1/5, P(2) = 1/5
const corpus = [new Int32Array([0, 1, 0]), new Int32Array([0, 1, 2, 0]), new Int32Array([0, 2, 0])];
const close = 1e-12;

describe("BigramModel", () => {
  it("gives the hand-computed add-one probabilities", () => {
    const model = new BigramModel(3);
    model.fit(corpus);
    const expected = [
      [1 / 6, 3 / 6, 2 / 6],
      [2 / 5, 1 / 5, 2 / 5],
      [3 / 5, 1 / 5, 1 / 5],
    ];
    for (let prev = 0; prev < 3; prev++) {
      for (let next = 0; next < 3; next++) {
        expect(model.logProb(prev, next)).toBeCloseTo(Math.log(expected[prev][next]), 12);
      }
    }
  });

  it("uses α in numerator and denominator", () => {
    const model = new BigramModel(3, 0.5);
    model.fit(corpus);
    expect(model.logProb(0, 1)).toBeCloseTo(Math.log(2.5 / 4.5), 12); // (2 + ½) / (3 + 3·½)
    expect(model.logProb(2, 1)).toBeCloseTo(Math.log(0.5 / 3.5), 12); // (0 + ½) / (2 + 3·½)
  });

  it("scores the mean negative log-likelihood per predicted character, in nats", () => {
    const model = new BigramModel(3);
    model.fit(corpus);
    // .a. → P(1|0)·P(0|1) = ½·⅖;  .ab. → ½·⅖·⅗;  .b. → ⅓·⅗
    const expected = -(Math.log(1 / 2) + Math.log(2 / 5) + Math.log(1 / 2) + Math.log(2 / 5) + Math.log(3 / 5) + Math.log(1 / 3) + Math.log(3 / 5)) / 7;
    expect(Math.abs(model.meanNegLogLikelihood(corpus) - expected)).toBeLessThan(close);
    expect(expected).toBeCloseTo(0.762734, 6);
    // a held-out name "ba": .ba. → P(2|0)·P(1|2)·P(0|1) = ⅓·⅕·⅖
    const heldOut = -(Math.log(1 / 3) + Math.log(1 / 5) + Math.log(2 / 5)) / 3;
    expect(Math.abs(model.meanNegLogLikelihood([new Int32Array([0, 2, 1, 0])]) - heldOut)).toBeLessThan(close);
  });

  it("counts only inside sequences and skips sequences too short to predict anything", () => {
    const joined = new BigramModel(3);
    joined.fit([new Int32Array([0, 1, 0, 0, 2, 0])]); // one extra transition 0→0 across the join
    const apart = new BigramModel(3);
    apart.fit([new Int32Array([0, 1, 0]), new Int32Array([0, 2, 0]), new Int32Array([1]), new Int32Array(0)]);
    expect(apart.logProb(0, 0)).toBeCloseTo(Math.log(1 / 5), 12); // (0 + 1) / (2 + 3)
    expect(joined.logProb(0, 0)).toBeCloseTo(Math.log(2 / 6), 12); // (1 + 1) / (3 + 3)
    // 4 predicted characters, the short sequences add none
    const mean = apart.meanNegLogLikelihood([new Int32Array([0, 1, 0]), new Int32Array([2]), new Int32Array([0, 2, 0])]);
    expect(mean).toBeCloseTo(-(Math.log(2 / 5) + Math.log(2 / 4) + Math.log(2 / 5) + Math.log(2 / 4)) / 4, 12);
  });

  it("is uniform before fit, and fit replaces earlier counts", () => {
    const model = new BigramModel(4);
    expect(model.logProb(2, 3)).toBeCloseTo(Math.log(1 / 4), 12);
    expect(model.meanNegLogLikelihood([new Int32Array([0, 1, 2, 3])])).toBeCloseTo(Math.log(4), 12);
    model.fit([new Int32Array([0, 1])]);
    model.fit([new Int32Array([0, 0])]);
    expect(model.logProb(0, 1)).toBeCloseTo(Math.log(1 / 5), 12);
    expect(model.logProb(0, 0)).toBeCloseTo(Math.log(2 / 5), 12);
  });

  it("has rows that are probability distributions", () => {
    const model = new BigramModel(3, 0.1);
    model.fit(corpus);
    for (let prev = 0; prev < 3; prev++) {
      let sum = 0;
      for (let next = 0; next < 3; next++) sum += Math.exp(model.logProb(prev, next));
      expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
    }
  });

  it("rejects bad arguments and leaves the counts alone after a failed fit", () => {
    expect(() => new BigramModel(0)).toThrow("vocabSize must be a positive integer; got 0");
    expect(() => new BigramModel(2.5)).toThrow(BpttError);
    expect(() => new BigramModel(3, 0)).toThrow("alpha must be a finite number in (0, ∞); got 0");
    expect(() => new BigramModel(3, NaN)).toThrow("alpha must be a finite number");
    const model = new BigramModel(3);
    model.fit(corpus);
    expect(() => model.fit([new Int32Array([0, 1]), new Int32Array([0, 3])])).toThrow("sequences[1][1] = 3; expected an id in [0, 3)");
    expect(model.logProb(0, 1)).toBeCloseTo(Math.log(1 / 2), 12); // still the corpus counts
    expect(() => model.fit([[0, 1] as never])).toThrow("sequences[0] must be an Int32Array; got array of length 2");
    expect(() => model.fit(new Int32Array(2) as never)).toThrow("sequences must be an array of Int32Array");
    expect(() => model.logProb(3, 0)).toThrow("prev must be an integer id in [0, 3); got 3");
    expect(() => model.logProb(0, -1)).toThrow("next must be an integer id in [0, 3); got -1");
    expect(() => model.meanNegLogLikelihood([new Int32Array([1])])).toThrow("needs at least one transition");
  });
});
