/**
 * Before anything is timed: the Wasm and the pure-TS backends, built from the same seed, must
 * agree. A benchmark of a wrong answer measures nothing.
 */
import { makeBatches, makeModel, makeTrainer, type GenerationWorkload, type TrainingWorkload } from "./workloads.js";

/** Relative tolerance between the backends' first loss and first gradient norm. */
export const RELATIVE_TOLERANCE = 1e-4;
/** Absolute tolerance between the backends' next-token probabilities. */
export const PROBABILITY_TOLERANCE = 1e-5;

export interface CheckResult {
  id: string;
  what: string;
  wasm: number;
  js: number;
  difference: number;
  tolerance: number;
  ok: boolean;
}

function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-30);
}

/** First loss (forward only) and the first training step's gradient norm, on both backends. */
export function checkTraining(w: TrainingWorkload): CheckResult[] {
  const batch = makeBatches(w, 1)[0];
  const wasm = makeModel(w, "wasm"), js = makeModel(w, "js");
  try {
    const lossWasm = wasm.forward(batch).loss, lossJs = js.forward(batch).loss;
    const stepWasm = makeTrainer(w, wasm).step(batch);
    const stepJs = makeTrainer(w, js).step(batch);
    const results: CheckResult[] = [];
    for (const [what, a, b] of [["first loss", lossWasm, lossJs], ["first gradient norm", stepWasm.gradNorm, stepJs.gradNorm]] as const) {
      const difference = relative(a, b);
      results.push({ id: w.id, what, wasm: a, js: b, difference, tolerance: RELATIVE_TOLERANCE, ok: Number.isFinite(a) && difference < RELATIVE_TOLERANCE });
    }
    return results;
  } finally {
    wasm.dispose();
    js.dispose();
  }
}

/** Next-token probabilities over 20 steps fed the same tokens, on both backends. */
export function checkGeneration(w: GenerationWorkload): CheckResult[] {
  const wasm = makeModel(w, "wasm"), js = makeModel(w, "js");
  try {
    wasm.resetState(1);
    js.resetState(1);
    let worst = 0, wasmFirst = NaN, jsFirst = NaN;
    for (let t = 0; t < 20; t++) {
      const token = (t * 7) % w.V;
      const p = wasm.stepProbabilities(token, 1), q = js.stepProbabilities(token, 1);
      if (t === 0) {
        wasmFirst = p[0];
        jsFirst = q[0];
      }
      for (let v = 0; v < w.V; v++) worst = Math.max(worst, Math.abs(p[v] - q[v]));
    }
    return [{ id: w.id, what: "max |Δp| over 20 steps", wasm: wasmFirst, js: jsFirst, difference: worst, tolerance: PROBABILITY_TOLERANCE, ok: worst < PROBABILITY_TOLERANCE }];
  } finally {
    wasm.dispose();
    js.dispose();
  }
}
