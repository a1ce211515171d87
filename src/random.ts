/**
 * A small seeded PRNG (xoshiro128**) whose whole state can be saved and restored, plus
 * uniform and normal draws built from arithmetic only (no host `Math.log`/`Math.cos`),
 * so that every JavaScript engine draws bit-identical numbers from the same seed.
 */
import { invalid } from "./errors.js";

export class Random {
  #s = new Uint32Array(4);

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Reset the state from a 32-bit seed (splitmix32 expands it to 128 bits). */
  seed(seed: number): void {
    let z = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      z = (z + 0x9e3779b9) >>> 0;
      let x = z;
      x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (x ^ (x >>> 16)) >>> 0;
    }
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
  }

  /** The full state, for checkpoints. */
  getState(): number[] {
    return Array.from(this.#s);
  }

  /** Restore a state from getState(): 4 unsigned 32-bit integers, not all 0 (xoshiro's one fixed point). */
  setState(state: readonly number[]): void {
    // w >>> 0 === w: an integer in [0, 2^32)
    if (!Array.isArray(state) || state.length !== 4 || !state.every((w) => w >>> 0 === w) || !state.some((w) => w)) {
      throw invalid(`state must be 4 integers in [0, 2^32), not all 0; got ${JSON.stringify(state)}`);
    }
    this.#s.set(state);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Marsaglia's polar method with an arithmetic-only logarithm). */
  normal(): number {
    for (;;) {
      const u = 2 * this.next() - 1;
      const v = 2 * this.next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) return u * Math.sqrt((-2 * ln(s)) / s);
    }
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const bits = new DataView(new ArrayBuffer(8));
const LN2 = 0.6931471805599453;

/**
 * Natural logarithm of x > 0 from arithmetic only: x = m·2^e with m in [√½, √2),
 * ln m = 2·atanh(r), r = (m − 1)/(m + 1), |r| ≤ 0.172, summed to double precision.
 */
export function ln(x: number): number {
  bits.setFloat64(0, x);
  const hi = bits.getUint32(0);
  let e = ((hi >>> 20) & 0x7ff) - 1023;
  bits.setUint32(0, (hi & 0x800fffff) | (1023 << 20));
  let m = bits.getFloat64(0);
  if (e === -1023) return ln(x * 18014398509481984) - 54 * LN2; // subnormal: scale by 2^54
  if (m > Math.SQRT2) {
    m /= 2;
    e += 1;
  }
  const r = (m - 1) / (m + 1), r2 = r * r;
  let term = r, sum = 0;
  for (let k = 1; k < 40; k += 2) {
    sum += term / k;
    term *= r2;
  }
  return 2 * sum + e * LN2;
}
