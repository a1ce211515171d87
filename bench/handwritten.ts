/**
 * The yardstick for the pure-TS backend: a vanilla RNN trainer written the way one would by hand
 * for exactly this model — one Float32Array per tensor, plain loops, no kernel contract, no
 * arena, no validation — so that "the pure-TS backend is a fair baseline" is measured in the
 * same run instead of assumed. Same math as bptt (tanh RNN, one-hot input, linear head, summed
 * softmax cross-entropy, full BPTT, plain SGD); weights copied from a bptt model, so the first
 * loss must agree before it is timed. Training workloads only.
 */
import type { RNN } from "../src/index.js";
import type { Batch } from "../src/batch.js";

export interface HandwrittenTrainer {
  /** One SGD step on a batch; returns the summed loss before the update. */
  step: (batch: Batch) => number;
  /** Summed loss of a batch at the current weights (forward only). */
  loss: (batch: Batch) => number;
}

export function handwrittenTrainer(model: RNN, learningRate: number, T: number, B: number): HandwrittenTrainer {
  const V = model.config.inputSize, H = model.config.hiddenSize;
  const Wxh = model.getParameter("rnn.weight_ih_l0"); // (H,V)
  const Whh = model.getParameter("rnn.weight_hh_l0"); // (H,H)
  const bih = model.getParameter("rnn.bias_ih_l0"), bhh = model.getParameter("rnn.bias_hh_l0");
  const Why = model.getParameter("head.weight"); // (V,H)
  const by = model.getParameter("head.bias");
  const dWxh = new Float32Array(H * V), dWhh = new Float32Array(H * H), db = new Float32Array(H);
  const dWhy = new Float32Array(V * H), dby = new Float32Array(V);
  const hs = new Float32Array((T + 1) * B * H); // h_{-1} = 0 (slot 0), h_0 … h_{T−1}
  const ps = new Float32Array(T * B * V); // probabilities, then ∂E/∂logits
  const dh = new Float32Array(B * H), dhNext = new Float32Array(B * H);

  function forward(batch: Batch): number {
    const x = batch.inputs, y = batch.targets!;
    let loss = 0;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const prev = (t * B + b) * H, cur = prev + B * H, id = x[b * T + t];
        for (let j = 0; j < H; j++) {
          let s = Wxh[j * V + id] + bih[j] + bhh[j];
          const w = j * H;
          for (let k = 0; k < H; k++) s += Whh[w + k] * hs[prev + k];
          hs[cur + j] = Math.tanh(s);
        }
        const p = (t * B + b) * V;
        let max = -Infinity;
        for (let o = 0; o < V; o++) {
          let s = by[o];
          const w = o * H;
          for (let k = 0; k < H; k++) s += Why[w + k] * hs[cur + k];
          ps[p + o] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let o = 0; o < V; o++) sum += (ps[p + o] = Math.exp(ps[p + o] - max));
        const target = y[b * T + t];
        loss -= Math.log(ps[p + target] / sum);
        for (let o = 0; o < V; o++) ps[p + o] /= sum;
      }
    }
    return loss;
  }

  function step(batch: Batch): number {
    const loss = forward(batch);
    const x = batch.inputs, y = batch.targets!;
    dWxh.fill(0); dWhh.fill(0); db.fill(0); dWhy.fill(0); dby.fill(0); dhNext.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      for (let b = 0; b < B; b++) {
        const p = (t * B + b) * V, cur = ((t + 1) * B + b) * H, prev = cur - B * H, d = b * H;
        ps[p + y[b * T + t]] -= 1;
        for (let j = 0; j < H; j++) dh[d + j] = dhNext[d + j];
        for (let o = 0; o < V; o++) {
          const g = ps[p + o], w = o * H;
          dby[o] += g;
          for (let k = 0; k < H; k++) {
            dWhy[w + k] += g * hs[cur + k];
            dh[d + k] += g * Why[w + k];
          }
        }
        const id = x[b * T + t];
        for (let j = 0; j < H; j++) dh[d + j] *= 1 - hs[cur + j] * hs[cur + j];
        for (let k = 0; k < H; k++) dhNext[d + k] = 0;
        for (let j = 0; j < H; j++) {
          const g = dh[d + j], w = j * H;
          db[j] += g;
          dWxh[j * V + id] += g;
          for (let k = 0; k < H; k++) {
            dWhh[w + k] += g * hs[prev + k];
            dhNext[d + k] += g * Whh[w + k];
          }
        }
      }
    }
    for (let i = 0; i < Wxh.length; i++) Wxh[i] -= learningRate * dWxh[i];
    for (let i = 0; i < Whh.length; i++) Whh[i] -= learningRate * dWhh[i];
    for (let i = 0; i < H; i++) {
      bih[i] -= learningRate * db[i];
      bhh[i] -= learningRate * db[i];
    }
    for (let i = 0; i < Why.length; i++) Why[i] -= learningRate * dWhy[i];
    for (let i = 0; i < V; i++) by[i] -= learningRate * dby[i];
    return loss;
  }

  return { step, loss: forward };
}

/** A timed runner over the workload's batches (cycling), as workloads.trainingRunner. */
export function handwrittenRunner(model: RNN, batches: Batch[], learningRate: number): { call: () => void; dispose: () => void } {
  const { batchSize: B, seqLen: T } = batches[0];
  const trainer = handwrittenTrainer(model, learningRate, T, B);
  let n = 0;
  return {
    call: () => {
      trainer.step(batches[n]);
      n = (n + 1) % batches.length;
    },
    dispose: () => {},
  };
}
