import type { Backend, Ptr } from "../backend.js";

/**
 * What the model needs to know about a recurrent cell: a kernel pair plus a parameter layout.
 * The vanilla cell is `rnnCell`; gated cells (LSTM, GRU) are added as further CellSpecs.
 * Weight shapes follow PyTorch: weight_ih (G·H, I), weight_hh (G·H, H), bias_ih and bias_hh (G·H),
 * where G is the number of gates (1 for the vanilla cell).
 */
export interface CellSpec {
  readonly kind: string;
  /** G: gate blocks stacked in the weight rows. */
  readonly gates: number;
  /** Floats of forward cache per layer for a window of `rows` = T·B rows (the hidden outputs h_t first). */
  cacheFloats(rows: number, hidden: number): number;
  forward(backend: Backend, p: LayerPointers, T: number, B: number, I: number, H: number): void;
  backward(backend: Backend, p: LayerPointers, T: number, B: number, I: number, H: number): void;
}

/** The pointers a cell kernel pair reads and writes for one layer of one window. */
export interface LayerPointers {
  cache: Ptr; // (T,B,…) forward cache; the first T·B·H floats are h_t
  dcache: Ptr; // (T,B,H): in ∂E/∂h_t from above, overwritten by the kernel
  x: Ptr; // (T,B,I) dense input or 0
  tokens: Ptr; // (T,B) int32 ids or 0
  dx: Ptr; // (T,B,I) input gradient to write, or 0
  h0: Ptr; // (B,H) initial state
  dh0: Ptr; // (B,H) its gradient (overwritten)
  dhNorms: Ptr; // (T) ‖∂E/∂h_t‖ or 0
  Wih: Ptr; Whh: Ptr; bih: Ptr; bhh: Ptr;
  dWih: Ptr; dWhh: Ptr; dbih: Ptr; dbhh: Ptr;
  act: number;
}
