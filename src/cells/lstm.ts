import type { CellSpec } from "./cell.js";

/**
 * The LSTM cell (nn.LSTM, gates i, f, g, o), state (h, c). Per layer and window of rows = T·B:
 *   cache  (7·rows·H): hs (rows,H) | cs (rows,H) | tanhCs (rows,H) | gates (rows,4H)
 *   dcache (5·rows·H): dhs (rows,H) | dgates (rows,4H)
 */
export const lstmCell: CellSpec = {
  kind: "lstm",
  gates: 4,
  states: 2,
  cacheFloats: (rows, hidden) => 7 * rows * hidden,
  dcacheFloats: (rows, hidden) => 5 * rows * hidden,
  stateOffset: (s, rows, hidden) => s * rows * hidden,
  forward(backend, p, T, B, I, H) {
    const n = T * B * H * 4; // bytes of one (T,B,H) tensor
    backend.lstmForward(p.cache, p.cache + n, p.cache + 2 * n, p.cache + 3 * n, p.x, p.tokens, p.h0, p.c0,
      p.Wih, p.Whh, p.bih, p.bhh, T, B, I, H, p.WhhPacked);
  },
  backward(backend, p, T, B, I, H) {
    const n = T * B * H * 4;
    backend.lstmBackward(p.dx, p.dWih, p.dWhh, p.dbih, p.dbhh, p.dh0, p.dc0, p.dhNorms, p.dcache + n, p.dcache,
      p.cache, p.cache + n, p.cache + 2 * n, p.cache + 3 * n, p.x, p.tokens, p.h0, p.c0, p.Wih, p.Whh, T, B, I, H, p.WhhPacked);
  },
};
