import type { CellSpec } from "./cell.js";

/**
 * The LSTM with projections (nn.LSTM(proj_size=P)), state (h: P units, c: H units). Per layer and
 * window of rows = T·B:
 *   cache  (rows·(P + 7H)):  hs (rows,P) | ms (rows,H) = o ⊙ tanh(c_t) | cs (rows,H) | tanhCs (rows,H) | gates (rows,4H)
 *   dcache (rows·(2P + 6H)): dhs (rows,P) | dgates (rows,4H) | dhp (rows,P) | dms (2·B·H ≤ 2·rows·H)
 */
export function lstmProjCell(P: number): CellSpec {
  return {
    kind: "lstm",
    gates: 4,
    states: 2,
    cacheFloats: (rows, hidden) => rows * (P + 7 * hidden),
    dcacheFloats: (rows, hidden) => rows * (2 * P + 6 * hidden),
    stateOffset: (s, rows, hidden) => (s === 0 ? 0 : rows * (P + hidden)),
    forward(backend, p, T, B, I, H) {
      const nP = T * B * P * 4, n = T * B * H * 4; // bytes of one (T,B,P) and one (T,B,H) tensor
      backend.lstmProjForward(p.cache, p.cache + nP, p.cache + nP + n, p.cache + nP + 2 * n, p.cache + nP + 3 * n, p.x, p.tokens, p.h0, p.c0,
        p.Wih, p.Whh, p.Whr, p.bih, p.bhh, T, B, I, H, P);
    },
    backward(backend, p, T, B, I, H) {
      const nP = T * B * P * 4, n = T * B * H * 4;
      backend.lstmProjBackward(p.dx, p.dWih, p.dWhh, p.dWhr, p.dbih, p.dbhh, p.dh0, p.dc0, p.dhNorms, p.dcache + nP, p.dcache + nP + 4 * n,
        p.dcache + 2 * nP + 4 * n, p.dcache, p.cache, p.cache + nP, p.cache + nP + n, p.cache + nP + 2 * n, p.cache + nP + 3 * n,
        p.x, p.tokens, p.h0, p.c0, p.Wih, p.Whh, p.Whr, T, B, I, H, P);
    },
  };
}
