// Memory planning for a model's activations: the window block (what one training window needs, forward
// and backward) and the stream block (what streaming inference needs), as offsets from the start of
// each block, and the absolute pointers once the arena has placed the block. The model (src/model.ts)
// decides when to plan again (a larger window, another stream count) and asks the arena for room.
//
// In a relative layout, −1 marks a tensor the model does not have (no LSTM cell state, no embedding,
// one direction); the absolute pointers turn it into 0, which the kernels read as "absent".
import type { Ptr } from "./backend.js";
import type { CellSpec } from "./cells/cell.js";
import { align16 } from "./limits.js";
import type { RNNConfig } from "./model.js";

export interface WindowPointers {
  rows: number;
  T: number;
  B: number;
  cache: Ptr[];
  dcache: Ptr[];
  h0: Ptr;
  dh0: Ptr;
  /** (L,B,H) initial cell state and its gradient (LSTM); 0 for other cells (−1 in the relative layout). */
  c0: Ptr;
  dc0: Ptr;
  inputs: Ptr;
  targets: Ptr;
  mask: Ptr;
  logits: Ptr;
  dlogits: Ptr;
  dhNorms: Ptr;
  /** (T,B,E) the embedding's output and its gradient; 0 without an embedding (−1 in the relative layout). */
  embedded: Ptr;
  dembedded: Ptr;
  /** (B) int32 the batch's lengths, when it has them. */
  lengths: Ptr;
  /** Per layer l < L−1 with dropout: (T,B,H) masks and the dropped outputs layer l+1 reads in training; else empty. */
  dropMasks: Ptr[];
  dropped: Ptr[];
  /**
   * Bidirectional only (else empty or 0, −1 in the relative layout): per layer, the concatenated (T,B,2R)
   * output [forward h_t, reverse h_t] and its gradient; per layer l ≥ 1 (at l − 1), the time-reversed copy
   * (T,B,2R) of its input the reverse direction reads, and the reverse direction's input gradient;
   * for layer 0, the time-reversed inputs and their embedding and its gradient.
   */
  outputs: Ptr[];
  doutputs: Ptr[];
  reversed: Ptr[];
  dreversed: Ptr[];
  inputsReversed: Ptr;
  embeddedReversed: Ptr;
  dembeddedReversed: Ptr;
  bytes: number;
}

export interface StreamPointers {
  B: number;
  state: Ptr;
  /** (L,B,H) cell state of the streams (LSTM); 0 for other cells (−1 in the relative layout). */
  cellState: Ptr;
  cache: Ptr[];
  inputs: Ptr;
  /** (B,E) the embedded tokens; 0 without an embedding (−1 in the relative layout). */
  embedded: Ptr;
  logits: Ptr;
  probs: Ptr;
  bytes: number;
}

/** A bump allocator over byte offsets from 0, 16-byte aligned; take(0) reads the total. */
function bump(): (floats: number) => number {
  let at = 0;
  return (floats) => {
    const p = at;
    at += align16(floats * 4);
    return p;
  };
}

/**
 * The window block for up to T steps, B sequences and T·B rows, keeping at least the capacity of
 * `previous` (a block only ever grows: the rows of a smaller (T', B') window are time-major and
 * contiguous, so each tensor needs room for T'·B' rows only). D directions; R units in h.
 */
export function planWindow(c: RNNConfig, cell: CellSpec, D: number, R: number, T: number, B: number, previous: WindowPointers | null): WindowPointers {
  const rows = Math.max(T * B, previous?.rows ?? 0), Tcap = Math.max(T, previous?.T ?? 0), Bcap = Math.max(B, previous?.B ?? 0);
  const H = c.hiddenSize, L = c.numLayers, O = c.outputSize, E = c.embeddingSize;
  const S = L * D, width = D * R; // S layer directions; width: what the next layer reads
  const take = bump();
  const cache: Ptr[] = [], dcache: Ptr[] = [], dropMasks: Ptr[] = [], dropped: Ptr[] = [];
  const outputs: Ptr[] = [], doutputs: Ptr[] = [], reversed: Ptr[] = [], dreversed: Ptr[] = [];
  for (let k = 0; k < S; k++) {
    cache.push(take(cell.cacheFloats(rows, H)));
    dcache.push(take(cell.dcacheFloats(rows, H)));
  }
  const lstm = cell.states === 2, inputFloats = c.input === "tokens" ? rows : rows * c.inputSize;
  const layout: WindowPointers = {
    rows, T: Tcap, B: Bcap, cache, dcache,
    h0: take(S * Bcap * R), dh0: take(S * Bcap * R),
    c0: lstm ? take(S * Bcap * H) : -1, dc0: lstm ? take(S * Bcap * H) : -1,
    inputs: take(inputFloats),
    targets: take(c.loss === "cross-entropy" ? rows : rows * O),
    mask: take(rows), logits: take(rows * O), dlogits: take(rows * O),
    dhNorms: take(S * Tcap * Bcap), lengths: take(Bcap),
    embedded: E > 0 ? take(rows * E) : -1, dembedded: E > 0 ? take(rows * E) : -1,
    dropMasks, dropped, outputs, doutputs, reversed, dreversed,
    inputsReversed: D === 2 ? take(inputFloats) : -1,
    embeddedReversed: D === 2 && E > 0 ? take(rows * E) : -1, dembeddedReversed: D === 2 && E > 0 ? take(rows * E) : -1,
    bytes: 0,
  };
  if (c.dropout > 0) {
    for (let l = 0; l + 1 < L; l++) {
      dropMasks.push(take(rows * width));
      dropped.push(take(rows * width));
    }
  }
  if (D === 2) {
    for (let l = 0; l < L; l++) {
      outputs.push(take(rows * width));
      doutputs.push(take(rows * width));
      if (l + 1 < L) {
        reversed.push(take(rows * width));
        dreversed.push(take(rows * width));
      }
    }
  }
  layout.bytes = take(0);
  return layout;
}

/** The window's absolute pointers, its block placed at `base` (−1 → 0: absent). */
export function windowAt(w: WindowPointers, base: Ptr): WindowPointers {
  const add = (p: Ptr) => base + p;
  return {
    ...w, cache: w.cache.map(add), dcache: w.dcache.map(add), h0: add(w.h0), dh0: add(w.dh0),
    c0: w.c0 < 0 ? 0 : add(w.c0), dc0: w.dc0 < 0 ? 0 : add(w.dc0), inputs: add(w.inputs),
    targets: add(w.targets), mask: add(w.mask), lengths: add(w.lengths), logits: add(w.logits), dlogits: add(w.dlogits), dhNorms: add(w.dhNorms),
    embedded: w.embedded < 0 ? 0 : add(w.embedded), dembedded: w.dembedded < 0 ? 0 : add(w.dembedded),
    dropMasks: w.dropMasks.map(add), dropped: w.dropped.map(add),
    outputs: w.outputs.map(add), doutputs: w.doutputs.map(add), reversed: w.reversed.map(add), dreversed: w.dreversed.map(add),
    inputsReversed: w.inputsReversed < 0 ? 0 : add(w.inputsReversed),
    embeddedReversed: w.embeddedReversed < 0 ? 0 : add(w.embeddedReversed), dembeddedReversed: w.dembeddedReversed < 0 ? 0 : add(w.dembeddedReversed),
  };
}

/** The stream block for B streams: h (R units a layer), an LSTM's c, each layer's step cache, inputs, the embedded tokens, logits and probabilities. */
export function planStream(c: RNNConfig, cell: CellSpec, R: number, B: number): StreamPointers {
  const H = c.hiddenSize, L = c.numLayers, O = c.outputSize;
  const take = bump();
  const state = take(L * B * R);
  const cellState = cell.states === 2 ? take(L * B * H) : -1;
  const cache: Ptr[] = [];
  for (let l = 0; l < L; l++) cache.push(take(cell.cacheFloats(B, H)));
  const inputs = take(c.input === "tokens" ? B : B * c.inputSize), logits = take(B * O), probs = take(B * O);
  const embedded = c.embeddingSize > 0 ? take(B * c.embeddingSize) : -1;
  return { B, state, cellState, cache, inputs, embedded, logits, probs, bytes: take(0) };
}

/** The stream's absolute pointers, its block placed at `base` (−1 → 0: absent). */
export function streamAt(s: StreamPointers, base: Ptr): StreamPointers {
  return { ...s, state: base + s.state, cellState: s.cellState < 0 ? 0 : base + s.cellState, cache: s.cache.map((p) => base + p), inputs: base + s.inputs,
    embedded: s.embedded < 0 ? 0 : base + s.embedded, logits: base + s.logits, probs: base + s.probs };
}
