import type { CellSpec } from "./cell.js";

/**
 * The GRU cell (nn.GRU, gates r, z, n), state h. Per layer and window of rows = T·B:
 *   cache  (7·rows·H): hs (rows,H) | gates (rows,3H) | ghs (rows,3H) = W_hh h_{t-1} + b_hh
 *   dcache (5·rows·H): dhs (rows,H) | dgates (rows,3H) | dns (rows,H)
 */
export const gruCell: CellSpec = {
  kind: "gru",
  gates: 3,
  states: 1,
  cacheFloats: (rows, hidden) => 7 * rows * hidden,
  dcacheFloats: (rows, hidden) => 5 * rows * hidden,
  stateOffset: () => 0,
  forward(backend, p, T, B, I, H) {
    const n = T * B * H * 4;
    backend.gruForward(p.cache, p.cache + n, p.cache + 4 * n, p.x, p.tokens, p.h0, p.Wih, p.Whh, p.bih, p.bhh, T, B, I, H, p.WhhPacked);
  },
  backward(backend, p, T, B, I, H) {
    const n = T * B * H * 4;
    backend.gruBackward(p.dx, p.dWih, p.dWhh, p.dbih, p.dbhh, p.dh0, p.dhNorms, p.dcache + n, p.dcache + 4 * n, p.dcache,
      p.cache, p.cache + n, p.cache + 4 * n, p.x, p.tokens, p.h0, p.Wih, p.Whh, T, B, I, H, p.WhhPacked);
  },
};
