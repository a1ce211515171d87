import { Activation, packedWhhFloats, type Backend, type Ptr } from "./backend.js";
import { Arena } from "./arena.js";
import { checkBackend, createBackend, type BackendKind } from "./backends/index.js";
import { IGNORE_INDEX, checkFiniteArray, checkLength, validateBatch, type Batch } from "./batch.js";
import type { CellSpec, LayerPointers } from "./cells/cell.js";
import { gruCell } from "./cells/gru.js";
import { lstmCell } from "./cells/lstm.js";
import { lstmProjCell } from "./cells/lstmp.js";
import { rnnCell } from "./cells/rnn.js";
import { BpttError, checkKeys, checkOneOf, checkPositiveInt, checkSeed, describe, invalid } from "./errors.js";
import { identityFill, initSchemes, orthogonalFill, uniformFill, xavierFill, type InitScheme } from "./init.js";
import { align16, checkModelSize, limitText, memoryLimit } from "./limits.js";
import { parameterLayout, type LayerSlots, type ParameterLayout, type TensorSlot } from "./layout.js";
import { Random } from "./random.js";
import { planStream, planWindow, streamAt, windowAt, type StreamPointers, type WindowPointers } from "./memory-plan.js";

export interface RNNOptions {
  /**
   * Recurrent cell: "rnn" (Elman, nn.RNN), "lstm" (nn.LSTM: gates i, f, g, o; state (h, c)) or
   * "gru" (nn.GRU: gates r, z, n; b_hn inside the reset product). Weights are (G·H, ·) with G = 1, 4, 3.
   */
  cell?: "rnn" | "lstm" | "gru";
  /** "tokens": integer ids, one-hot by meaning (a column gather, never materialised); "dense": float vectors. */
  input?: "tokens" | "dense";
  /** I: vocabulary size (tokens) or features per step (dense). */
  inputSize: number;
  /** H: hidden units per layer. */
  hiddenSize: number;
  /**
   * E: with `input: "tokens"`, an nn.Embedding(inputSize, E) named `embedding.weight` (V, E) sits before
   * the first layer, which then reads E features per step: forward gathers the rows of the tokens,
   * backward adds into them. 0 (default): no embedding, the first layer reads one-hot tokens.
   */
  embeddingSize?: number;
  /**
   * p in [0, 1): dropout on the outputs of every layer but the last, as nn.RNN/LSTM/GRU(dropout=p):
   * kept values are scaled by 1/(1 − p). Only in training (Trainer steps, or forward with
   * `{ training: true }`); masks come from the model's own seeded PRNG (getDropoutState). Default 0.
   */
  dropout?: number;
  /**
   * P (LSTM only, PyTorch's proj_size): h_t = W_hr (o ⊙ tanh c_t) with weight_hr_l{k} (P, H), so h has P
   * units and c has H: h0 is (L, B, P), c0 (L, B, H), and the next layer and the head read P. 0 < P < H,
   * as PyTorch requires; 0 (default): no projection.
   */
  projSize?: number;
  /**
   * true: every layer runs a second, reverse direction over the sequence (nn.RNN/LSTM/GRU(bidirectional=True)),
   * with its own tensors named with the suffix _reverse; layer k > 0 and the head read the concatenated
   * [forward, reverse] outputs (2H, or 2P with projSize), and h0/c0/finalState() are (2·L, B, ·), layer-major
   * then direction. The reverse direction needs the whole sequence: streaming `step` and `generate` refuse
   * such a model. Default false.
   */
  bidirectional?: boolean;
  /** O: classes (cross-entropy) or regression outputs (mse). Defaults to inputSize. */
  outputSize?: number;
  numLayers?: number;
  /** The vanilla cell's activation; refused for "lstm" and "gru", whose gate functions are fixed (σ and tanh). */
  nonlinearity?: "tanh" | "relu";
  /**
   * false: the recurrent layers have no bias_ih_l{k} / bias_hh_l{k} (PyTorch's `bias=False`); the
   * head keeps its bias. Default true.
   */
  bias?: boolean;
  /**
   * LSTM only: after initialisation, set the forget-gate block of bias_ih_l{k} (b_if) to this value and
   * the one of bias_hh_l{k} (b_hf) to 0 in every layer, so the effective forget bias b_if + b_hf is
   * exactly this value (1 is the usual choice: Gers et al. 2000, Jozefowicz et al. 2015). Unset: the
   * init scheme's biases are kept.
   */
  forgetBias?: number;
  /** "cross-entropy": softmax + CrossEntropyLoss(reduction="sum"); "mse": linear + MSELoss(reduction="sum"). */
  loss?: "cross-entropy" | "mse";
  init?: InitScheme;
  seed?: number;
  backend?: BackendKind;
  /** A precompiled bptt WebAssembly.Module to use instead of the embedded one (backend "wasm"). */
  wasmModule?: WebAssembly.Module;
}

/** The normalised options. `nonlinearity` is "tanh" (and unused) for gated cells; `forgetBias` is null when unset. */
export type RNNConfig = Required<Omit<RNNOptions, "wasmModule" | "forgetBias">> & { forgetBias: number | null };

export interface ForwardResult {
  /** Loss summed over time and batch (steps without a target add nothing). */
  loss: number;
  /** Number of steps with a target. */
  count: number;
  /** loss / count (0 when count is 0). */
  meanLoss: number;
}

/** A named tensor with its shape and data. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** What forward() may be asked besides the batch. */
export interface ForwardOptions {
  /** Apply dropout (when the model has it), drawing fresh masks from the model's PRNG, as a training step does. Default false. */
  training?: boolean;
}

const cells: Record<RNNConfig["cell"], CellSpec> = { rnn: rnnCell, lstm: lstmCell, gru: gruCell };
/** The cell spec of a configuration: the table's, or the LSTM with projections. */
function cellOf(c: RNNConfig): CellSpec {
  return c.projSize > 0 ? lstmProjCell(c.projSize) : cells[c.cell];
}

/** The parameter layout of a normalised configuration. */
function layoutOf(c: RNNConfig, cell: CellSpec): ParameterLayout {
  return parameterLayout(cell, c.inputSize, c.hiddenSize, c.numLayers, c.outputSize, c.bias, c.embeddingSize, c.projSize, c.bidirectional);
}

/** Mixed into the seed for the dropout PRNG, so that its draws differ from the initialisation's. */
const DROPOUT_SEED = 0x6a09e667;

/**
 * A stacked recurrent network with a linear head, trained by backpropagation through time.
 * All tensors live in one arena in the backend's memory: parameters, gradients and optimizer
 * state in blocks of the same layout, then the activations of the current window.
 */
export class RNN {
  static readonly ignoreIndex = IGNORE_INDEX;
  readonly config: RNNConfig;
  readonly layout: ParameterLayout;
  readonly #cell: CellSpec;
  #backend: Backend;
  readonly #arena: Arena;
  readonly #act: number;
  /** R: the width of h — projSize for an LSTM with projections, else hiddenSize (c always has hiddenSize). */
  readonly #R: number;
  /** D: directions per layer (2 when bidirectional); state tensors hold L·D slices, layer-major then direction. */
  readonly #D: number;
  /** Dropout: an element is kept when the top 24 bits of its draw are ≥ round(p·2²⁴); kept values are scaled by 1/(1 − p). */
  readonly #dropThreshold: number;
  readonly #dropScale: number;
  /** Window and stream layouts relative to their blocks, and their absolute pointers (recomputed when a block moves). */
  #windowLayout: WindowPointers | null = null;
  #window: WindowPointers | null = null;
  #windowAt = -1;
  #windowB = 0;
  #layerArgs: LayerPointers[] = [];
  #streamLayout: StreamPointers | null = null;
  #stream: StreamPointers | null = null;
  #streamAt = -1;
  #streamArgs: LayerPointers[] = [];
  /** The live probabilities view stepProbabilities returns, and the f32 view it was cut from. */
  #probsView: Float32Array | null = null;
  #probsViewOf: Float32Array | null = null;
  /** Shape of the last forward pass, or null when backward has nothing to work on. */
  #last: { T: number; B: number; hasTargets: boolean; dropped: boolean; lengths: boolean } | null = null;
  #disposed = false;

  constructor(options: RNNOptions) {
    this.config = normalise(options);
    const c = this.config;
    this.#cell = cellOf(c);
    this.#R = c.projSize > 0 ? c.projSize : c.hiddenSize;
    this.#D = c.bidirectional ? 2 : 1;
    this.#act = c.nonlinearity === "relu" ? Activation.Relu : Activation.Tanh;
    this.#dropThreshold = Math.round(c.dropout * 2 ** 24);
    this.#dropScale = 1 / (1 - c.dropout);
    // without biases the kernels read zeros and accumulate bias gradients into scratch that nothing
    // reads: outside the parameter and gradient blocks, so no optimizer, clipping or norm sees them
    const biasBytes = align16(this.#cell.gates * c.hiddenSize * 4);
    // every size in float64, checked before the layout (one object per tensor) or any memory exists
    checkModelSize({ ...c, gates: this.#cell.gates }, c.backend, c.bias ? 0 : 3 * biasBytes);
    this.layout = layoutOf(c, this.#cell);
    this.#backend = createBackend(c.backend, options.wasmModule);
    this.#arena = new Arena(this.#backend, memoryLimit(c.backend), limitText(c.backend));
    try {
      this.#arena.checkRoom(2 * align16(this.layout.span * 4) + (c.bias ? 0 : 3 * biasBytes), "the model's parameters and gradients");
      this.#arena.define("params", this.layout.span * 4);
      this.#arena.define("grads", this.layout.span * 4);
      if (!c.bias) this.#arena.define("noBias", 3 * biasBytes);
      if (c.dropout > 0) this.#arena.define("dropoutState", 16);
    } catch (error) {
      this.#backend.dispose();
      throw error;
    }
    this.initialise(c.init, c.seed);
  }

  get backendName(): "wasm" | "js" {
    return this.#backend.name;
  }

  /** Total number of trainable parameters. */
  get parameterCount(): number {
    return this.layout.tensors.reduce((n, t) => n + t.size, 0);
  }

  // ---------------------------------------------------------------- parameters

  /** Re-draw every parameter with a scheme and seed (see src/init.ts). */
  initialise(scheme: InitScheme, seed: number): void {
    this.#assertLive();
    checkOneOf("init", scheme, initSchemes);
    if (this.config.projSize > 0 && scheme !== "pytorch" && scheme !== "xavier") throw invalid(`init "${scheme}" makes square recurrent blocks; with projSize, W_hh is (4·hiddenSize, projSize): use "pytorch" or "xavier"`);
    const rng = new Random(seed);
    const f = this.#arena.f32();
    const base = this.#arena.block("params") >>> 2;
    const view = (t: TensorSlot) => f.subarray(base + t.offset, base + t.offset + t.size);
    const H = this.config.hiddenSize, G = this.#cell.gates, R = this.#R;
    // nn.Embedding's initialisation, N(0, 1), under every scheme
    if (this.layout.embedding !== null) {
      const table = view(this.layout.embedding);
      for (let i = 0; i < table.length; i++) table[i] = rng.normal();
    }
    if (this.config.dropout > 0) this.setDropoutState(new Random((seed ^ DROPOUT_SEED) >>> 0).getState());
    for (const layer of this.layout.layers) {
      const I = layer.inputSize;
      if (scheme === "pytorch") {
        const k = 1 / Math.sqrt(H);
        for (const t of [layer.weightIh, layer.weightHh, layer.biasIh, layer.biasHh, layer.weightHr]) if (t !== null) uniformFill(view(t), rng, k);
        continue;
      }
      xavierFill(view(layer.weightIh), rng, I, H);
      const whh = view(layer.weightHh);
      if (layer.weightHr !== null) xavierFill(view(layer.weightHr), rng, H, R); // only "xavier" reaches here with projections
      for (let g = 0; g < G; g++) {
        if (scheme === "xavier") xavierFill(whh.subarray(g * H * R, (g + 1) * H * R), rng, R, H);
        else if (scheme === "orthogonal") orthogonalFill(whh, rng, H, g * H * H);
        else identityFill(whh, H, g * H * H);
      }
      if (layer.biasIh !== null) view(layer.biasIh).fill(0);
      if (layer.biasHh !== null) view(layer.biasHh).fill(0);
    }
    const forgetBias = this.config.forgetBias;
    if (forgetBias !== null) {
      // LSTM gate blocks i, f, g, o: the forget gate is rows [H, 2H) of each bias
      for (const layer of this.layout.layers) {
        view(layer.biasIh!).fill(forgetBias, H, 2 * H);
        view(layer.biasHh!).fill(0, H, 2 * H);
      }
    }
    const bound = 1 / Math.sqrt(H);
    if (scheme === "pytorch") uniformFill(view(this.layout.headWeight), rng, bound);
    else xavierFill(view(this.layout.headWeight), rng, this.#D * R, this.config.outputSize);
    if (scheme === "pytorch") uniformFill(view(this.layout.headBias), rng, bound);
    else view(this.layout.headBias).fill(0);
  }

  /**
   * Every parameter by its PyTorch name, with its shape, as LIVE views into the model's memory:
   * writing through them changes the model. A view stays valid until the model's memory grows
   * (a forward or step with a larger batch or window than before, or attaching an optimizer)
   * or the model is disposed; take fresh views after such calls.
   */
  parameters(): NamedTensor[] {
    return this.#views("params");
  }

  /** The gradients, by the parameters' names, as live views (same lifetime as `parameters()`). */
  gradients(): NamedTensor[] {
    return this.#views("grads");
  }

  /** A copy of one parameter. */
  getParameter(name: string): Float32Array {
    return this.#tensorView("params", this.#slot(name)).slice();
  }

  /** A copy of one gradient. */
  getGradient(name: string): Float32Array {
    return this.#tensorView("grads", this.#slot(name)).slice();
  }

  /** The 4 words of the dropout PRNG (xoshiro128**) that the next training forward draws its masks from (a copy). */
  getDropoutState(): number[] {
    this.#requireDropout("getDropoutState");
    const at = this.#arena.block("dropoutState") >>> 2;
    return Array.from(this.#arena.i32().subarray(at, at + 4), (w) => w >>> 0);
  }

  /** Set the dropout PRNG's state (4 unsigned 32-bit words, not all 0), e.g. to replay the same masks. */
  setDropoutState(words: readonly number[]): void {
    this.#requireDropout("setDropoutState");
    if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) || words.every((w) => w === 0)) {
      throw invalid(`dropout state must be 4 unsigned 32-bit words, not all 0; got ${describe(words)}`);
    }
    this.#arena.i32().set(words.map((w) => w | 0), this.#arena.block("dropoutState") >>> 2);
  }

  #requireDropout(what: string): void {
    this.#assertLive();
    if (this.config.dropout === 0) throw new BpttError("INVALID_STATE", `${what}() is for models with dropout > 0; this model has none`);
  }

  /** Overwrite one parameter with `values` (validated: length and finiteness) — a copy in. */
  setParameter(name: string, values: ArrayLike<number>): void {
    this.#assertLive();
    const slot = this.#slot(name);
    const data = checkLength(`values for ${name}`, values, slot.size, `[${slot.shape.join(", ")}]`);
    checkFiniteArray(`values for ${name}`, data);
    this.#tensorView("params", slot).set(data);
  }

  // ---------------------------------------------------------------- training passes

  /**
   * Run the network over a batch and, when targets are given, compute the loss and the output
   * gradient. Caches what backward needs. Throws (changing nothing) on invalid input.
   */
  forward(batch: Batch, options: ForwardOptions = {}): ForwardResult {
    this.#assertLive();
    if (options === null || typeof options !== "object") throw invalid(`options must be an object { training? }; got ${describe(options)}`);
    if (options.training !== undefined && typeof options.training !== "boolean") throw invalid(`options.training must be true or false; got ${describe(options.training)}`);
    validateBatch(batch, this.config, false);
    return this.forwardValidated(batch, batch.h0, batch.c0, options.training === true);
  }

  /**
   * @internal forward() over a batch already checked by validateBatch, starting from h0/c0 (which
   * take the place of batch.h0/c0, finite and of length L·B·H): the trainer validates once per step
   * and passes its carried state without building a new batch object. `training`: apply dropout.
   */
  forwardValidated(batch: Batch, h0: ArrayLike<number> | undefined, c0: ArrayLike<number> | undefined, training = false): ForwardResult {
    this.#assertLive();
    const c = this.config;
    const { batchSize: B, seqLen: T } = batch;
    const w = this.#ensureWindow(T, B);
    this.#stage(batch, w, h0, c0);
    const H = c.hiddenSize, R = this.#R, D = this.#D, O = c.outputSize, L = c.numLayers, rows = T * B;
    const be = this.#backend;
    const dropped = training && c.dropout > 0 && L > 1;
    const table = this.layout.embedding === null ? 0 : this.#paramPtr(this.layout.embedding);
    const lengths = batch.lengths === undefined ? 0 : w.lengths; // the copies reverse each sequence within its own length
    if (w.embedded !== 0) be.embeddingForward(w.embedded, w.inputs, table, rows, c.embeddingSize);
    if (w.embeddedReversed !== 0) be.embeddingForward(w.embeddedReversed, w.inputsReversed, table, rows, c.embeddingSize);
    for (let l = 0; l < L; l++) {
      const input = l > 0 ? (dropped ? w.dropped[l - 1] : this.#output(w, l - 1)) : 0;
      // dropout on layer l−1's outputs, as the input of layer l only (h_n and the recurrence keep them whole)
      if (l > 0 && dropped) be.dropoutForward(input, w.dropMasks[l - 1], this.#output(w, l - 1), this.#arena.block("dropoutState"), rows * D * R, this.#dropThreshold, this.#dropScale);
      // the reverse direction reads its input time-reversed (layer 0's was staged reversed)
      if (l > 0 && D === 2) be.copySteps(w.reversed[l - 1], input, lengths, T, B, 2 * R, 2 * R, 2 * R, 1, 0);
      for (let d = 0; d < D; d++) {
        const k = l * D + d, args = this.#layerArgs[k];
        if (l > 0 && d === 0) args.x = input;
        // B = 1: W_hh packed once per window for its T matrix–vector products, read again by backward()
        // (one pass over W_hh against 2T; also from L3: W2, H = 512, 1.08–1.11×).
        // B ≥ 4: the same block is the kernels' scratch for W_hh packed once per call into gemm panels
        // (not once per step and thread: W6, LSTM H = 256, B = 32, 146.8 → 139.1 ms a step on 1 thread, 80.1 → 73.5 on 2).
        if (!be.readsPackedWeights) args.WhhPacked = 0;
        else if (B === 1) args.WhhPacked = this.#packWhh(k);
        else args.WhhPacked = B >= 4 && this.config.projSize === 0 ? this.#whhBlock(k) : 0;
        this.#cell.forward(be, args, T, B, this.layout.layers[k].inputSize, H);
      }
      if (D === 2) {
        // [forward h_t, reverse h_t] in forward time: the reverse direction's step s is time T−1−s
        be.copySteps(w.outputs[l], w.cache[l * 2], lengths, T, B, R, 2 * R, R, 0, 0);
        be.copySteps(w.outputs[l] + R * 4, w.cache[l * 2 + 1], lengths, T, B, R, 2 * R, R, 1, 0);
      }
    }
    be.linearForward(w.logits, this.#output(w, L - 1), this.#paramPtr(this.layout.headWeight), this.#paramPtr(this.layout.headBias), rows, O, D * R);
    let loss = 0, count = 0;
    const hasTargets = batch.targets !== undefined;
    if (hasTargets) {
      count = this.#countTargets(batch);
      loss = c.loss === "cross-entropy"
        ? be.crossEntropy(w.dlogits, w.logits, w.targets, rows, O)
        : be.mse(w.dlogits, w.logits, w.targets, w.mask, rows, O);
    }
    this.#last = { T, B, hasTargets, dropped, lengths: lengths !== 0 };
    return { loss, count, meanLoss: count > 0 ? loss / count : 0 };
  }

  /** Set every gradient to zero (one call over one contiguous block). */
  zeroGrad(): void {
    this.#assertLive();
    this.#backend.fill(this.#arena.block("grads"), this.layout.span, 0);
  }

  /**
   * Backpropagation through time over the last forward window: accumulates (+=) into the
   * gradients, and writes ∂E/∂h0 and the per-step gradient norms.
   */
  backward(): void {
    this.#assertLive();
    if (this.#last === null) throw new BpttError("INVALID_STATE", "backward() needs a forward() first");
    if (!this.#last.hasTargets) throw new BpttError("INVALID_STATE", "backward() needs a forward() with targets; the last forward() had none");
    const { T, B, dropped } = this.#last;
    const w = this.#currentWindow(B), c = this.config, be = this.#backend, lengths = this.#last.lengths ? w.lengths : 0;
    const H = c.hiddenSize, R = this.#R, D = this.#D, O = c.outputSize, L = c.numLayers, rows = T * B;
    be.linearBackward(this.#outputGradient(w, L - 1), this.#gradPtr(this.layout.headWeight), this.#gradPtr(this.layout.headBias), w.dlogits,
      this.#output(w, L - 1), this.#paramPtr(this.layout.headWeight), rows, O, D * R);
    for (let l = L - 1; l >= 0; l--) {
      if (D === 2) {
        // ∂E/∂[forward h_t, reverse h_t] split into the directions' ∂E/∂h, the reverse one in its own (reversed) time
        be.copySteps(w.dcache[l * 2], w.doutputs[l], lengths, T, B, R, R, 2 * R, 0, 0);
        be.copySteps(w.dcache[l * 2 + 1], w.doutputs[l] + R * 4, lengths, T, B, R, R, 2 * R, 1, 0);
      }
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        if (l > 0 && d === 0) this.#layerArgs[k].x = dropped ? w.dropped[l - 1] : this.#output(w, l - 1);
        this.#cell.backward(be, this.#layerArgs[k], T, B, this.layout.layers[k].inputSize, H);
      }
      // the reverse direction's input gradient, back in forward time, added to the forward direction's
      if (l > 0 && D === 2) be.copySteps(w.doutputs[l - 1], w.dreversed[l - 1], lengths, T, B, 2 * R, 2 * R, 2 * R, 1, 1);
      // ∂E/∂(dropped h) → ∂E/∂h of layer l−1, in place
      if (l > 0 && dropped) be.dropoutBackward(this.#outputGradient(w, l - 1), this.#outputGradient(w, l - 1), w.dropMasks[l - 1], rows * D * R);
    }
    if (w.embedded !== 0) be.embeddingBackward(this.#gradPtr(this.layout.embedding!), w.dembedded, w.inputs, rows, c.embeddingSize);
    if (w.embeddedReversed !== 0) be.embeddingBackward(this.#gradPtr(this.layout.embedding!), w.dembeddedReversed, w.inputsReversed, rows, c.embeddingSize);
  }

  /** Layer l's output, what layer l + 1 and the head read: h_t (T,B,R), or [forward, reverse] (T,B,2R) when bidirectional. */
  #output(w: WindowPointers, l: number): Ptr {
    return this.#D === 2 ? w.outputs[l] : w.cache[l];
  }

  /** ∂E/∂ layer l's output, written by layer l + 1 or the head (shaped as #output). */
  #outputGradient(w: WindowPointers, l: number): Ptr {
    return this.#D === 2 ? w.doutputs[l] : w.dcache[l];
  }

  // ---------------------------------------------------------------- results of the last pass

  /**
   * (B, T, O) copy of the last forward's outputs: logits (cross-entropy) or predictions (mse), batch-first;
   * 0 at the padding steps t ≥ lengths[b] of a batch with lengths.
   */
  outputs(): Float32Array {
    const { T, B, w } = this.#lastWindow("outputs");
    const O = this.config.outputSize;
    const out = new Float32Array(B * T * O);
    const f = this.#arena.f32(), base = w.logits >>> 2;
    for (let b = 0; b < B; b++) {
      const length = this.#lengthOf(w, b, T);
      for (let t = 0; t < length; t++) out.set(f.subarray(base + (t * B + b) * O, base + (t * B + b + 1) * O), (b * T + t) * O);
    }
    return out;
  }

  /** The number of steps of sequence b in the last forward: its lengths[b], or T. */
  #lengthOf(w: WindowPointers, b: number, T: number): number {
    return this.#last!.lengths ? this.#arena.i32()[(w.lengths >>> 2) + b] : T;
  }

  /**
   * (L, B, H) copy of the hidden state h_T after the last step of the last forward, to carry into the next window ((L, B, P) with projSize);
   * bidirectional: (2·L, B, ·), layer-major then direction, the reverse direction's after its last step, time 0 (PyTorch's h_n).
   * With batch.lengths, each sequence's state after its own last step lengths[b] − 1.
   */
  finalState(out?: Float32Array): Float32Array {
    return this.#finalStateOf(0, "finalState", out);
  }

  /** LSTM: (L, B, H) copy of the cell state c_T after the last step of the last forward (PyTorch's c_n; (2·L, B, H) when bidirectional). */
  finalCellState(out?: Float32Array): Float32Array {
    this.#requireCellState("finalCellState");
    return this.#finalStateOf(1, "finalCellState", out);
  }

  /** (L, B, H) copy of ∂E/∂h0 from the last backward ((L, B, P) with projSize). */
  initialStateGradient(): Float32Array {
    const { B, w } = this.#lastWindow("initialStateGradient");
    const n = this.config.numLayers * this.#D * B * this.#R;
    return this.#arena.f32().slice(w.dh0 >>> 2, (w.dh0 >>> 2) + n);
  }

  /** LSTM: (L, B, H) copy of ∂E/∂c0 from the last backward. */
  initialCellStateGradient(): Float32Array {
    this.#requireCellState("initialCellStateGradient");
    const { B, w } = this.#lastWindow("initialCellStateGradient");
    const n = this.config.numLayers * this.#D * B * this.config.hiddenSize;
    return this.#arena.f32().slice(w.dc0 >>> 2, (w.dc0 >>> 2) + n);
  }

  /** Whether the cell carries a cell state c beside h (LSTM). */
  get hasCellState(): boolean {
    return this.#cell.states === 2;
  }

  #finalStateOf(s: number, what: string, out?: Float32Array): Float32Array {
    const { T, B, w } = this.#lastWindow(what);
    const { hiddenSize } = this.config;
    const H = s === 0 ? this.#R : hiddenSize, L = this.config.numLayers * this.#D;
    const result = out ?? new Float32Array(L * B * H);
    if (result.length !== L * B * H) throw invalid(`out has length ${result.length}; expected ${this.#layersName} × batchSize × ${s === 0 ? this.#widthName : "hiddenSize"} = ${L * B * H}`);
    const f = this.#arena.f32();
    // both directions end at their own step lengths[b] − 1 (T − 1 without lengths; the reverse one's is time 0)
    const at = this.#cell.stateOffset(s, T * B, hiddenSize);
    for (let k = 0; k < L; k++) {
      for (let b = 0; b < B; b++) {
        const from = (w.cache[k] >>> 2) + at + ((this.#lengthOf(w, b, T) - 1) * B + b) * H;
        result.set(f.subarray(from, from + H), (k * B + b) * H);
      }
    }
    return result;
  }

  /** The name of the state tensors' first dimension in messages: "numLayers", or "2 × numLayers" when bidirectional. */
  get #layersName(): string {
    return this.#D === 2 ? "2 × numLayers" : "numLayers";
  }

  /** The name of h's width in messages: "projSize" with projections, else "hiddenSize". */
  get #widthName(): string {
    return this.config.projSize > 0 ? "projSize" : "hiddenSize";
  }

  #requireCellState(what: string): void {
    this.#assertLive();
    if (this.#cell.states !== 2) throw new BpttError("INVALID_STATE", `${what}() is for LSTM models, whose state is (h, c); this model's cell is "${this.config.cell}", whose only state is h`);
  }

  /** (L, T) copy of ‖∂E/∂h_t‖₂ (over the batch) per layer and step, from the last backward. */
  stepGradientNorms(): Float32Array {
    const { T, B, w } = this.#lastWindow("stepGradientNorms");
    const out = new Float32Array(this.config.numLayers * T), D = this.#D;
    const f = this.#arena.f32();
    for (let l = 0; l < this.config.numLayers; l++) {
      // the kernels leave each sequence's ‖∂E/∂h_t‖² (threads own sequences): summed here, in order,
      // over both directions when bidirectional (the reverse one's step length − 1 − t is time t)
      for (let t = 0; t < T; t++) {
        let sum = 0;
        for (let d = 0; d < D; d++) {
          const from = (w.dhNorms >>> 2) + (l * D + d) * w.T * w.B;
          for (let b = 0; b < B; b++) {
            const length = this.#lengthOf(w, b, T), step = d === 0 || t >= length ? t : length - 1 - t;
            sum += f[from + step * B + b];
          }
        }
        out[l * T + t] = Math.sqrt(sum);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- streaming inference

  /**
   * Start `batchSize` independent streams for `step`, from zeros or a given (L, B, H) hidden state
   * and, for LSTM, a given (L, B, H) cell state (zeros when absent).
   */
  resetState(batchSize = 1, state?: ArrayLike<number>, cellState?: ArrayLike<number>): void {
    this.#assertLive();
    this.#refuseBidirectional("resetState");
    const B = checkPositiveInt("batchSize", batchSize);
    const { numLayers: L, hiddenSize: H } = this.config, R = this.#R;
    if (state !== undefined) checkFiniteArray("state", checkLength("state", state, L * B * R, `numLayers × batchSize × ${this.#widthName} = ${L} × ${B} × ${R}`));
    if (cellState !== undefined) {
      if (this.#cell.states !== 2) throw invalid(`cellState is the LSTM cell state; this model's cell is "${this.config.cell}", whose only state is h`);
      checkFiniteArray("cellState", checkLength("cellState", cellState, L * B * H, `numLayers × batchSize × hiddenSize = ${L} × ${B} × ${H}`));
    }
    const s = this.#ensureStream(B);
    const f = this.#arena.f32();
    if (state === undefined) f.fill(0, s.state >>> 2, (s.state >>> 2) + L * B * R);
    else f.set(state, s.state >>> 2);
    if (s.cellState !== 0) {
      if (cellState === undefined) f.fill(0, s.cellState >>> 2, (s.cellState >>> 2) + L * B * H);
      else f.set(cellState, s.cellState >>> 2);
    }
  }

  /** (L, B, H) copy of the streams' hidden state h. */
  getState(): Float32Array {
    const s = this.#requireStream("getState");
    const n = this.config.numLayers * s.B * this.#R;
    return this.#arena.f32().slice(s.state >>> 2, (s.state >>> 2) + n);
  }

  /** LSTM: (L, B, H) copy of the streams' cell state c. */
  getCellState(): Float32Array {
    this.#requireCellState("getCellState");
    const s = this.#requireStream("getCellState");
    const n = this.config.numLayers * s.B * this.config.hiddenSize;
    return this.#arena.f32().slice(s.cellState >>> 2, (s.cellState >>> 2) + n);
  }

  /**
   * Advance every stream by one step: `input` is one token id per stream (B ids) or B·I floats.
   * Returns a (B, O) copy of the outputs (logits or predictions).
   */
  step(input: number | ArrayLike<number>): Float32Array {
    const ptr = this.#stepLive(input);
    const n = this.#requireStream("step").B * this.config.outputSize;
    return this.#arena.f32().slice(ptr >>> 2, (ptr >>> 2) + n);
  }

  /**
   * Advance the streams one step and return a live (B, O) view of softmax(logits / temperature),
   * valid until the next call on the model. Used by sampling; cross-entropy models only.
   */
  stepProbabilities(input: number | ArrayLike<number>, temperature = 1): Float32Array {
    if (this.config.loss !== "cross-entropy") throw new BpttError("INVALID_STATE", "stepProbabilities() needs a cross-entropy model");
    if (!(temperature > 0) || !Number.isFinite(temperature)) throw invalid(`temperature must be a finite number > 0; got ${describe(temperature)}`);
    const logits = this.#stepLive(input);
    const s = this.#stream!;
    const O = this.config.outputSize;
    this.#backend.softmax(s.probs, logits, s.B, O, 1 / temperature);
    // one view per (memory buffer, stream block): sampling loops allocate nothing per token
    const f = this.#arena.f32();
    if (this.#probsView === null || this.#probsViewOf !== f || this.#probsView.byteOffset !== s.probs || this.#probsView.length !== s.B * O) {
      this.#probsView = f.subarray(s.probs >>> 2, (s.probs >>> 2) + s.B * O);
      this.#probsViewOf = f;
    }
    return this.#probsView;
  }

  #stepLive(input: number | ArrayLike<number>): Ptr {
    const s = this.#requireStream("step");
    const c = this.config, B = s.B, H = c.hiddenSize, L = c.numLayers, I = c.inputSize;
    if (c.input === "tokens" && B === 1 && typeof input === "number") {
      // the sampling loop's case (one stream, one id): no array built
      if (!Number.isInteger(input) || input < 0 || input >= I) throw invalid(`input[0] is ${describe(input)}; expected a token id, an integer in [0, ${I})`);
      this.#arena.i32()[s.inputs >>> 2] = input;
    } else if (c.input === "tokens") {
      const values = typeof input === "number" ? [input] : input;
      checkLength("input", values, B, `one token id per stream = ${B}`);
      for (let b = 0; b < B; b++) {
        const id = values[b];
        if (!Number.isInteger(id) || id < 0 || id >= I) throw invalid(`input[${b}] is ${describe(id)}; expected a token id, an integer in [0, ${I})`);
      }
      const ids = this.#arena.i32();
      for (let b = 0; b < B; b++) ids[(s.inputs >>> 2) + b] = values[b];
    } else {
      const values = typeof input === "number" ? [input] : input;
      checkFiniteArray("input", checkLength("input", values, B * I, `batchSize × inputSize = ${B} × ${I}`));
      this.#arena.f32().set(values, s.inputs >>> 2);
    }
    const be = this.#backend;
    const cAt = this.#cell.stateOffset(1, B, H) * 4, R = this.#R;
    if (s.embedded !== 0) be.embeddingForward(s.embedded, s.inputs, this.#paramPtr(this.layout.embedding!), B, c.embeddingSize);
    for (let l = 0; l < L; l++) {
      const args = this.#streamArgs[l];
      this.#cell.forward(be, args, 1, B, this.layout.layers[l].inputSize, H);
      be.copy(args.h0, s.cache[l], B * R);
      if (args.c0 !== 0) be.copy(args.c0, s.cache[l] + cAt, B * H);
    }
    be.linearForward(s.logits, s.cache[L - 1], this.#paramPtr(this.layout.headWeight), this.#paramPtr(this.layout.headBias), B, c.outputSize, R);
    return s.logits;
  }

  // ---------------------------------------------------------------- lifetime and internals shared with the trainer

  /** Release the model's memory (and its Wasm instance). Every later call throws. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#backend.dispose();
    this.#window = this.#windowLayout = this.#stream = this.#streamLayout = null;
    this.#last = null;
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  /**
   * @internal Run `fn` with the stream steps of the cells reading W_hh packed once, for
   * generate(): nothing inside it changes the weights. Afterwards the steps read W_hh again.
   */
  withPackedStreamWeights<R>(fn: () => R): R {
    const s = this.#requireStream("withPackedStreamWeights");
    if (s.B !== 1 || !this.#backend.readsPackedWeights) return fn();
    for (let l = 0; l < this.config.numLayers; l++) this.#streamArgs[l].WhhPacked = this.#packWhh(l);
    try {
      return fn();
    } finally {
      for (const args of this.#streamArgs) args.WhhPacked = 0;
    }
  }

  /**
   * W_hh (G·H, H) of layer l copied into its packRowGroups layout (block "packedWhh", defined on first
   * use) for the B = 1 matrix–vector products of the cell kernels; 0 for the LSTM with projections.
   */
  #packWhh(k: number): Ptr {
    if (this.config.projSize > 0) return 0;
    const H = this.config.hiddenSize, ptr = this.#whhBlock(k);
    this.#backend.packRowGroups(ptr, this.#paramPtr(this.layout.layers[k].weightHh), this.#cell.gates * H, H);
    return ptr;
  }

  /** Layer direction k's part of block "packedWhh" (packedWhhFloats(G, H) floats per layer direction, defined on first use). */
  #whhBlock(k: number): Ptr {
    const H = this.config.hiddenSize, bytes = packedWhhFloats(this.#cell.gates, H) * 4;
    if (!this.#arena.has("packedWhh")) this.#arena.define("packedWhh", this.layout.layers.length * bytes);
    return this.#arena.block("packedWhh") + k * bytes;
  }

  /** @internal The backend and arena, for the trainer's kernels over the parameter blocks. */
  internals(): { backend: Backend; arena: Arena } {
    this.#assertLive();
    return { backend: this.#backend, arena: this.#arena };
  }

  /** Bytes of memory the model uses: its arena, and the scratch of the other threads when its calls run on a pool. */
  get memoryBytes(): number {
    return this.#arena.end() + this.#backend.poolScratchBytes;
  }

  #assertLive(): void {
    if (this.#disposed) throw new BpttError("DISPOSED", "this model was disposed");
  }

  #slot(name: string): TensorSlot {
    const slot = this.layout.tensors.find((t) => t.name === name);
    if (!slot) throw invalid(`no parameter named ${JSON.stringify(name)}; the parameters are ${this.layout.tensors.map((t) => t.name).join(", ")}`);
    return slot;
  }

  #tensorView(block: "params" | "grads", slot: TensorSlot): Float32Array {
    this.#assertLive();
    const base = (this.#arena.block(block) >>> 2) + slot.offset;
    return this.#arena.f32().subarray(base, base + slot.size);
  }

  #views(block: "params" | "grads"): NamedTensor[] {
    return this.layout.tensors.map((t) => ({ name: t.name, shape: t.shape.slice(), data: this.#tensorView(block, t) }));
  }

  #paramPtr(slot: TensorSlot): Ptr {
    return this.#arena.block("params") + slot.offset * 4;
  }

  #gradPtr(slot: TensorSlot): Ptr {
    return this.#arena.block("grads") + slot.offset * 4;
  }

  /** A layer's biases and their gradients; without biases, a zero vector and two scratch vectors (block "noBias"). */
  #biasPointers(slots: LayerSlots): { bih: Ptr; bhh: Ptr; dbih: Ptr; dbhh: Ptr } {
    if (slots.biasIh !== null && slots.biasHh !== null) {
      return { bih: this.#paramPtr(slots.biasIh), bhh: this.#paramPtr(slots.biasHh), dbih: this.#gradPtr(slots.biasIh), dbhh: this.#gradPtr(slots.biasHh) };
    }
    const zeros = this.#arena.block("noBias"), size = align16(this.#cell.gates * this.config.hiddenSize * 4);
    return { bih: zeros, bhh: zeros, dbih: zeros + size, dbhh: zeros + 2 * size };
  }

  /** The kernel arguments of layer direction k = l·D + d (d = 1: the reverse direction, over time-reversed copies). */
  #layerPointers(w: WindowPointers, k: number, B: number): LayerPointers {
    const c = this.config, slots = this.layout.layers[k], l = Math.floor(k / this.#D), reverse = k % this.#D === 1;
    const first = l === 0, embedded = w.embedded !== 0;
    const inputs = reverse ? w.inputsReversed : w.inputs;
    let x: Ptr, dx: Ptr;
    if (!first) {
      x = reverse ? w.reversed[l - 1] : this.#output(w, l - 1);
      dx = reverse ? w.dreversed[l - 1] : this.#outputGradient(w, l - 1);
    } else if (embedded) {
      x = reverse ? w.embeddedReversed : w.embedded;
      dx = reverse ? w.dembeddedReversed : w.dembedded;
    } else {
      x = c.input === "dense" ? inputs : 0;
      dx = 0;
    }
    return {
      cache: w.cache[k], dcache: w.dcache[k], x, dx,
      tokens: first && c.input === "tokens" && !embedded ? inputs : 0,
      h0: w.h0 + k * B * this.#R * 4,
      dh0: w.dh0 + k * B * this.#R * 4,
      c0: w.c0 === 0 ? 0 : w.c0 + k * B * c.hiddenSize * 4,
      dc0: w.dc0 === 0 ? 0 : w.dc0 + k * B * c.hiddenSize * 4,
      dhNorms: w.dhNorms + k * w.T * w.B * 4,
      Wih: this.#paramPtr(slots.weightIh), Whh: this.#paramPtr(slots.weightHh), WhhPacked: 0,
      dWih: this.#gradPtr(slots.weightIh), dWhh: this.#gradPtr(slots.weightHh),
      Whr: slots.weightHr === null ? 0 : this.#paramPtr(slots.weightHr), dWhr: slots.weightHr === null ? 0 : this.#gradPtr(slots.weightHr),
      ...this.#biasPointers(slots),
      act: this.#act,
    };
  }

  /** Streaming runs one step at a time forward; a reverse direction needs the whole sequence first. */
  #refuseBidirectional(what: string): void {
    if (this.#D === 2) {
      throw new BpttError("INVALID_STATE", `${what}() streams one step at a time, but this model is bidirectional: its reverse direction reads each sequence from its end, so step() and generate() cannot run it; use forward() over whole sequences`);
    }
  }

  #lastWindow(what: string): { T: number; B: number; w: WindowPointers } {
    this.#assertLive();
    if (this.#last === null) throw new BpttError("INVALID_STATE", `${what}() needs a forward() first`);
    return { T: this.#last.T, B: this.#last.B, w: this.#currentWindow(this.#last.B) };
  }

  #requireStream(what: string): StreamPointers {
    this.#assertLive();
    this.#refuseBidirectional(what);
    const stream = this.#currentStream();
    if (stream === null) throw new BpttError("INVALID_STATE", `${what}() needs resetState(batchSize) first`);
    return stream;
  }

  /**
   * The window block, laid out for up to T steps, B sequences and T·B rows. It only ever grows,
   * so a training loop of constant (or shrinking) shape never reallocates: the rows of a smaller
   * (T', B') window are time-major and contiguous, so each tensor needs capacity for T'·B' rows only.
   */
  #ensureWindow(T: number, B: number): WindowPointers {
    const cur = this.#windowLayout;
    if (cur === null || T * B > cur.rows || T > cur.T || B > cur.B) {
      const layout = planWindow(this.config, this.#cell, this.#D, this.#R, T, B, cur);
      const room = this.#arena.endWith("window", layout.bytes) - this.#arena.end();
      this.#arena.checkRoom(room, `a window of batchSize × seqLen = ${B} × ${T}`);
      this.#arena.define("window", layout.bytes);
      this.#windowLayout = layout;
      this.#last = null;
      this.#windowAt = -1;
    }
    return this.#currentWindow(B);
  }

  /** Absolute window pointers and per-layer kernel arguments, recomputed only when the block moved or B changed. */
  #currentWindow(B: number): WindowPointers {
    const base = this.#arena.block("window");
    if (base === this.#windowAt && B === this.#windowB && this.#window !== null) return this.#window;
    this.#window = windowAt(this.#windowLayout!, base);
    this.#windowAt = base;
    this.#windowB = B;
    this.#layerArgs = [];
    for (let k = 0; k < this.layout.layers.length; k++) this.#layerArgs.push(this.#layerPointers(this.#window, k, B));
    return this.#window;
  }

  #ensureStream(B: number): StreamPointers {
    if (this.#streamLayout === null || this.#streamLayout.B !== B) {
      const layout = planStream(this.config, this.#cell, this.#R, B);
      const room = this.#arena.endWith("stream", layout.bytes) - this.#arena.end();
      this.#arena.checkRoom(room, `batchSize ${B} streams`);
      this.#arena.define("stream", layout.bytes);
      this.#streamLayout = layout;
      this.#streamAt = -1;
    }
    return this.#currentStream()!;
  }

  #currentStream(): StreamPointers | null {
    const s = this.#streamLayout;
    if (s === null) return null;
    const base = this.#arena.block("stream");
    if (base === this.#streamAt && this.#stream !== null) return this.#stream;
    this.#stream = streamAt(s, base);
    this.#streamAt = base;
    const c = this.config, H = c.hiddenSize, R = this.#R;
    this.#streamArgs = [];
    for (let l = 0; l < c.numLayers; l++) {
      const slots = this.layout.layers[l];
      this.#streamArgs.push({
        cache: this.#stream.cache[l], dcache: 0,
        x: l > 0 ? this.#stream.cache[l - 1] : this.#stream.embedded !== 0 ? this.#stream.embedded : c.input === "dense" ? this.#stream.inputs : 0,
        tokens: l === 0 && c.input === "tokens" && this.#stream.embedded === 0 ? this.#stream.inputs : 0,
        dx: 0, h0: this.#stream.state + l * s.B * R * 4, dh0: 0, dhNorms: 0,
        c0: this.#stream.cellState === 0 ? 0 : this.#stream.cellState + l * s.B * H * 4, dc0: 0,
        Wih: this.#paramPtr(slots.weightIh), Whh: this.#paramPtr(slots.weightHh), WhhPacked: 0,
        dWih: 0, dWhh: 0, ...this.#biasPointers(slots), dbih: 0, dbhh: 0, act: this.#act,
        Whr: slots.weightHr === null ? 0 : this.#paramPtr(slots.weightHr), dWhr: 0,
      });
    }
    return this.#stream;
  }

  /** Write a batch into the window block: transposed to time-major, masks folded into targets. */
  #stage(batch: Batch, w: WindowPointers, h0: ArrayLike<number> | undefined, c0: ArrayLike<number> | undefined): void {
    const c = this.config, B = batch.batchSize, T = batch.seqLen, H = c.hiddenSize, L = c.numLayers;
    const f = this.#arena.f32(), ids = this.#arena.i32();
    const I = c.inputSize, O = c.outputSize;
    const inputs = batch.inputs, targets = batch.targets, mask = batch.mask;
    // bidirectional: the inputs time-reversed too, within each sequence's length, for layer 0's reverse
    // direction (whose padding steps, after its end, read the padding in place); steps t ≥ length have no target
    const rev = w.inputsReversed >>> 2, lengths = batch.lengths;
    for (let b = 0; b < B; b++) {
      const length = lengths === undefined ? T : lengths[b];
      if (lengths !== undefined) ids[(w.lengths >>> 2) + b] = length;
      for (let t = 0; t < T; t++) {
        const src = b * T + t, row = t * B + b, mirror = (t < length ? length - 1 - t : t) * B + b;
        if (c.input === "tokens") {
          ids[(w.inputs >>> 2) + row] = inputs[src];
          if (rev !== 0) ids[rev + mirror] = inputs[src];
        } else {
          for (let i = 0; i < I; i++) f[(w.inputs >>> 2) + row * I + i] = inputs[src * I + i];
          if (rev !== 0) for (let i = 0; i < I; i++) f[rev + mirror * I + i] = inputs[src * I + i];
        }
        const keep = (mask === undefined || mask[src] === 1) && t < length;
        if (targets === undefined) continue;
        if (c.loss === "cross-entropy") {
          ids[(w.targets >>> 2) + row] = keep && targets[src] !== IGNORE_INDEX ? targets[src] : -1;
        } else {
          for (let o = 0; o < O; o++) f[(w.targets >>> 2) + row * O + o] = targets[src * O + o];
          f[(w.mask >>> 2) + row] = keep ? 1 : 0;
        }
      }
    }
    const R = this.#R;
    for (let l = 0; l < L * this.#D; l++) {
      const dst = (w.h0 >>> 2) + l * B * R;
      if (h0 === undefined) f.fill(0, dst, dst + B * R);
      else for (let k = 0; k < B * R; k++) f[dst + k] = h0[l * B * R + k];
      if (w.c0 === 0) continue;
      const cdst = (w.c0 >>> 2) + l * B * H;
      if (c0 === undefined) f.fill(0, cdst, cdst + B * H);
      else for (let k = 0; k < B * H; k++) f[cdst + k] = c0[l * B * H + k];
    }
  }

  #countTargets(batch: Batch): number {
    const { targets, mask, lengths } = batch;
    const n = batch.batchSize * batch.seqLen;
    let count = 0;
    for (let k = 0; k < n; k++) {
      if (mask !== undefined && mask[k] !== 1) continue;
      if (lengths !== undefined && k % batch.seqLen >= lengths[Math.floor(k / batch.seqLen)]) continue;
      if (this.config.loss === "cross-entropy" && targets![k] === IGNORE_INDEX) continue;
      count++;
    }
    return count;
  }
}


/**
 * The options checked and completed (defaults filled in) without building anything, and the
 * parameter layout they give, after checking in float64 that the model fits its backend's memory:
 * loaders check a file's configuration against its tensors with these before creating a model.
 */
export function resolveOptions(options: RNNOptions): { config: RNNConfig; layout: ParameterLayout } {
  const config = normalise(options);
  const cell = cellOf(config);
  checkModelSize({ ...config, gates: cell.gates }, config.backend, config.bias ? 0 : 3 * align16(cell.gates * config.hiddenSize * 4));
  return { config, layout: layoutOf(config, cell) };
}

function normalise(o: RNNOptions): RNNConfig {
  if (o === null || typeof o !== "object") throw invalid(`options must be an object { inputSize, hiddenSize, … }; got ${describe(o)}`);
  const input = checkOneOf("input", o.input ?? "tokens", ["tokens", "dense"] as const);
  const inputSize = checkPositiveInt("inputSize", o.inputSize);
  const cell = checkOneOf("cell", o.cell ?? "rnn", ["rnn", "lstm", "gru"] as const);
  if (cell !== "rnn" && o.nonlinearity !== undefined) {
    throw invalid(`nonlinearity applies to the vanilla cell only; cell "${cell}" has fixed gate functions (σ and tanh, as PyTorch's nn.${cell.toUpperCase()}): leave nonlinearity out`);
  }
  if (o.bias !== undefined && typeof o.bias !== "boolean") throw invalid(`bias must be true or false; got ${describe(o.bias)}`);
  const bias = o.bias ?? true;
  let forgetBias: number | null = null;
  if (o.forgetBias !== undefined && o.forgetBias !== null) {
    if (cell !== "lstm") throw invalid(`forgetBias initialises the LSTM forget gate; cell "${cell}" has none: leave forgetBias out`);
    if (!bias) throw invalid("forgetBias sets the LSTM forget-gate bias, but bias is false: the layers have no biases");
    if (typeof o.forgetBias !== "number" || !Number.isFinite(o.forgetBias)) throw invalid(`forgetBias must be a finite number; got ${describe(o.forgetBias)}`);
    forgetBias = o.forgetBias;
  }
  const embeddingSize = o.embeddingSize === undefined ? 0 : checkNonNegativeInt("embeddingSize", o.embeddingSize);
  if (embeddingSize > 0 && input !== "tokens") throw invalid(`embeddingSize needs input "tokens" (an nn.Embedding looks up token ids); input is "${input}": leave embeddingSize out`);
  const dropout = o.dropout === undefined ? 0 : o.dropout;
  if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1)) throw invalid(`dropout must be a number in [0, 1); got ${describe(dropout)}`);
  const projSize = o.projSize === undefined ? 0 : checkNonNegativeInt("projSize", o.projSize);
  if (o.bidirectional !== undefined && typeof o.bidirectional !== "boolean") throw invalid(`bidirectional must be true or false; got ${describe(o.bidirectional)}`);
  const hiddenSize = checkPositiveInt("hiddenSize", o.hiddenSize);
  const init = checkOneOf("init", o.init ?? "pytorch", initSchemes);
  if (projSize > 0) {
    if (cell !== "lstm") throw invalid(`projSize projects the LSTM's hidden state (nn.LSTM's proj_size); cell "${cell}" has none: leave projSize out`);
    if (projSize >= hiddenSize) throw invalid(`projSize must be smaller than hiddenSize, as nn.LSTM requires; got projSize ${projSize} and hiddenSize ${hiddenSize}`);
    if (init !== "pytorch" && init !== "xavier") throw invalid(`init "${init}" makes square recurrent blocks; with projSize, W_hh is (4·hiddenSize, projSize): use init "pytorch" or "xavier"`);
  }
  const config: RNNConfig = {
    cell,
    bias,
    forgetBias,
    input,
    inputSize,
    embeddingSize,
    dropout,
    projSize,
    bidirectional: o.bidirectional ?? false,
    hiddenSize,
    outputSize: checkPositiveInt("outputSize", o.outputSize ?? inputSize),
    numLayers: checkPositiveInt("numLayers", o.numLayers ?? 1),
    nonlinearity: checkOneOf("nonlinearity", o.nonlinearity ?? "tanh", ["tanh", "relu"] as const),
    loss: checkOneOf("loss", o.loss ?? "cross-entropy", ["cross-entropy", "mse"] as const),
    init,
    seed: checkSeed(o.seed ?? 0),
    backend: checkBackend(o.backend),
  };
  // the config has a key for every option but the module: any other key is unknown
  checkKeys("RNN", o, [...Object.keys(config), "wasmModule"]);
  return config;
}

function checkNonNegativeInt(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw invalid(`${name} must be a non-negative integer (0: none); got ${describe(value)}`);
  return value;
}
