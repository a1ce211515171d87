/**
 * The kernel contract, declared once and implemented twice: by the WebAssembly module
 * (`assembly/index.ts`, SIMD) and by the pure-TypeScript backend (`src/backends/js/`).
 *
 * Every kernel works on one flat memory owned by the backend (`buffer`). Tensors are passed
 * as byte offsets into it ("pointers", 16-byte aligned, never 0 unless the argument is
 * optional and absent) followed by dimensions as integers, in the order
 *   outputs, caches, inputs, parameters, dimensions (legend order), flags.
 * Layout is row-major and, for sequences, time-major: a window of T steps of B sequences
 * with H features is (T, B, H). Token ids are int32; everything else is float32.
 *
 * Dimension legend: T time steps, B batch, I input features (or vocabulary for tokens),
 * H hidden units, O outputs (classes for cross-entropy), M/N/K generic matrix sizes.
 *
 * Forward kernels overwrite their outputs; backward kernels accumulate (`+=`) into
 * parameter gradients and overwrite activation gradients, as each kernel states.
 */
export type Ptr = number;

/** Activation of the vanilla cell, as the integer code the kernels take. */
export const Activation = { Tanh: 0, Relu: 1 } as const;

/** Floats of packRowGroups' layout of an (R,K) matrix: 8⌈R/8⌉ · 4⌈K/4⌉. */
export function packedFloats(R: number, K: number): number {
  return Math.ceil(R / 8) * 8 * Math.ceil(K / 4) * 4;
}

/**
 * Floats of a cell kernel's WhhPacked for W_hh (G·H, H): its row groups (B = 1), or W_hh packed whole
 * into gemm panels (B > 1, assembly/ops/gemm.ts: K · 8⌈N/8⌉ floats for a (K,N) operand), as W_hhᵀ for
 * the forward products and as W_hh for the backward carries, whichever is largest.
 */
export function packedWhhFloats(G: number, H: number): number {
  const whole = (K: number, N: number) => K * Math.ceil(N / 8) * 8;
  return Math.max(packedFloats(G * H, H), whole(H, G * H), whole(G * H, H));
}

export interface Kernels {
  // ---- generic linear algebra (assembly/ops/matmul.ts) ----
  /** C (M,N) = A (M,K) · B (N,K)ᵀ, plus C when `accumulate` = 1. */
  matmulNT(C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, accumulate: number): void;
  /** C (M,N) = A (M,K) · B (K,N), plus C when `accumulate` = 1. */
  matmulNN(C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, accumulate: number): void;
  /** C (M,N) = A (K,M)ᵀ · B (K,N), plus C when `accumulate` = 1. */
  matmulTN(C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, accumulate: number): void;
  /**
   * Wp = W (R,K) in row groups (assembly/ops/matvec.ts), the layout the B = 1 recurrences read:
   *   Wp[((g·Q + q)·8 + r)·4 + c] = W[8g + r, 4q + c], zeros past row R and column K;
   * Wp holds packedFloats(R, K) = 8⌈R/8⌉ · 4⌈K/4⌉ floats.
   */
  packRowGroups(Wp: Ptr, W: Ptr, R: number, K: number): void;

  // ---- elementwise and reductions (assembly/ops/vector.ts) ----
  /** x[i] = value for i < n. */
  fill(x: Ptr, n: number, value: number): void;
  /** y[i] = x[i] for i < n (regions must not overlap). */
  copy(y: Ptr, x: Ptr, n: number): void;
  /** x[i] *= s. */
  scale(x: Ptr, n: number, s: number): void;
  /** x[i] = min(max(x[i], -c), c). */
  clipByValue(x: Ptr, n: number, c: number): void;
  /** Σ x[i]², accumulated in float64 (NaN or Infinity if any element is not finite). */
  sumSquares(x: Ptr, n: number): number;

  // ---- the linear head (assembly/ops/linear.ts) ----
  /** Y (N,O) = X (N,H) · W (O,H)ᵀ + b (O). */
  linearForward(Y: Ptr, X: Ptr, W: Ptr, b: Ptr, N: number, O: number, H: number): void;
  /**
   * dW (O,H) += dYᵀ X; db (O) += Σ_n dY[n]; dX (N,H) = dY (N,O) · W (O,H) when dX ≠ 0 (overwritten).
   */
  linearBackward(dX: Ptr, dW: Ptr, db: Ptr, dY: Ptr, X: Ptr, W: Ptr, N: number, O: number, H: number): void;

  // ---- the embedding (assembly/ops/embedding.ts), nn.Embedding ----
  /** X (N,E)[n] = W (V,E)[tokens[n]]: a row gather. tokens: (N) int32 ids in [0,V). */
  embeddingForward(X: Ptr, tokens: Ptr, W: Ptr, N: number, E: number): void;
  /** dW (V,E)[tokens[n]] += dX (N,E)[n] for n = 0 … N−1 in order (accumulated; one thread). */
  embeddingBackward(dW: Ptr, dX: Ptr, tokens: Ptr, N: number, E: number): void;

  // ---- dropout between layers (assembly/ops/dropout.ts) ----
  /**
   * Inverted dropout over n values with masks from xoshiro128** (src/random.ts) at `state` (4 u32 words,
   * advanced by n draws): mask[i] = scale when the top 24 bits of draw i are ≥ threshold (kept with
   * probability 1 − threshold/2²⁴), else 0;  y[i] = x[i]·mask[i].  y, mask, x: (n).  One thread.
   */
  dropoutForward(y: Ptr, mask: Ptr, x: Ptr, state: Ptr, n: number, threshold: number, scale: number): void;
  /** dx[i] = dy[i]·mask[i] over n values (dx may alias dy). */
  dropoutBackward(dx: Ptr, dy: Ptr, mask: Ptr, n: number): void;

  // ---- time steps between sequences (assembly/ops/steps.ts), for bidirectional layers and variable lengths; one thread ----
  /**
   * For t < len_b:  y[t,b,0:N] = x[s,b,0:N] with s = len_b−1−t when reverse = 1, else s = t;  plus y[t,b,0:N] when accumulate = 1.
   * For t ≥ len_b (padding):  y[t,b,0:N] = 0 when accumulate = 0, else unchanged.
   * y: (T,B,yStride);  x: (T,B,xStride), rows of yStride and xStride ≥ N floats;  lengths: (B) int32 in [1,T], or 0 for len_b = T;
   * the regions must not overlap.
   */
  copySteps(y: Ptr, x: Ptr, lengths: Ptr, T: number, B: number, N: number, yStride: number, xStride: number, reverse: number, accumulate: number): void;

  // ---- losses (assembly/loss.ts) ----
  /**
   * Softmax cross-entropy summed over rows whose target is ≥ 0 (rows with a negative target are
   * ignored and get a zero gradient). Writes dlogits = softmax(logits) − onehot(target) (may alias
   * logits) and returns Σ −log softmax(logits)[target], computed with log-sum-exp.
   * dlogits, logits: (N, O); targets: (N) int32.
   */
  crossEntropy(dlogits: Ptr, logits: Ptr, targets: Ptr, N: number, O: number): number;
  /**
   * Squared error Σ_n mask[n] Σ_o (y − target)²; writes dy = 2·mask[n]·(y − target) (may alias y).
   * dy, y, targets: (N, O); mask: (N) float32 weights (0 drops the row).
   */
  mse(dy: Ptr, y: Ptr, targets: Ptr, mask: Ptr, N: number, O: number): number;
  /** probs (N,O) = softmax(logits · invTemperature) row by row (may alias logits). */
  softmax(probs: Ptr, logits: Ptr, N: number, O: number, invTemperature: number): void;

  // ---- the vanilla (Elman) cell (assembly/cells/rnn.ts) ----
  /**
   * One layer over a whole window, all T steps in one call:
   *   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   h_{-1} = h0
   * hs: (T,B,H) out; x: (T,B,I) dense input, or 0 when `tokens` is given;
   * tokens: (T,B) int32 ids in [0,I) (x_t one-hot: W_ih x_t is column tokens[t,b] of W_ih), or 0;
   * h0: (B,H); Wih: (H,I); Whh: (H,H); bih, bhh: (H); act: Activation;
   * WhhPacked: 0, or packedFloats(H, H) floats: when B = 1, packRowGroups(W_hh), which the kernel may
   * read instead of Whh (it must hold the current W_hh); when B > 1, the kernel's scratch (overwritten).
   */
  rnnForward(hs: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, Wih: Ptr, Whh: Ptr, bih: Ptr, bhh: Ptr,
    T: number, B: number, I: number, H: number, act: number, WhhPacked: Ptr): void;
  /**
   * Backpropagation through time for one layer, time-reversed, in one call.
   *   g_t = dhs_t + W_hhᵀ δ_{t+1}            (∂E/∂h_t: from above plus from the future)
   *   δ_t = g_t ⊙ act'(h_t)                   (tanh' = 1 − h², relu' = [h > 0])
   *   dW_ih += Σ_t δ_t x_tᵀ, dW_hh += Σ_t δ_t h_{t-1}ᵀ, db_ih += Σ_t δ_t, db_hh += Σ_t δ_t
   *   dx_t = W_ihᵀ δ_t (overwritten, only when dx ≠ 0), dh0 = W_hhᵀ δ_0 (overwritten)
   * dhs: (T,B,H) in: ∂E/∂h_t from the layer above or the head; out: δ_t (overwritten).
   * dhNorms: (T,B) out: ‖g_t‖₂² of each sequence (summed over the batch by the model, in order, so that
   *   threads need not share a sum), or 0 to skip. hs, x, tokens, h0: as saved by rnnForward.
   * WhhPacked: as for rnnForward.
   */
  rnnBackward(dx: Ptr, dWih: Ptr, dWhh: Ptr, dbih: Ptr, dbhh: Ptr, dh0: Ptr, dhNorms: Ptr,
    dhs: Ptr, hs: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, Wih: Ptr, Whh: Ptr,
    T: number, B: number, I: number, H: number, act: number, WhhPacked: Ptr): void;

  // ---- the LSTM cell (assembly/cells/lstm.ts), nn.LSTM: gate blocks i, f, g, o of H rows ----
  /**
   * One layer over a whole window, all T steps in one call:
   *   a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh (4H);  i, f, o = σ(a_i, a_f, a_o);  g = tanh(a_g)
   *   c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t);  (h_{-1}, c_{-1}) = (h0, c0)
   * hs, cs, tanhCs: (T,B,H) out h_t, c_t, tanh(c_t);  gates: (T,B,4H) out post-activation i, f, g, o;
   * x: (T,B,I) dense input or 0;  tokens: (T,B) int32 ids in [0,I) or 0 (exactly one is given);
   * h0, c0: (B,H);  Wih: (4H,I);  Whh: (4H,H);  bih, bhh: (4H);  WhhPacked: as for rnnForward, of
   * packedWhhFloats(4, H) floats.
   */
  lstmForward(hs: Ptr, cs: Ptr, tanhCs: Ptr, gates: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, c0: Ptr,
    Wih: Ptr, Whh: Ptr, bih: Ptr, bhh: Ptr, T: number, B: number, I: number, H: number, WhhPacked: Ptr): void;
  /**
   * BPTT for one LSTM layer, time-reversed, in one call (δ: gradients of the gate pre-activations):
   *   dh_t = dhs_t + W_hhᵀ δ_{t+1};  dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ o ⊙ (1 − tanh² c_t)
   *   δi = dc_t ⊙ g ⊙ i(1−i);  δf = dc_t ⊙ c_{t-1} ⊙ f(1−f);  δg = dc_t ⊙ i ⊙ (1−g²);  δo = dh_t ⊙ tanh(c_t) ⊙ o(1−o)
   *   dW_ih += Σ_t δ_t x_tᵀ, dW_hh += Σ_t δ_t h_{t-1}ᵀ, db_ih += Σ_t δ_t, db_hh += Σ_t δ_t (accumulated)
   *   dx_t = W_ihᵀ δ_t (overwritten, dense input and dx ≠ 0 only);  dh0 = W_hhᵀ δ_0, dc0 = dc_0 ⊙ f_0 (overwritten)
   * dhNorms: (T,B) out ‖dh_t‖₂² per sequence, or 0;  dgates: (T,B,4H) scratch, left holding δ;
   * dhs: (T,B,H) in ∂E/∂h_t from above (read only);  the rest as given to / saved by lstmForward.
   */
  lstmBackward(dx: Ptr, dWih: Ptr, dWhh: Ptr, dbih: Ptr, dbhh: Ptr, dh0: Ptr, dc0: Ptr, dhNorms: Ptr,
    dgates: Ptr, dhs: Ptr, hs: Ptr, cs: Ptr, tanhCs: Ptr, gates: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, c0: Ptr,
    Wih: Ptr, Whh: Ptr, T: number, B: number, I: number, H: number, WhhPacked: Ptr): void;

  // ---- the LSTM with projections (assembly/cells/lstmp.ts), nn.LSTM(proj_size=P); one thread ----
  /**
   * One layer over a whole window: a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh;  i, f, g, o and c_t as lstmForward;
   *   m_t = o ⊙ tanh(c_t) (H);  h_t = W_hr m_t (P);  (h_{-1}, c_{-1}) = (h0, c0)
   * hs: (T,B,P) out;  ms, cs, tanhCs: (T,B,H) out;  gates: (T,B,4H) out post-activation i, f, g, o;
   * x: (T,B,I) or 0;  tokens: (T,B) or 0 (exactly one);  h0: (B,P);  c0: (B,H);  Wih: (4H,I);  Whh: (4H,P);  Whr: (P,H);  bih, bhh: (4H).
   */
  lstmProjForward(hs: Ptr, ms: Ptr, cs: Ptr, tanhCs: Ptr, gates: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, c0: Ptr,
    Wih: Ptr, Whh: Ptr, Whr: Ptr, bih: Ptr, bhh: Ptr, T: number, B: number, I: number, H: number, P: number): void;
  /**
   * BPTT for one projected LSTM layer: dh_t = dhs_t + W_hhᵀ δ_{t+1} (P);  dm_t = W_hrᵀ dh_t (H);  δ_t, dc_t as
   * lstmBackward with dm_t in place of dh_t;  dW_hr += Σ_t dh_t m_tᵀ;  dW_hh += Σ_t δ_t h_{t-1}ᵀ;  the input side,
   * dx, db as lstmBackward;  dh0 = W_hhᵀ δ_0 (B,P), dc0 = dc_0 ⊙ f_0 (B,H) (overwritten).
   * dhNorms: (T,B) out ‖dh_t‖₂² per sequence, or 0;  dgates: (T,B,4H) scratch, left holding δ;  dhp: (T,B,P) scratch, left holding dh_t;
   * dms: (2,B,H) scratch;  dhs: (T,B,P) in (read only);  the rest as given to / saved by lstmProjForward.
   */
  lstmProjBackward(dx: Ptr, dWih: Ptr, dWhh: Ptr, dWhr: Ptr, dbih: Ptr, dbhh: Ptr, dh0: Ptr, dc0: Ptr, dhNorms: Ptr,
    dgates: Ptr, dhp: Ptr, dms: Ptr, dhs: Ptr, hs: Ptr, ms: Ptr, cs: Ptr, tanhCs: Ptr, gates: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, c0: Ptr,
    Wih: Ptr, Whh: Ptr, Whr: Ptr, T: number, B: number, I: number, H: number, P: number): void;

  // ---- the GRU cell (assembly/cells/gru.ts), nn.GRU: gate blocks r, z, n of H rows ----
  /**
   * One layer over a whole window, all T steps in one call (b_hn inside the reset product, as PyTorch):
   *   r = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr);  z = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
   *   n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn));  h_t = (1 − z) ⊙ n + z ⊙ h_{t-1};  h_{-1} = h0
   * hs: (T,B,H) out;  gates: (T,B,3H) out post-activation r, z, n;  ghs: (T,B,3H) out W_hh h_{t-1} + b_hh;
   * x: (T,B,I) or 0;  tokens: (T,B) or 0 (exactly one);  h0: (B,H);  Wih: (3H,I);  Whh: (3H,H);  bih, bhh: (3H);
   * WhhPacked: 0, or packedWhhFloats(3, H) floats of the kernel's scratch (overwritten; used when B ≥ 4).
   */
  gruForward(hs: Ptr, gates: Ptr, ghs: Ptr, x: Ptr, tokens: Ptr, h0: Ptr,
    Wih: Ptr, Whh: Ptr, bih: Ptr, bhh: Ptr, T: number, B: number, I: number, H: number, WhhPacked: Ptr): void;
  /**
   * BPTT for one GRU layer, time-reversed, in one call, with dh_t = dhs_t + (carry from t+1):
   *   δn = dh_t ⊙ (1−z) ⊙ (1−n²);  δhn = δn ⊙ r;  δr = δn ⊙ (W_hn h_{t-1} + b_hn) ⊙ r(1−r);  δz = dh_t ⊙ (h_{t-1} − n) ⊙ z(1−z)
   *   carry to t−1 = dh_t ⊙ z + W_hhᵀ (δr, δz, δhn)
   *   dW_hh += Σ_t (δr, δz, δhn) h_{t-1}ᵀ, db_hh += Σ_t (δr, δz, δhn);  dW_ih += Σ_t (δr, δz, δn) x_tᵀ, db_ih += Σ_t (δr, δz, δn)
   *   dx_t = W_ihᵀ (δr, δz, δn) (overwritten, dense input and dx ≠ 0 only);  dh0 = the carry out of step 0 (overwritten)
   * dhNorms: (T,B) out ‖dh_t‖₂² per sequence, or 0;  dgates: (T,B,3H) scratch, left holding (δr, δz, δn);  dns: (T,B,H) scratch δn;
   * dhs: (T,B,H) in ∂E/∂h_t from above (read only);  the rest as given to / saved by gruForward.
   */
  gruBackward(dx: Ptr, dWih: Ptr, dWhh: Ptr, dbih: Ptr, dbhh: Ptr, dh0: Ptr, dhNorms: Ptr,
    dgates: Ptr, dns: Ptr, dhs: Ptr, hs: Ptr, gates: Ptr, ghs: Ptr, x: Ptr, tokens: Ptr, h0: Ptr,
    Wih: Ptr, Whh: Ptr, T: number, B: number, I: number, H: number, WhhPacked: Ptr): void;

  // ---- optimizers (assembly/optim.ts) ----
  /**
   * SGD with PyTorch's semantics (torch.optim.SGD), over n parameters:
   *   g = grad + weightDecay·p
   *   v = g on the first step (firstStep = 1), else v = momentum·v + (1 − dampening)·g   (only when momentum ≠ 0)
   *   g = g + momentum·v when nesterov = 1, else g = v                                   (only when momentum ≠ 0)
   *   p = p − lr·g
   * velocity is ignored (may be 0) when momentum = 0.
   */
  sgdStep(params: Ptr, grads: Ptr, velocity: Ptr, n: number, lr: number, momentum: number,
    dampening: number, weightDecay: number, nesterov: number, firstStep: number): void;
  /**
   * Adagrad (torch.optim.Adagrad):  g = grad + weightDecay·p;  sum = sum + g²;  p = p − clr·g / (√sum + eps).
   * clr = lr / (1 + (step − 1)·lr_decay), computed by the host. sum: (n), starts at initial_accumulator_value.
   */
  adagradStep(params: Ptr, grads: Ptr, sum: Ptr, n: number, clr: number, weightDecay: number, eps: number): void;
  /**
   * RMSprop (torch.optim.RMSprop):
   *   g = grad + weightDecay·p;  sq = α·sq + (1 − α)·g²
   *   avg = √(sq − ga²) + eps with ga = α·ga + (1 − α)·g when centered = 1, else avg = √sq + eps
   *   buf = momentum·buf + g/avg, p = p − lr·buf when momentum > 0, else p = p − lr·g/avg
   * squareAvg, gradAvg, momentumBuffer: (n), zero at the start; gradAvg is ignored (may be 0) unless
   * centered, momentumBuffer unless momentum > 0.
   */
  rmspropStep(params: Ptr, grads: Ptr, squareAvg: Ptr, gradAvg: Ptr, momentumBuffer: Ptr, n: number,
    lr: number, alpha: number, eps: number, weightDecay: number, momentum: number, centered: number): void;
  /**
   * Adam (torch.optim.Adam), at step t:
   *   g = grad + weightDecay·p;  m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²
   *   v̂ = vmax = max(vmax, v) when amsgrad = 1, else v̂ = v
   *   p = p − stepSize·m / (√v̂ / bc2Sqrt + eps)
   * stepSize = lr / (1 − β1^t) and bc2Sqrt = √(1 − β2^t), computed by the host (in f64).
   * expAvg, expAvgSq, maxExpAvgSq: (n), zero at the start; maxExpAvgSq is ignored (may be 0) unless amsgrad.
   */
  adamStep(params: Ptr, grads: Ptr, expAvg: Ptr, expAvgSq: Ptr, maxExpAvgSq: Ptr, n: number,
    stepSize: number, beta1: number, beta2: number, eps: number, weightDecay: number, bc2Sqrt: number, amsgrad: number): void;
  /**
   * AdamW (torch.optim.AdamW): p = paramScale·p first (decoupled weight decay, paramScale = 1 − lr·weight_decay
   * computed by the host), then Adam's update without the L2 term.
   */
  adamwStep(params: Ptr, grads: Ptr, expAvg: Ptr, expAvgSq: Ptr, maxExpAvgSq: Ptr, n: number,
    stepSize: number, beta1: number, beta2: number, eps: number, paramScale: number, bc2Sqrt: number, amsgrad: number): void;
}

export type KernelName = keyof Kernels;

export interface Backend extends Kernels {
  readonly name: "wasm" | "js";
  /**
   * Whether the cell kernels use their WhhPacked argument (a packed W_hh, or scratch): the model
   * packs W_hh only for a backend that reads it. The js twins compute from Whh and ignore it.
   */
  readonly readsPackedWeights: boolean;
  /** The memory every pointer refers to. Replaced when the memory grows: re-derive views then. */
  readonly buffer: ArrayBuffer;
  /** The first byte tensors may use (16-byte aligned, > 0): below it lies the module's static data. */
  readonly heapBase: number;
  /** Bytes above the host's data that calls on a thread pool use for the other threads' kernel scratch (0 on one thread). */
  readonly poolScratchBytes: number;
  /** Make at least `bytes` addressable. May replace `buffer`; existing data is kept. */
  reserve(bytes: number): void;
  /** Release the memory (and the Wasm instance). The backend is unusable afterwards. */
  dispose(): void;
}
