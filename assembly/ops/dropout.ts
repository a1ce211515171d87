// Dropout between layers (nn.LSTM/GRU/RNN's `dropout`), inverted: kept values are scaled by 1/(1 − p).
//   n values;  x, y, mask, dy, dx: (n);  state: 4 u32 words of xoshiro128** (src/random.ts), advanced by n draws
// Element i is kept when the top 24 bits of draw i are ≥ threshold = round(p·2²⁴): probability 1 − p up to 2⁻²⁴.
// One thread: the draws are a sequence; every thread count and the js twin give the same masks.
import { real } from "../precision";

// @ts-ignore: decorator
@inline function rotl(x: u32, k: u32): u32 {
  return (x << k) | (x >>> (32 - k));
}

/** mask[i] = scale when draw i keeps element i, else 0;  y[i] = x[i] · mask[i];  the state advances n draws. */
export function dropoutForward(y: usize, mask: usize, x: usize, state: usize, n: i32, threshold: u32, scale: real): void {
  assert(((y | mask | x | state) & 3) == 0 && n >= 0, "dropoutForward: misaligned pointer or negative n");
  let s0 = load<u32>(state), s1 = load<u32>(state, 4), s2 = load<u32>(state, 8), s3 = load<u32>(state, 12);
  for (let i = 0; i < n; i++) {
    const draw = rotl(s1 * 5, 7) * 9;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    const off = <usize>i << 2;
    const m: real = draw >>> 8 >= threshold ? scale : 0;
    store<real>(mask + off, m);
    store<real>(y + off, load<real>(x + off) * m);
  }
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
}

/** dx[i] = dy[i] · mask[i] (dx may alias dy). */
export function dropoutBackward(dx: usize, dy: usize, mask: usize, n: i32): void {
  assert(((dx | dy | mask) & 3) == 0 && n >= 0, "dropoutBackward: misaligned pointer or negative n");
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(dx + off, f32x4.mul(v128.load(dy + off), v128.load(mask + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<real>(dx + off, load<real>(dy + off) * load<real>(mask + off));
  }
}
