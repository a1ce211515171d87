/**
 * The yardstick for the pure-TS backend: a vanilla RNN trainer written by hand for exactly this
 * model — one Float32Array per tensor, no kernel contract, no arena, no validation — and as fast
 * as we could make plain typed-array JavaScript, so that "the pure-TS backend is a fair baseline"
 * is measured in the same run instead of assumed. Same math as bptt (tanh RNN, one-hot input,
 * linear head, softmax cross-entropy summed or averaged, full BPTT, plain SGD or Adam, optional
 * clipping to a global gradient norm); weights copied from a bptt model, so the first loss and the
 * loss after one step must agree before it is timed. Training workloads of the vanilla RNN only.
 *
 * What makes it fast (each measured against the simpler loop, bench/RESULTS.md):
 *   - dot products in blocks: 2 rows of the left operand × 4 rows of the right one, 8 accumulators,
 *     so each loaded value feeds 2 or 4 multiply–adds (B = 1: 1 × 4, each load of h shared by 4 rows);
 *   - the head, its gradients and every weight gradient as whole-window products after (or
 *     before) the time loop, not per step; only the recurrence itself runs step by step;
 *   - h_{-1} = 0: no recurrent product at t = 0 forward, no carry out of t = 0 backward,
 *     and step 0 adds nothing to dW_hh;
 *   - W_ih kept transposed, (V, H), so the one-hot input reads and its gradient writes one row;
 *     the two recurrent biases kept as their sum (only the sum enters the model; both get the same
 *     gradient and the same optimizer state, so the sum moves by twice one bias's update).
 * Arithmetic is in float64 (JavaScript numbers), rounded to float32 when stored.
 */
import type { RNN } from "../src/index.js";
import type { Batch } from "../src/batch.js";

export interface HandwrittenSettings {
  optimizer: "sgd" | "adam";
  learningRate: number;
  /** Rescale the gradients when their global L2 norm exceeds this (as torch.nn.utils.clip_grad_norm_). */
  clipNorm?: number;
  /** "mean": gradients of the loss divided by T·B. */
  reduction: "sum" | "mean";
}

const BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8; // torch.optim.Adam's defaults, as bptt's

export interface HandwrittenTrainer {
  /** One SGD step on a batch; returns the summed loss before the update. */
  step: (batch: Batch) => number;
  /** Summed loss of a batch at the current weights (forward only). */
  loss: (batch: Batch) => number;
}

/** c (M,N) += a (M,K) · w (N,K)ᵀ, row-major with offsets: blocks of 2 rows of a × 4 rows of w. */
function addProductNT(c: Float32Array, c0: number, a: Float32Array, a0: number, w: Float32Array, M: number, N: number, K: number): void {
  let i = 0;
  for (; i + 1 < M; i += 2) {
    const p = a0 + i * K, q = p + K, ci = c0 + i * N, cq = ci + N;
    let j = 0;
    for (; j + 3 < N; j += 4) {
      const w0 = j * K, w1 = w0 + K, w2 = w1 + K, w3 = w2 + K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let k = 0; k < K; k++) {
        const x = a[p + k], z = a[q + k], u0 = w[w0 + k], u1 = w[w1 + k], u2 = w[w2 + k], u3 = w[w3 + k];
        s0 += u0 * x; s1 += u1 * x; s2 += u2 * x; s3 += u3 * x;
        t0 += u0 * z; t1 += u1 * z; t2 += u2 * z; t3 += u3 * z;
      }
      c[ci + j] += s0; c[ci + j + 1] += s1; c[ci + j + 2] += s2; c[ci + j + 3] += s3;
      c[cq + j] += t0; c[cq + j + 1] += t1; c[cq + j + 2] += t2; c[cq + j + 3] += t3;
    }
    for (; j < N; j++) {
      const wj = j * K;
      let s = 0, t = 0;
      for (let k = 0; k < K; k++) {
        s += w[wj + k] * a[p + k];
        t += w[wj + k] * a[q + k];
      }
      c[ci + j] += s;
      c[cq + j] += t;
    }
  }
  if (i < M) addRowProductNT(c, c0 + i * N, a, a0 + i * K, w, N, K);
}

/** c (N) += w (N,K) · a (K): 4 rows of w per pass, each load of a shared by the 4. */
function addRowProductNT(c: Float32Array, ci: number, a: Float32Array, p: number, w: Float32Array, N: number, K: number): void {
  let j = 0;
  for (; j + 3 < N; j += 4) {
    const w0 = j * K, w1 = w0 + K, w2 = w1 + K, w3 = w2 + K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < K; k++) {
      const x = a[p + k];
      s0 += w[w0 + k] * x; s1 += w[w1 + k] * x; s2 += w[w2 + k] * x; s3 += w[w3 + k] * x;
    }
    c[ci + j] += s0; c[ci + j + 1] += s1; c[ci + j + 2] += s2; c[ci + j + 3] += s3;
  }
  for (; j < N; j++) {
    const wj = j * K;
    let s = 0;
    for (let k = 0; k < K; k++) s += w[wj + k] * a[p + k];
    c[ci + j] += s;
  }
}

/** c (M,N) = a (M,K) · w (K,N): row i of c gathers a[i,k] · row k of w, 4 values of k per pass (one load and store of c per 4). */
function productNN(c: Float32Array, c0: number, a: Float32Array, a0: number, w: Float32Array, M: number, N: number, K: number): void {
  for (let i = 0; i < M; i++) {
    const ci = c0 + i * N, ai = a0 + i * K;
    let k = 0;
    if (K >= 4) {
      const x0 = a[ai], x1 = a[ai + 1], x2 = a[ai + 2], x3 = a[ai + 3];
      for (let j = 0; j < N; j++) c[ci + j] = x0 * w[j] + x1 * w[N + j] + x2 * w[2 * N + j] + x3 * w[3 * N + j];
      k = 4;
    } else {
      c.fill(0, ci, ci + N);
    }
    for (; k + 3 < K; k += 4) {
      const x0 = a[ai + k], x1 = a[ai + k + 1], x2 = a[ai + k + 2], x3 = a[ai + k + 3];
      const r0 = k * N, r1 = r0 + N, r2 = r1 + N, r3 = r2 + N;
      for (let j = 0; j < N; j++) c[ci + j] += x0 * w[r0 + j] + x1 * w[r1 + j] + x2 * w[r2 + j] + x3 * w[r3 + j];
    }
    for (; k < K; k++) {
      const x = a[ai + k], r = k * N;
      for (let j = 0; j < N; j++) c[ci + j] += x * w[r + j];
    }
  }
}

/** c (M,N) += a (K,M)ᵀ · b (K,N): a sum of K outer products, 4 values of k per pass over c. */
function addProductTN(c: Float32Array, a: Float32Array, a0: number, b: Float32Array, b0: number, M: number, N: number, K: number): void {
  let k = 0;
  for (; k + 3 < K; k += 4) {
    const p = a0 + k * M, q0 = b0 + k * N, q1 = q0 + N, q2 = q1 + N, q3 = q2 + N;
    for (let i = 0; i < M; i++) {
      const x0 = a[p + i], x1 = a[p + M + i], x2 = a[p + 2 * M + i], x3 = a[p + 3 * M + i], ci = i * N;
      for (let j = 0; j < N; j++) c[ci + j] += x0 * b[q0 + j] + x1 * b[q1 + j] + x2 * b[q2 + j] + x3 * b[q3 + j];
    }
  }
  for (; k < K; k++) {
    const p = a0 + k * M, q = b0 + k * N;
    for (let i = 0; i < M; i++) {
      const x = a[p + i], ci = i * N;
      for (let j = 0; j < N; j++) c[ci + j] += x * b[q + j];
    }
  }
}

export function handwrittenTrainer(model: RNN, settings: HandwrittenSettings, T: number, B: number): HandwrittenTrainer {
  const { optimizer, learningRate, clipNorm, reduction } = settings;
  const V = model.config.inputSize, H = model.config.hiddenSize, TB = T * B;
  const Wih = model.getParameter("rnn.weight_ih_l0"); // (H,V)
  const WxT = new Float32Array(V * H); // (V,H) = W_ihᵀ
  for (let j = 0; j < H; j++) for (let v = 0; v < V; v++) WxT[v * H + j] = Wih[j * V + v];
  const Whh = model.getParameter("rnn.weight_hh_l0"); // (H,H)
  const bih = model.getParameter("rnn.bias_ih_l0"), bhh = model.getParameter("rnn.bias_hh_l0");
  const bias = new Float32Array(H); // b_ih + b_hh
  for (let j = 0; j < H; j++) bias[j] = bih[j] + bhh[j];
  const Why = model.getParameter("head.weight"); // (V,H)
  const by = model.getParameter("head.bias"); // (V)
  const dWxT = new Float32Array(V * H), dWhh = new Float32Array(H * H), db = new Float32Array(H);
  const dWhy = new Float32Array(V * H), dby = new Float32Array(V);
  const hs = new Float32Array(TB * H); // (T,B,H) h_0 … h_{T−1}
  const ps = new Float32Array(TB * V); // (T,B,V) logits → probabilities → ∂E/∂logits
  const ds = new Float32Array(TB * H); // (T,B,H) ∂E/∂h from the head, then δ (pre-activation gradients)
  const carry = new Float32Array(B * H); // (B,H) W_hhᵀ δ_{t+1}
  // [parameter, gradient, how many of bptt's parameters it stands for]
  const tensors: [Float32Array, Float32Array, number][] = [[WxT, dWxT, 1], [Whh, dWhh, 1], [bias, db, 2], [Why, dWhy, 1], [by, dby, 1]];
  // Adam's first and second moments per tensor (empty for SGD)
  const moments = tensors.map(([p]) => optimizer === "adam" ? [new Float32Array(p.length), new Float32Array(p.length)] : []);
  let steps = 0;

  /** Fills hs and ps (probabilities); returns the summed loss. Token ids are (B,T) row-major. */
  function forward(batch: Batch): number {
    const x = batch.inputs, y = batch.targets!;
    for (let t = 0; t < T; t++) {
      const ht = t * B * H;
      for (let b = 0; b < B; b++) {
        const row = ht + b * H, w = x[b * T + t] * H;
        for (let j = 0; j < H; j++) hs[row + j] = WxT[w + j] + bias[j];
      }
      if (t > 0) addProductNT(hs, ht, hs, ht - B * H, Whh, B, H, H);
      for (let k = ht; k < ht + B * H; k++) hs[k] = Math.tanh(hs[k]);
    }
    for (let r = 0; r < TB; r++) ps.set(by, r * V);
    addProductNT(ps, 0, hs, 0, Why, TB, V, H);
    let loss = 0;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const p = (t * B + b) * V;
        let max = -Infinity;
        for (let o = 0; o < V; o++) if (ps[p + o] > max) max = ps[p + o];
        let sum = 0;
        for (let o = 0; o < V; o++) sum += (ps[p + o] = Math.exp(ps[p + o] - max));
        loss -= Math.log(ps[p + y[b * T + t]] / sum);
        const inv = 1 / sum;
        for (let o = 0; o < V; o++) ps[p + o] *= inv;
      }
    }
    return loss;
  }

  function step(batch: Batch): number {
    const loss = forward(batch);
    const x = batch.inputs, y = batch.targets!;
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) ps[(t * B + b) * V + y[b * T + t]] -= 1;
    if (reduction === "mean") {
      const inv = 1 / TB;
      for (let i = 0; i < ps.length; i++) ps[i] *= inv;
    }
    // the head over the whole window: ∂E/∂h (TB,H) = G W_hy; dW_hy = Gᵀ hs; db_y = Σ G
    productNN(ds, 0, ps, 0, Why, TB, H, V);
    dWhy.fill(0);
    addProductTN(dWhy, ps, 0, hs, 0, V, H, TB);
    dby.fill(0);
    for (let r = 0; r < TB; r++) for (let o = 0; o < V; o++) dby[o] += ps[r * V + o];
    // the recurrence: δ_t = (∂E/∂h_t + W_hhᵀ δ_{t+1}) ⊙ (1 − h_t²)
    carry.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const d = t * B * H;
      for (let k = 0; k < B * H; k++) {
        const h = hs[d + k];
        ds[d + k] = (ds[d + k] + carry[k]) * (1 - h * h);
      }
      if (t > 0) productNN(carry, 0, ds, d, Whh, B, H, H);
    }
    // weight gradients over the whole window: dW_hh = Σ_{t ≥ 1} δ_tᵀ h_{t−1}; db = Σ δ; dW_ihᵀ[x] += δ
    dWhh.fill(0);
    if (T > 1) addProductTN(dWhh, ds, B * H, hs, 0, H, H, (T - 1) * B);
    db.fill(0);
    dWxT.fill(0);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const d = (t * B + b) * H, w = x[b * T + t] * H;
        for (let j = 0; j < H; j++) {
          const g = ds[d + j];
          db[j] += g;
          dWxT[w + j] += g;
        }
      }
    }
    update();
    return loss;
  }

  /** Clipping to the global norm (the bias sum counts as the two biases it stands for), then SGD or Adam. */
  function update(): void {
    if (clipNorm !== undefined) {
      let sumSq = 0;
      for (const [, g, n] of tensors) {
        let s = 0;
        for (let i = 0; i < g.length; i++) s += g[i] * g[i];
        sumSq += n * s;
      }
      const coef = clipNorm / (Math.sqrt(sumSq) + 1e-6);
      if (coef < 1) for (const [, g] of tensors) for (let i = 0; i < g.length; i++) g[i] *= coef;
    }
    if (optimizer === "sgd") {
      for (const [p, g, n] of tensors) {
        const rate = n * learningRate;
        for (let i = 0; i < p.length; i++) p[i] -= rate * g[i];
      }
      return;
    }
    steps++;
    const stepSize = learningRate / (1 - BETA1 ** steps), bc2 = Math.sqrt(1 - BETA2 ** steps);
    tensors.forEach(([p, g, n], k) => {
      const [m, v] = moments[k];
      const rate = n * stepSize;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i];
        const mi = (m[i] = BETA1 * m[i] + (1 - BETA1) * gi);
        const vi = (v[i] = BETA2 * v[i] + (1 - BETA2) * gi * gi);
        p[i] -= (rate * mi) / (Math.sqrt(vi) / bc2 + EPS);
      }
    });
  }

  return { step, loss: forward };
}

/** A timed runner over the workload's batches (cycling), as workloads.trainingRunner. */
export function handwrittenRunner(model: RNN, batches: Batch[], settings: HandwrittenSettings): { call: () => void; dispose: () => void } {
  const { batchSize: B, seqLen: T } = batches[0];
  const trainer = handwrittenTrainer(model, settings, T, B);
  let n = 0;
  return {
    call: () => {
      trainer.step(batches[n]);
      n = (n + 1) % batches.length;
    },
    dispose: () => {},
  };
}
