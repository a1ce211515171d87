import { BpttError, checkFinite, checkPositiveInt, checkSeed, describe, invalid } from "./errors.js";
import type { RNN } from "./model.js";
import { Random } from "./random.js";

export interface GenerateOptions {
  /** Token ids fed before sampling starts (at least one: the first input). */
  prompt: ArrayLike<number>;
  /** Tokens to sample after the prompt. */
  length: number;
  /** Softmax temperature > 0 (1 = the model's distribution; lower = greedier). */
  temperature?: number;
  /** Sample only among the k most likely tokens (0 = all). */
  topK?: number;
  /**
   * Nucleus sampling: only among the most likely tokens whose probabilities add up to at least this
   * share (of the top k, when topK is set), in (0, 1]; 1 (the default) keeps them all.
   */
  topP?: number;
  /** Seed of the sampling PRNG, or a Random to draw from. */
  seed?: number | Random;
  /** Stop after sampling this token (it is included in the result). */
  stopToken?: number;
}

/**
 * Sample a continuation one token at a time through the model's streaming state:
 * feed the prompt, then repeatedly draw from softmax(logits / temperature), restricted to the
 * top k and to the nucleus of mass topP, and feed the drawn token back. Resets the model's stream state to one stream.
 */
export function generate(model: RNN, options: GenerateOptions): number[] {
  if (model.config.input !== "tokens" || model.config.loss !== "cross-entropy") {
    throw invalid("generate() needs a token-input, cross-entropy model");
  }
  if (model.config.bidirectional) {
    throw new BpttError("INVALID_STATE", "generate() samples one token at a time, but this model is bidirectional: its reverse direction reads each sequence from its end; sample from a unidirectional model");
  }
  const V = model.config.outputSize;
  const prompt = Array.from(options.prompt ?? []);
  if (prompt.length === 0) throw invalid("prompt must hold at least one token id");
  const checkId = (name: string, id: unknown, n: number) => {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= n) throw invalid(`${name} is ${describe(id)}; expected a token id in [0, ${n})`);
  };
  prompt.forEach((id, k) => checkId(`prompt[${k}]`, id, model.config.inputSize));
  const length = options.length === 0 ? 0 : checkPositiveInt("length", options.length);
  const temperature = checkFinite("temperature", options.temperature ?? 1, 0, Infinity, true);
  const topK = options.topK ?? 0;
  if (!Number.isInteger(topK) || topK < 0) throw invalid(`topK must be a non-negative integer; got ${describe(topK)}`);
  const topP = checkFinite("topP", options.topP ?? 1, 0, 1, true);
  const stop = options.stopToken;
  if (stop !== undefined) checkId("stopToken", stop, V);
  const rng = options.seed instanceof Random ? options.seed : new Random(checkSeed(options.seed ?? 0));
  const order = new Int32Array(V);
  model.resetState(1);
  // the loop below cannot change the weights: W_hh is packed once for all its steps
  return model.withPackedStreamWeights(() => {
    const out: number[] = [];
    let probs = model.stepProbabilities(prompt[0], temperature);
    for (let k = 1; k < prompt.length; k++) probs = model.stepProbabilities(prompt[k], temperature);
    for (let n = 0; n < length; n++) {
      const next = sample(probs, topK, rng, order, topP);
      out.push(next);
      if (next === stop || n === length - 1) break;
      probs = model.stepProbabilities(next, temperature);
    }
    return out;
  });
}

/**
 * Draw an index from `probs` (summing to 1), restricted to the k largest when 0 < k < length, and
 * then to the smallest set of the largest whose mass reaches topP of theirs. Ties go to the lower
 * index, so every engine draws the same.
 */
export function sample(probs: Float32Array, topK: number, rng: Random, order: Int32Array, topP = 1): number {
  const V = probs.length;
  const k = topK > 0 && topK < V ? topK : V;
  if (k === V && topP >= 1) {
    let u = rng.next();
    let last = 0;
    for (let i = 0; i < V; i++) {
      if (probs[i] > 0) last = i;
      u -= probs[i];
      if (u < 0) return i;
    }
    return last;
  }
  for (let i = 0; i < V; i++) order[i] = i;
  if (k < V) {
    // partial selection sort of the k largest
    for (let i = 0; i < k; i++) {
      let best = i;
      for (let j = i + 1; j < V; j++) if (probs[order[j]] > probs[order[best]]) best = j;
      const tmp = order[i]; order[i] = order[best]; order[best] = tmp;
    }
  } else {
    order.sort((a, b) => probs[b] - probs[a] || a - b);
  }
  let total = 0;
  for (let i = 0; i < k; i++) total += probs[order[i]];
  let n = k;
  if (topP < 1) {
    // the nucleus: the shortest prefix of the sorted candidates holding topP of their mass
    let mass = 0;
    for (n = 0; n < k;) {
      mass += probs[order[n++]];
      if (mass >= topP * total) break;
    }
    total = mass;
  }
  let u = rng.next() * total;
  for (let i = 0; i < n; i++) {
    u -= probs[order[i]];
    if (u < 0) return order[i];
  }
  return order[n - 1];
}
