import type { Backend, Ptr } from "../backend.js";

/**
 * What the model needs to know about a recurrent cell: a kernel pair plus a parameter and memory layout.
 * Weight shapes follow PyTorch: weight_ih (G·H, I), weight_hh (G·H, H), bias_ih and bias_hh (G·H),
 * where G is the number of gate blocks (1 for the vanilla cell, 4 for LSTM, 3 for GRU).
 *
 * Per layer, a window of `rows` = T·B rows has a forward cache and a backward buffer:
 *   cache   the first rows·H floats are h_t (T,B,H) — the next layer's input and the head's —, then
 *           whatever else the kernel pair saves; state s's sequence (T,B,H) starts at stateOffset(s)
 *   dcache  the first rows·H floats are ∂E/∂h_t (T,B,H), written by the layer above or the head,
 *           then the backward kernel's scratch
 * The sub-tensors are placed for the actual rows of the call, so the layout of a window depends on
 * (T, B) only and a larger-capacity buffer always fits it.
 */
export interface CellSpec {
  readonly kind: "rnn" | "lstm" | "gru";
  /** G: gate blocks stacked in the weight rows. */
  readonly gates: number;
  /** S: state vectors per layer carried from step to step: 1 (h) or 2 (h, c for LSTM). */
  readonly states: number;
  /** Floats of forward cache per layer for a window of `rows` = T·B rows. */
  cacheFloats(rows: number, hidden: number): number;
  /** Floats of backward buffer per layer for `rows` rows (∂E/∂h_t first). */
  dcacheFloats(rows: number, hidden: number): number;
  /** Float offset in the cache where the (T,B,H) sequence of state `s` (0 = h, 1 = c) starts, for `rows` rows. */
  stateOffset(s: number, rows: number, hidden: number): number;
  forward(backend: Backend, p: LayerPointers, T: number, B: number, I: number, H: number): void;
  backward(backend: Backend, p: LayerPointers, T: number, B: number, I: number, H: number): void;
}

/** The pointers a cell kernel pair reads and writes for one layer of one window. */
export interface LayerPointers {
  cache: Ptr; // forward cache (see CellSpec); the first T·B·H floats are h_t
  dcache: Ptr; // backward buffer; the first T·B·H floats are ∂E/∂h_t from above
  x: Ptr; // (T,B,I) dense input or 0
  tokens: Ptr; // (T,B) int32 ids or 0
  dx: Ptr; // (T,B,I) input gradient to write, or 0
  h0: Ptr; // (B,H) initial hidden state
  dh0: Ptr; // (B,H) its gradient (overwritten)
  c0: Ptr; // (B,H) initial cell state (LSTM), else 0
  dc0: Ptr; // (B,H) its gradient (LSTM, overwritten), else 0
  dhNorms: Ptr; // (T,B) ‖∂E/∂h_t‖² per sequence, or 0
  Wih: Ptr; Whh: Ptr; bih: Ptr; bhh: Ptr;
  /** LSTM with projections: W_hr (P,H) and its gradient; else 0. */
  Whr: Ptr; dWhr: Ptr;
  /** B = 1: packRowGroups(W_hh), current, for the kernels' matrix–vector products; B ≥ 4: the kernels' scratch (every cell without projections); or 0 */
  WhhPacked: Ptr;
  dWih: Ptr; dWhh: Ptr; dbih: Ptr; dbhh: Ptr;
  act: number;
}
