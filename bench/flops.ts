/**
 * Floating-point work per token of the vanilla RNN, counting only the matrix products, a
 * multiply–add as 2 FLOPs. Legend: V vocabulary (input = output classes), H hidden units.
 *
 * Forward, per token:
 *   W_ih x_t      x_t is one-hot: a column gather of W_ih, 0 FLOPs
 *   W_hh h_{t-1}  2·H·H
 *   W_hy h_t      2·V·H   (the head's logits)
 * Backward (BPTT), per token:
 *   dW_hy += dy_t h_tᵀ        2·V·H
 *   dh_t   = W_hyᵀ dy_t       2·V·H
 *   dW_hh += δ_t h_{t-1}ᵀ     2·H·H
 *   W_hhᵀ δ_t (to step t−1)   2·H·H
 *   dW_ih += δ_t x_tᵀ         a scatter-add of δ_t into one column: H adds, not counted
 *
 *   training   = 3 · 2·(H·H + V·H) = 6·H·(H + V)
 *   generation = 2·(H·H + V·H)     = 2·H·(H + V)       (one forward step per sampled token)
 *
 * Not counted: biases, tanh and its derivative, softmax/cross-entropy, the SGD update
 * (2 FLOPs per parameter per step), sampling — all O(H + V) per token or O(params) per window.
 *
 * Against the reference figures (≈, rounded):
 *   W1 V=65 H=128:  6·128·193 =   148,224  vs ≈   147,000 (+0.8 %)
 *   W2 V=65 H=512:  6·512·577 = 1,772,544  vs ≈ 1,736,000 (+2.1 %)
 *   W3 V=65 H=256:  6·256·321 =   493,056  vs ≈   481,000 (+2.5 %)
 *   W5 V=65 H=256:  2·256·321 =   164,352  vs ≈   164,000 (+0.2 %)
 * No single product-count formula reproduces all three training references exactly (a fit over
 * H², V·H, H, V and (T−1)/T terms misses by ≥ 0.7 %); the references look like rounded
 * 6·H·(H + V) with small variations, so this file uses the exact count above.
 */

/**
 * Gated cells (G gate blocks: LSTM G = 4) do G times the recurrent products: W_hh is (G·H, H), so
 *   training = 3 · 2·(G·H·H + V·H) = 6·H·(G·H + V)
 *   W4 LSTM V=65 H=128: 6·128·(512 + 65) = 443,136 vs ≈ 436,000 (+1.6 %)
 */
export function trainingFlopsPerToken(V: number, H: number, gates = 1, directions = 1, embedding = 0): number {
  // D directions: D times the recurrent products, and a head that reads D·H; an embedding of width E
  // makes the input side products too: x W_ihᵀ, dW_ih, dx = δ W_ih, each 2·E·G·H per direction
  return 6 * directions * H * (gates * H + V) + 6 * directions * embedding * gates * H;
}

export function generationFlopsPerToken(V: number, H: number): number {
  return 2 * H * (H + V);
}

/** The reference figures (FLOPs per token), printed beside ours. */
export const referenceFlopsPerToken: Record<string, number> = {
  W1: 147_000,
  W2: 1_736_000,
  W3: 481_000,
  W4: 436_000,
  W5: 164_000,
};
