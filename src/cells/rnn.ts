import type { CellSpec } from "./cell.js";

/** The vanilla (Elman) cell: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh); the cache is h_t itself. */
export const rnnCell: CellSpec = {
  kind: "rnn",
  gates: 1,
  states: 1,
  cacheFloats: (rows, hidden) => rows * hidden,
  dcacheFloats: (rows, hidden) => rows * hidden,
  stateOffset: () => 0,
  forward(backend, p, T, B, I, H) {
    backend.rnnForward(p.cache, p.x, p.tokens, p.h0, p.Wih, p.Whh, p.bih, p.bhh, T, B, I, H, p.act, p.WhhPacked);
  },
  backward(backend, p, T, B, I, H) {
    backend.rnnBackward(p.dx, p.dWih, p.dWhh, p.dbih, p.dbhh, p.dh0, p.dhNorms, p.dcache, p.cache, p.x, p.tokens, p.h0, p.Wih, p.Whh, T, B, I, H, p.act, p.WhhPacked);
  },
};
