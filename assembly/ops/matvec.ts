// Matrix–vector products (B = 1) against a weight matrix packed in row groups, and the packing.
//
// Row-group layout of W (R,K): groups of 8 rows, each cut into chunks of 4 columns, the 8 rows'
// chunks side by side (128 bytes per chunk), zeros past row R and column K:
//   Wp[((g·Q + q)·8 + r)·4 + c] = W[8g + r, 4q + c],   G = ⌈R/8⌉ groups,  Q = ⌈K/4⌉ chunks
// A group then sits in one contiguous stream and its 8 rows at fixed immediate offsets from one
// pointer: 8 accumulators cost no address arithmetic. Read in place, 8 rows of W need 8 pointers,
// more general registers than V8 has to spare (a 1×8 dot product spilled and ran no faster than
// 1×4). Measured in one process at H = 128, T = 25: rnnForward 1.085×, rnnBackward 1.07× with the
// packed W_hh; W5's generation (H = 256, packed once per generate call) 1.03–1.21×.
//
//   matvecPacked  y (R)  (+)= W x          y_j = Σ_k W[j,k] x_k, per row 4 lane-sums + one 4×4 transpose-add
//   carryPacked   c (K)  (+)= dᵀ W         c_k = Σ_j d_j W[j,k], per chunk a tree over the group's 8 rows
//
// With B = 1 and large H, threads share these products per step (cells/rnn.ts): matvecPacked by
// groups of 8 rows of y, carryPacked by chunks of 4 columns of c; every element is summed in the
// same order at every thread count.
import { REAL_BYTES } from "../precision";
import { hsum4, madd } from "./math";
import { fill } from "./vector";
import { tile } from "./scratch";
import { myThread, shareStart, threads } from "./threads";

/** Floats of the row-group packing of an (R,K) matrix: 8⌈R/8⌉ · 4⌈K/4⌉. */
// @ts-ignore: decorator
@inline export function packedFloats(R: i32, K: i32): i32 {
  return ((R + 7) & ~7) * ((K + 3) & ~3);
}

/**
 * Wp = W (R,K) in row groups (layout above), zeros past row R and column K. On several threads each
 * packs the groups its matvecPacked share reads (cells/rnn.ts), so they are in its own cache.
 */
export function packRowGroups(Wp: usize, W: usize, R: i32, K: i32): void {
  assert(((Wp | W) & 3) == 0 && R >= 0 && K >= 0, "packRowGroups: misaligned pointer or negative dimension");
  const rowW = <usize>K * REAL_BYTES;
  const Q = (K + 3) >> 2, Q4 = K >> 2;
  const groupBytes = <usize>Q << 7;
  const nt = threads(), me = myThread();
  const end = me + 1 == nt ? (R + 7) & ~7 : shareStart(R, 8, nt, me + 1); // the last share pads the last group
  for (let j = shareStart(R, 8, nt, me); j < end; j++) {
    // row j of W into lane block (j & 7) of every chunk of its group
    let out = Wp + <usize>(j >> 3) * groupBytes + (<usize>(j & 7) << 4);
    if (j >= R) {
      for (let q = 0; q < Q; q++, out += 128) v128.store(out, v128.splat<i32>(0));
      continue;
    }
    const row = W + <usize>j * rowW;
    let src = row;
    for (const end = out + (<usize>Q4 << 7); out < end; out += 128, src += 16) v128.store(out, v128.load(src));
    if (Q4 < Q) { // the last K % 4 columns, then zeros
      for (let c = 0; c < 4; c++) store<f32>(out + (<usize>c << 2), 4 * Q4 + c < K ? load<f32>(src + (<usize>c << 2)) : 0);
    }
  }
}

/** The last K % 4 elements of x (K elements) as one vector, zeros after them; x is not read past K. */
// @ts-ignore: decorator
@inline function tailVector(x: usize, K: i32): v128 {
  const rem = K & 3, at = x + (<usize>(K >> 2) << 4);
  let v = f32x4.splat(0);
  if (rem > 0) v = f32x4.replace_lane(v, 0, load<f32>(at));
  if (rem > 1) v = f32x4.replace_lane(v, 1, load<f32>(at, 4));
  if (rem > 2) v = f32x4.replace_lane(v, 2, load<f32>(at, 8));
  return v;
}

/** y (R) = W x, plus y when accumulate = 1;  Wp: W (R,K) in row groups;  x: (K). */
export function matvecPacked(y: usize, Wp: usize, x: usize, R: i32, K: i32, accumulate: i32): void {
  const Q4 = K >> 2, hasTail = (K & 3) != 0;
  const xt = tailVector(x, K);
  const t = tile();
  let bp = Wp;
  for (let j0 = 0; j0 < R; j0 += 8) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
    let xp = x;
    for (const end = bp + (<usize>Q4 << 7); bp < end; bp += 128, xp += 16) {
      const av = v128.load(xp);
      s0 = madd(av, v128.load(bp), s0);
      s1 = madd(av, v128.load(bp, 16), s1);
      s2 = madd(av, v128.load(bp, 32), s2);
      s3 = madd(av, v128.load(bp, 48), s3);
      s4 = madd(av, v128.load(bp, 64), s4);
      s5 = madd(av, v128.load(bp, 80), s5);
      s6 = madd(av, v128.load(bp, 96), s6);
      s7 = madd(av, v128.load(bp, 112), s7);
    }
    if (hasTail) {
      s0 = madd(xt, v128.load(bp), s0);
      s1 = madd(xt, v128.load(bp, 16), s1);
      s2 = madd(xt, v128.load(bp, 32), s2);
      s3 = madd(xt, v128.load(bp, 48), s3);
      s4 = madd(xt, v128.load(bp, 64), s4);
      s5 = madd(xt, v128.load(bp, 80), s5);
      s6 = madd(xt, v128.load(bp, 96), s6);
      s7 = madd(xt, v128.load(bp, 112), s7);
      bp += 128;
    }
    const r0 = hsum4(s0, s1, s2, s3), r1 = hsum4(s4, s5, s6, s7); // rows j0 … j0+3 and j0+4 … j0+7
    const yj = y + (<usize>j0 << 2);
    if (j0 + 8 <= R) {
      v128.store(yj, accumulate ? f32x4.add(v128.load(yj), r0) : r0);
      v128.store(yj, accumulate ? f32x4.add(v128.load(yj, 16), r1) : r1, 16);
    } else { // the last R % 8 rows, through the tile
      v128.store(t, r0);
      v128.store(t, r1, 16);
      for (let r = 0; r < R - j0; r++) {
        const v = load<f32>(t + (<usize>r << 2));
        store<f32>(yj + (<usize>r << 2), accumulate ? load<f32>(yj + (<usize>r << 2)) + v : v);
      }
    }
  }
}

/**
 * c (K) = dᵀ W = Σ_j d_j W[j,:] (overwritten; added to c when accumulate = 1), for the columns of
 * chunks q0 … q1 − 1 only (4 columns a chunk; 0 … ⌈K/4⌉ for all): each column sums the groups in
 * order, whatever the chunks asked for.  Wp: W (R,K) in row groups;  d: (R).
 */
export function carryPacked(c: usize, Wp: usize, d: usize, R: i32, K: i32, q0: i32, q1: i32, accumulate: i32 = 0): void {
  const Q4 = K >> 2, rem = K & 3;
  const Q = Q4 + (rem != 0 ? 1 : 0);
  if (q1 <= q0) return;
  if (!accumulate) fill(c + (<usize>q0 << 4), min(K, q1 << 2) - (q0 << 2), 0);
  const t = tile();
  const groupBytes = <usize>Q << 7;
  const whole = min(q1, Q4); // chunks q0 … whole − 1 have 4 columns
  for (let j0 = 0; j0 < R; j0 += 8) {
    let bp = Wp + <usize>(j0 >> 3) * groupBytes + (<usize>q0 << 7);
    // d of the group's rows; rows past R are zeros in Wp and get a zero weight (d is not read past R)
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    const dj = d + (<usize>j0 << 2);
    if (j0 + 8 <= R) {
      a0 = v128.load32_splat(dj); a1 = v128.load32_splat(dj, 4); a2 = v128.load32_splat(dj, 8); a3 = v128.load32_splat(dj, 12);
      a4 = v128.load32_splat(dj, 16); a5 = v128.load32_splat(dj, 20); a6 = v128.load32_splat(dj, 24); a7 = v128.load32_splat(dj, 28);
    } else {
      const n = R - j0;
      a0 = v128.load32_splat(dj);
      if (n > 1) a1 = v128.load32_splat(dj, 4);
      if (n > 2) a2 = v128.load32_splat(dj, 8);
      if (n > 3) a3 = v128.load32_splat(dj, 12);
      if (n > 4) a4 = v128.load32_splat(dj, 16);
      if (n > 5) a5 = v128.load32_splat(dj, 20);
      if (n > 6) a6 = v128.load32_splat(dj, 24);
    }
    let cp = c + (<usize>q0 << 4);
    for (const end = bp + (<usize>max(0, whole - q0) << 7); bp < end; bp += 128, cp += 16) {
      const p = f32x4.add(madd(a1, v128.load(bp, 16), f32x4.mul(a0, v128.load(bp))), madd(a3, v128.load(bp, 48), f32x4.mul(a2, v128.load(bp, 32))));
      const q = f32x4.add(madd(a5, v128.load(bp, 80), f32x4.mul(a4, v128.load(bp, 64))), madd(a7, v128.load(bp, 112), f32x4.mul(a6, v128.load(bp, 96))));
      v128.store(cp, f32x4.add(v128.load(cp), f32x4.add(p, q)));
    }
    if (Q4 < Q && q1 == Q) { // the last K % 4 columns, through the tile (c is not written past K)
      const p = f32x4.add(madd(a1, v128.load(bp, 16), f32x4.mul(a0, v128.load(bp))), madd(a3, v128.load(bp, 48), f32x4.mul(a2, v128.load(bp, 32))));
      const q = f32x4.add(madd(a5, v128.load(bp, 80), f32x4.mul(a4, v128.load(bp, 64))), madd(a7, v128.load(bp, 112), f32x4.mul(a6, v128.load(bp, 96))));
      v128.store(t, f32x4.add(p, q));
      for (let k = 0; k < rem; k++) store<f32>(cp + (<usize>k << 2), load<f32>(cp + (<usize>k << 2)) + load<f32>(t + (<usize>k << 2)));
    }
  }
}
