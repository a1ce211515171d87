/**
 * The same workloads in TensorFlow.js 4.22 (`@tensorflow/tfjs` with its `cpu` backend, and
 * `@tensorflow/tfjs-backend-wasm`), written with tf.js core ops as the SimpleRNN-equivalent
 * model bptt trains: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), logits = h W_hyᵀ + b_y,
 * loss = Σ softmax cross-entropy (summed over time and batch), plain SGD with the same learning
 * rate — weights copied from the bptt model, so the first losses must agree before anything is
 * timed. Weights are stored the way Keras' SimpleRNN stores them (x·K, h·R: transposed), both
 * biases kept as PyTorch (and bptt) have them, so one SGD step is the same update.
 *
 * The one-hot input W_ih x_t is a row gather on the cpu backend and a one-hot matMul on the wasm
 * backend, which lacks the gather's gradient kernel (see inputProjection).
 *
 * What one timed training call is: `optimizer.minimize(loss, true)` — the forward pass recorded
 * on tf.js's tape (one-hot input as a row gather of W_ihᵀ, T recurrent steps), autodiff
 * backward, the SGD update of all six variables — and `dataSync()` of the loss, inside
 * `tf.tidy`. The batches' id and one-hot target tensors are built once, before timing (bptt
 * stages its batches inside each step, so this favours tf.js slightly).
 * One timed generation call: `length` tokens, each one recurrent step + head + softmax in tf.js,
 * `dataSync()` of the probabilities and the same sampling function as bptt's generate().
 */
import type * as TF from "@tensorflow/tfjs";
import type { RNN } from "../src/index.js";
import { Random } from "../src/index.js";
import { sample } from "../src/generate.js";
import type { Batch } from "../src/batch.js";

export type Tf = typeof TF;
export type TfBackendName = "cpu" | "wasm";

export interface TfSetup {
  tf: Tf | null;
  version: string;
  /** Per tf.js backend: null when usable, else why not. */
  unavailable: Record<TfBackendName, string | null>;
  /** What the wasm backend runs with (SIMD, threads). */
  wasmFeatures: string;
}

/** Load tf.js and both backends; say why a backend cannot be used instead of throwing. */
export async function loadTf(): Promise<TfSetup> {
  const unavailable: Record<TfBackendName, string | null> = { cpu: null, wasm: null };
  let tf: Tf;
  try {
    tf = await import("@tensorflow/tfjs");
  } catch (e) {
    const why = `@tensorflow/tfjs failed to load: ${(e as Error).message}`;
    return { tf: null, version: "—", unavailable: { cpu: why, wasm: why }, wasmFeatures: "—" };
  }
  // quiet the "install tfjs-node" banner: this comparison is about JavaScript/WebAssembly backends
  const warn = console.warn, log = console.log;
  console.warn = console.log = () => {};
  try {
    try {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      wasm.setThreadsCount?.(1);
    } catch (e) {
      unavailable.wasm = `@tensorflow/tfjs-backend-wasm failed to load: ${(e as Error).message}`;
    }
    for (const name of ["cpu", "wasm"] as const) {
      if (unavailable[name] !== null) continue;
      try {
        if (!(await tf.setBackend(name))) unavailable[name] = `tf.setBackend("${name}") returned false`;
        await tf.ready();
      } catch (e) {
        unavailable[name] = `tf.setBackend("${name}") threw: ${(e as Error).message}`;
      }
    }
  } finally {
    console.warn = warn;
    console.log = log;
  }
  let wasmFeatures = "—";
  if (unavailable.wasm === null) {
    await tf.setBackend("wasm");
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    wasmFeatures = `SIMD ${simd ? "on" : "off"}, threads ${threads ? "available but set to 1" : "off"}`;
  }
  return { tf, version: tf.version.tfjs, unavailable, wasmFeatures };
}

interface TfWeights {
  vars: TF.Variable[];
  WihT: TF.Variable; // (V,H)
  WhhT: TF.Variable; // (H,H)
  bih: TF.Variable;
  bhh: TF.Variable;
  WhyT: TF.Variable; // (H,V)
  by: TF.Variable;
}

function weightsFrom(tf: Tf, model: RNN): TfWeights {
  const V = model.config.inputSize, H = model.config.hiddenSize, O = model.config.outputSize;
  const p = (name: string) => model.getParameter(name);
  // tf.variable keeps its own copy; the staging tensors are dropped by tidy
  const v = (make: () => TF.Tensor) => tf.tidy(() => tf.variable(make()));
  const WihT = v(() => tf.tensor2d(p("rnn.weight_ih_l0"), [H, V]).transpose());
  const WhhT = v(() => tf.tensor2d(p("rnn.weight_hh_l0"), [H, H]).transpose());
  const bih = v(() => tf.tensor1d(p("rnn.bias_ih_l0")));
  const bhh = v(() => tf.tensor1d(p("rnn.bias_hh_l0")));
  const WhyT = v(() => tf.tensor2d(p("head.weight"), [O, H]).transpose());
  const by = v(() => tf.tensor1d(p("head.bias")));
  return { vars: [WihT, WhhT, bih, bhh, WhyT, by], WihT, WhhT, bih, bhh, WhyT, by };
}

/**
 * W_ih x_t for one-hot x_t (rows of W_ihᵀ). The cpu backend gathers the rows; the wasm backend
 * has no UnsortedSegmentSum kernel (the gradient of gather), so there it is a one-hot matMul —
 * 2·V·H more FLOPs per token forward and again for the gradient, work bptt does not do.
 */
function inputProjection(tf: Tf, WihT: TF.Variable, ids: TF.Tensor1D, V: number): TF.Tensor2D {
  if (tf.getBackend() === "wasm") return tf.matMul(tf.oneHot(ids, V).toFloat(), WihT);
  return tf.gather(WihT, ids) as TF.Tensor2D;
}

/** Batch-first ids → time-major int32 tensors: ids (T·B) and one-hot targets (T·B, V). */
function stage(tf: Tf, batch: Batch, V: number): { ids: TF.Tensor1D; onehot: TF.Tensor2D } {
  const { batchSize: B, seqLen: T } = batch;
  const ids = new Int32Array(T * B), targets = new Int32Array(T * B);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
    ids[t * B + b] = batch.inputs[b * T + t];
    targets[t * B + b] = batch.targets![b * T + t];
  }
  return { ids: tf.tensor1d(ids, "int32"), onehot: tf.tidy(() => tf.oneHot(tf.tensor1d(targets, "int32"), V).toFloat() as TF.Tensor2D) };
}

export interface TfRunner {
  call: () => void;
  /** Summed loss of the first batch at the current weights (forward only). */
  firstLoss: () => number;
  dispose: () => void;
}

/** Training: one call = one SGD step over the next batch (cycling), as bptt's trainer.step. */
export function tfTrainingRunner(tf: Tf, model: RNN, batches: Batch[], learningRate: number): TfRunner {
  const V = model.config.inputSize, H = model.config.hiddenSize;
  const w = weightsFrom(tf, model);
  const staged = batches.map((b) => ({ ...stage(tf, b, V), T: b.seqLen, B: b.batchSize }));
  const optimizer = tf.train.sgd(learningRate);
  const lossOf = (s: (typeof staged)[number]) => (): TF.Scalar => {
    const xw = inputProjection(tf, w.WihT, s.ids, V); // (T·B, H): W_ih x_t for one-hot x_t
    let h: TF.Tensor2D = tf.zeros([s.B, H]);
    const hs: TF.Tensor2D[] = [];
    for (let t = 0; t < s.T; t++) {
      const pre = tf.add(tf.add(tf.slice(xw, [t * s.B, 0], [s.B, H]), tf.matMul(h, w.WhhT)), tf.add(w.bih, w.bhh));
      h = tf.tanh(pre) as TF.Tensor2D;
      hs.push(h);
    }
    const logits = tf.add(tf.matMul(tf.concat(hs, 0), w.WhyT), w.by); // (T·B, V)
    return tf.neg(tf.sum(tf.mul(s.onehot, tf.logSoftmax(logits)))) as TF.Scalar;
  };
  let n = 0;
  return {
    call: () => {
      const s = staged[n];
      n = (n + 1) % staged.length;
      const loss = tf.tidy(() => optimizer.minimize(lossOf(s), true, w.vars)!);
      loss.dataSync();
      loss.dispose();
    },
    firstLoss: () => tf.tidy(() => lossOf(staged[0])().dataSync()[0]),
    dispose: () => {
      optimizer.dispose();
      for (const v of w.vars) v.dispose();
      for (const s of staged) {
        s.ids.dispose();
        s.onehot.dispose();
      }
    },
  };
}

/** Generation: one call = `length` sampled tokens, each fed back, as bptt's generate(). */
export function tfGenerationRunner(tf: Tf, model: RNN, length: number, seed: number): TfRunner & { probabilities: (tokens: number[]) => Float32Array[] } {
  const V = model.config.inputSize, H = model.config.hiddenSize;
  const w = weightsFrom(tf, model);
  const rng = new Random(seed);
  const order = new Int32Array(V);
  /** One step from state h (1,H) and a token: returns [new h (kept), probabilities]. */
  const step = (h: TF.Tensor2D, token: number): [TF.Tensor2D, Float32Array] => {
    const [next, probs] = tf.tidy(() => {
      const x = inputProjection(tf, w.WihT, tf.tensor1d([token], "int32"), V);
      const hn = tf.tanh(tf.add(tf.add(x, tf.matMul(h, w.WhhT)), tf.add(w.bih, w.bhh))) as TF.Tensor2D;
      return [hn, tf.softmax(tf.add(tf.matMul(hn, w.WhyT), w.by))];
    });
    const p = probs.dataSync() as Float32Array;
    probs.dispose();
    h.dispose();
    return [next as TF.Tensor2D, p];
  };
  return {
    call: () => {
      let h: TF.Tensor2D = tf.zeros([1, H]);
      let token = 0;
      for (let k = 0; k < length; k++) {
        const [hn, p] = step(h, token);
        h = hn;
        token = sample(p, 0, rng, order);
      }
      h.dispose();
    },
    firstLoss: () => NaN,
    probabilities: (tokens: number[]) => {
      let h: TF.Tensor2D = tf.zeros([1, H]);
      const out: Float32Array[] = [];
      for (const t of tokens) {
        const [hn, p] = step(h, t);
        h = hn;
        out.push(p.slice());
      }
      h.dispose();
      return out;
    },
    dispose: () => {
      for (const v of w.vars) v.dispose();
    },
  };
}
