// Scalar and f32x4 helpers shared by every kernel: exp, e^x − 1, tanh, horizontal sums.
//
// No host Math is imported, so every engine computes bit-identical results. Each scalar
// helper performs exactly the same sequence of IEEE operations as its f32x4 twin, so an
// element gives the same bits whether it falls in a SIMD body or in a scalar tail.
//
// e^x = 2^n · e^r,  n = round(x · log2 e),  r = x − n·ln2 ∈ [−ln2/2, ln2/2]
//   Cody–Waite: ln2 = LN2_HI + LN2_LO, LN2_HI keeps 15 significant bits (9 trailing zero
//   bits), so n·LN2_HI is exact for |n| ≤ 512 and r loses no bits to cancellation.
//   e^r − 1 = r·(1 + r/2 + r²/6 + … + r⁶/7!): truncation error ≤ (ln2/2)⁸/8! ≈ 5e-9.
//   2^n is built from exponent bits: round(y) and its integer both come from adding
//   1.5·2^23 (the integer lands in the low mantissa bits), so no float→int conversion traps.
// e^x − 1 = (2^n − 1) + 2^n·(e^r − 1): for |x| < ln2/2 (n = 0) this is the polynomial
//   itself, with no cancellation, which keeps tanh accurate near 0.
// tanh(x) = (e^{2x} − 1) / (e^{2x} + 1) = m / (m + 2),  m = e^{2x} − 1.
import { real } from "../precision";

/**
 * a·b + c per lane. The relaxed-SIMD build (an opt-in: init({ relaxedSimd: true })) fuses it where the
 * host has FMA, rounding once, so its results depend on the host; every other build multiplies, then
 * adds, with the same bits everywhere (IEEE addition commutes: c + a·b and a·b + c are equal).
 */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  return ASC_FEATURE_RELAXED_SIMD ? f32x4.relaxed_madd(a, b, c) : f32x4.add(f32x4.mul(a, b), c);
}

const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693145751953125; // 0x3f317200
const LN2_LO: f32 = 1.428606765330187e-6; // ln2 − LN2_HI
const ROUND_MAGIC: f32 = 12582912.0; // 1.5·2^23: y + ROUND_MAGIC − ROUND_MAGIC = round(y)
const ROUND_MAGIC_BITS: i32 = 0x4b400000;
const C2: f32 = <f32>(1.0 / 2.0);
const C3: f32 = <f32>(1.0 / 6.0);
const C4: f32 = <f32>(1.0 / 24.0);
const C5: f32 = <f32>(1.0 / 120.0);
const C6: f32 = <f32>(1.0 / 720.0);
const C7: f32 = <f32>(1.0 / 5040.0);
/** e^88 ≈ 1.65e38 stays below f32 max; larger arguments are clamped so exp never overflows. */
const EXP_MAX: f32 = 88.0;
/** e^−87 ≈ 1.6e-38 keeps 2^n normal (n ≥ −126); smaller arguments give that tiny positive value. */
const EXP_MIN: f32 = -87.0;
/** 1 − tanh(10) ≈ 4e-9 is below half an ulp of 1, so tanh saturates to exactly ±1. */
const TANH_MAX: f32 = 10.0;

// ---- scalar ----

/** e^r − 1 for the reduced argument r. */
// @ts-ignore: decorator
@inline function expm1Poly(r: real): real {
  return r * (1 + r * (C2 + r * (C3 + r * (C4 + r * (C5 + r * (C6 + r * C7))))));
}

/** e^x, clamped to [e^−87, e^88]; NaN stays NaN. Max relative error ≈ 1.5e-7. */
// @ts-ignore: decorator
@inline export function expf(x: real): real {
  x = min(max(x, EXP_MIN), EXP_MAX);
  const t = x * LOG2E + ROUND_MAGIC;
  const n = t - ROUND_MAGIC;
  const q = expm1Poly((x - n * LN2_HI) - n * LN2_LO);
  const s = reinterpret<f32>((reinterpret<i32>(t) - ROUND_MAGIC_BITS + 127) << 23);
  return s + s * q;
}

/** e^x − 1 without cancellation near 0, for x in [EXP_MIN, EXP_MAX] (callers clamp). */
// @ts-ignore: decorator
@inline export function expm1f(x: real): real {
  const t = x * LOG2E + ROUND_MAGIC;
  const n = t - ROUND_MAGIC;
  const q = expm1Poly((x - n * LN2_HI) - n * LN2_LO);
  const s = reinterpret<f32>((reinterpret<i32>(t) - ROUND_MAGIC_BITS + 127) << 23);
  return (s - 1) + s * q;
}

/** tanh(x) = m / (m + 2), m = e^{2x} − 1; exactly ±1 for |x| ≥ 10; NaN stays NaN. Max abs error ≈ 1e-7. */
// @ts-ignore: decorator
@inline export function tanhf(x: real): real {
  const m = expm1f(2 * min(max(x, -TANH_MAX), TANH_MAX));
  return m / (m + 2);
}

/** relu(x) = max(x, 0); NaN stays NaN. */
// @ts-ignore: decorator
@inline export function reluf(x: real): real {
  return max(x, <real>0);
}

// ---- f32x4: the same operations, four lanes at a time ----

/**
 * min(max(x, lo), hi) per lane for finite nonzero bounds, with the scalar min/max's results: NaN
 * stays NaN. Built from pmax(x, lo) = x < lo ? lo : x and pmin(v, hi) = hi < v ? hi : v, one
 * x64 instruction each; f32x4.min/max cost V8 about 7 each to order NaNs and signed zeros, which
 * the bounds (never ±0) and the argument order (a NaN x fails both comparisons) make moot.
 */
// @ts-ignore: decorator
@inline function clampX4(x: v128, lo: f32, hi: f32): v128 {
  return f32x4.pmin(f32x4.pmax(x, f32x4.splat(lo)), f32x4.splat(hi));
}

// @ts-ignore: decorator
@inline function expm1PolyX4(r: v128): v128 {
  let p = f32x4.add(f32x4.splat(C6), f32x4.mul(r, f32x4.splat(C7)));
  p = f32x4.add(f32x4.splat(C5), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(C4), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(C3), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(C2), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(1), f32x4.mul(r, p));
  return f32x4.mul(r, p);
}

/** 2^n per lane from t = x·log2 e + 1.5·2^23, whose low mantissa bits hold n = round(x·log2 e). */
// @ts-ignore: decorator
@inline function twoPowX4(t: v128): v128 {
  return i32x4.shl(i32x4.add(i32x4.sub(t, i32x4.splat(ROUND_MAGIC_BITS)), i32x4.splat(127)), 23);
}

/** e^x per lane, as `expf`. */
// @ts-ignore: decorator
@inline export function expX4(x: v128): v128 {
  x = clampX4(x, EXP_MIN, EXP_MAX);
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUND_MAGIC));
  const n = f32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  const q = expm1PolyX4(r);
  const s = twoPowX4(t);
  return f32x4.add(s, f32x4.mul(s, q));
}

/** e^x − 1 per lane, as `expm1f` (callers clamp). */
// @ts-ignore: decorator
@inline export function expm1X4(x: v128): v128 {
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUND_MAGIC));
  const n = f32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  const q = expm1PolyX4(r);
  const s = twoPowX4(t);
  return f32x4.add(f32x4.sub(s, f32x4.splat(1)), f32x4.mul(s, q));
}

/** tanh per lane, as `tanhf`. */
// @ts-ignore: decorator
@inline export function tanhX4(x: v128): v128 {
  const c = clampX4(x, -TANH_MAX, TANH_MAX);
  const m = expm1X4(f32x4.mul(f32x4.splat(2), c));
  return f32x4.div(m, f32x4.add(m, f32x4.splat(2)));
}

/** relu per lane; NaN stays NaN. */
// @ts-ignore: decorator
@inline export function reluX4(x: v128): v128 {
  return f32x4.max(x, f32x4.splat(0));
}

/** Sum of the four lanes of v. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): real {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1)); // (v0+v2, v1+v3, ..)
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** The lane sums of four vectors as one vector: (Σa, Σb, Σc, Σd). */
// @ts-ignore: decorator
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7)); // (a0+a2, b0+b2, a1+a3, b1+b3)
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/** Σ of the squares of the four lanes of v, in f64, added to the two f64 lanes of acc. */
// @ts-ignore: decorator
@inline export function addSquaresF64(acc: v128, v: v128): v128 {
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
  return f64x2.add(acc, f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi)));
}

/** Σ of the four lanes of v, in f64, added to the two f64 lanes of acc. */
// @ts-ignore: decorator
@inline export function addLanesF64(acc: v128, v: v128): v128 {
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
  return f64x2.add(acc, f64x2.add(lo, hi));
}

/** Sum of the two f64 lanes. */
// @ts-ignore: decorator
@inline export function hsumF64(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

// ---- the logistic sigmoid, for the gates of LSTM and GRU ----
// σ(x) = 1 / (1 + e^{−x}) on the accurate exp above: relative error ≈ 2e-7 for x ≥ 0 and
// ≈ 1.5e-7·(1 + |x|) below 0 (the error of e^{−x}, carried into the small result);
// σ(−87 and below) = 1 / (1 + e^87) ≈ 1.6e-38, σ(x ≥ 88) = 1 exactly; NaN stays NaN.

/** σ(x) = 1 / (1 + e^{−x}). */
// @ts-ignore: decorator
@inline export function sigmoidf(x: real): real {
  return 1 / (1 + expf(-x));
}

/** σ per lane, as `sigmoidf`. */
// @ts-ignore: decorator
@inline export function sigmoidX4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expX4(f32x4.neg(x))));
}
