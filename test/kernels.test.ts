// Every kernel of the contract, Wasm (release and debug builds) against the pure-TypeScript
// reference, on seeded random shapes that are and are not multiples of 4, plus hand-derived
// oracles, exp/tanh accuracy against Math, memory growth, aborts and disposal.
//
// Agreement is checked over the WHOLE arena after every call, not just the outputs: inputs must
// come back unchanged and the 16 guard bytes after every tensor untouched (a SIMD tail writing
// past the end of a row shows up there).
//
// Tolerance: |wasm − js| ≤ tol · (1 + |js|) per element, tol stated per kernel. Set
// BPTT_KERNEL_REPORT=1 to print the largest error seen per kernel.
import { readFileSync } from "node:fs";
import { runInNewContext } from "node:vm";
import { afterAll, describe, expect, test } from "vitest";
import { Activation, packedFloats, type Backend, type Ptr } from "../src/backend.js";
import { JsBackend } from "../src/backends/js/index.js";
import { WasmBackend } from "../src/backends/wasm/index.js";
import { decodeEmbedded, defaultModule, init, isWasmModule } from "../src/backends/wasm/loader.js";
import { BpttError } from "../src/errors.js";
import { Random } from "../src/random.js";
import { releaseWasm } from "../src/generated/wasm-release.js";
import { makeBackend, wasmModuleFor, type BackendKind } from "./helpers/backends.js";
import { BackendPair, relativeError as maxErr } from "./helpers/pair.js";

const wasmKinds = ["wasm-release", "wasm-debug"] as const satisfies readonly BackendKind[];
const SIZES = [1, 3, 4, 5, 7, 8, 13, 16, 17, 33];

// stated tolerances (relative, |a − b| ≤ tol · (1 + |b|))
const TOL = {
  exact: 0,
  matmul: 1e-5,
  reduce: 1e-12, // f64 sums of exact f32 squares, only the order differs
  loss: 1e-6,
  prob: 1e-6,
  mse: 1e-6,
  rnnForward: 2e-6,
  rnnBackward: 1e-5,
  sgd: 1e-6,
  // the js twin keeps each update's intermediates in f64 and rounds once on store; Wasm rounds
  // every operation to f32 (≈ 6 roundings of 2^-24 each, the division and sqrt among them)
  optim: 2e-6,
};

// ---- measured agreement ----

const worst = new Map<string, number>();
function record(name: string, err: number): void {
  if (!(err <= (worst.get(name) ?? 0))) worst.set(name, err);
}
afterAll(() => {
  if (!process.env.BPTT_KERNEL_REPORT) return;
  const rows = [...worst].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k.padEnd(40)} ${v.toExponential(2)}`);
  console.log(`max |wasm − js| / (1 + |js|) per kernel:\n${rows.join("\n")}`);
});

// ---- a pair of backends with the same tensors at the same offsets (test/helpers/pair.ts), reporting into `worst` ----

class Pair extends BackendPair {
  constructor(kind: BackendKind) {
    super(kind, (kernel, error) => record(`${kind} ${kernel}`, error));
  }
}

function uniform(rng: Random, n: number, lo = -1, hi = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.uniform(lo, hi);
  return x;
}

function ints(rng: Random, n: number, lo: number, hi: number): Int32Array {
  const x = new Int32Array(n);
  for (let i = 0; i < n; i++) x[i] = lo + rng.int(hi - lo);
  return x;
}

function pick<T>(rng: Random, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

function f32(xs: number[]): Float32Array {
  return Float32Array.from(xs);
}

// ---- agreement with the reference ----

describe.each(wasmKinds)("%s agrees with the js reference", (kind) => {
  const matmuls = ["matmulNT", "matmulNN", "matmulTN"] as const;

  test.each(matmuls)("%s on every (M, N, K) from the size list, accumulate 0 and 1", (kernel) => {
    const p = new Pair(kind);
    const rng = new Random(11);
    for (const M of SIZES) for (const N of SIZES) for (const K of SIZES) {
      for (const accumulate of [0, 1]) {
        p.reset();
        const mis = () => (rng.int(4) * 4); // rows of odd length are not 16-byte aligned either
        const A = p.put("A", uniform(rng, M * K), 0, mis());
        const B = p.put("B", uniform(rng, N * K), 0, mis());
        const C = p.put("C", uniform(rng, M * N), TOL.matmul, mis());
        p.run((b) => b[kernel](C, A, B, M, N, K, accumulate));
        p.check(`${kernel} M=${M} N=${N} K=${K} accumulate=${accumulate}`);
      }
    }
  });

  test("matmuls on larger shapes (64..130) with several register blocks and tails", () => {
    const p = new Pair(kind);
    const rng = new Random(12);
    for (let rep = 0; rep < 12; rep++) {
      const M = 60 + rng.int(70), N = 60 + rng.int(70), K = 60 + rng.int(70);
      for (const kernel of matmuls) {
        p.reset();
        const A = p.put("A", uniform(rng, M * K));
        const B = p.put("B", uniform(rng, N * K));
        const C = p.put("C", uniform(rng, M * N), TOL.matmul);
        p.run((b) => b[kernel](C, A, B, M, N, K, rep & 1));
        p.check(`${kernel} M=${M} N=${N} K=${K}`);
      }
    }
  });

  test("matmuls with one row (the B = 1 matrix–vector paths): N, K in 1..33 and 257, 512, unaligned starts", () => {
    const p = new Pair(kind);
    const rng = new Random(21);
    const sizes = [...Array.from({ length: 33 }, (_, i) => i + 1), 257, 512];
    for (const kernel of matmuls) {
      for (let rep = 0; rep < 90; rep++) {
        const M = pick(rng, [1, 1, 1, 2, 3, 5]), N = pick(rng, sizes), K = pick(rng, sizes);
        p.reset();
        const mis = () => rng.int(4) * 4;
        const A = p.put("A", uniform(rng, M * K), 0, mis());
        const B = p.put("B", uniform(rng, N * K), 0, mis());
        const C = p.put("C", uniform(rng, M * N), TOL.matmul, mis());
        p.run((b) => b[kernel](C, A, B, M, N, K, rep & 1));
        p.check(`${kernel} M=${M} N=${N} K=${K} accumulate=${rep & 1}`);
      }
    }
  });

  test("matmuls with long K, split into cache panels (K = 63..300, H-sized rows 128..257)", () => {
    const p = new Pair(kind);
    const rng = new Random(22);
    for (let rep = 0; rep < 10; rep++) {
      const K = pick(rng, [63, 64, 65, 127, 128, 129, 200, 300]);
      const M = pick(rng, [1, 4, 7, 33, 128]), N = pick(rng, [5, 128, 130, 257]);
      for (const kernel of matmuls) {
        p.reset();
        const A = p.put("A", uniform(rng, M * K));
        const B = p.put("B", uniform(rng, N * K));
        const C = p.put("C", uniform(rng, M * N), TOL.matmul);
        p.run((b) => b[kernel](C, A, B, M, N, K, rep & 1));
        p.check(`${kernel} M=${M} N=${N} K=${K} accumulate=${rep & 1}`);
      }
    }
  });

  test("fill, copy, scale, clipByValue (bit-exact) and sumSquares on every size", () => {
    const p = new Pair(kind);
    const rng = new Random(13);
    for (const n of [0, ...SIZES, 31, 64, 100, 257]) {
      p.reset();
      const x = p.put("x", uniform(rng, n, -3, 3), 0, rng.int(4) * 4);
      const y = p.put("y", uniform(rng, n), 0, rng.int(4) * 4);
      const value = Math.fround(rng.uniform(-2, 2)), s = Math.fround(rng.uniform(-2, 2)), c = Math.fround(rng.uniform(0, 2));
      p.run((b) => b.fill(y, n, value));
      p.check(`fill n=${n}`);
      p.run((b) => b.copy(y, x, n));
      p.check(`copy n=${n}`);
      p.run((b) => b.scale(x, n, s));
      p.check(`scale n=${n}`);
      p.run((b) => b.clipByValue(x, n, c));
      p.check(`clipByValue n=${n}`);
      const [r, d] = p.run((b) => b.sumSquares(y, n));
      record(`${kind} sumSquares`, maxErr([d], [r]));
      expect(maxErr([d], [r])).toBeLessThanOrEqual(TOL.reduce);
    }
  });

  test("linearForward and linearBackward, with and without dX", () => {
    const p = new Pair(kind);
    const rng = new Random(14);
    for (let rep = 0; rep < 80; rep++) {
      const N = pick(rng, SIZES), O = pick(rng, SIZES), H = pick(rng, SIZES);
      p.reset();
      const X = p.put("X", uniform(rng, N * H));
      const W = p.put("W", uniform(rng, O * H));
      const b = p.put("b", uniform(rng, O));
      const Y = p.zeros("Y", N * O, TOL.matmul);
      p.run((k) => k.linearForward(Y, X, W, b, N, O, H));
      p.check(`linearForward N=${N} O=${O} H=${H}`);
      const dY = p.put("dY", uniform(rng, N * O));
      const dW = p.put("dW", uniform(rng, O * H), TOL.matmul);
      const db = p.put("db", uniform(rng, O), TOL.matmul);
      const dX = rep % 3 === 0 ? 0 : p.put("dX", uniform(rng, N * H), TOL.matmul);
      p.run((k) => k.linearBackward(dX, dW, db, dY, X, W, N, O, H));
      p.check(`linearBackward N=${N} O=${O} H=${H} dX=${dX !== 0}`);
    }
  });

  test("crossEntropy, separate and in place, with ignored (negative-target) rows", () => {
    const p = new Pair(kind);
    const rng = new Random(15);
    for (let rep = 0; rep < 120; rep++) {
      const N = pick(rng, SIZES), O = pick(rng, [...SIZES, 2, 65, 100]);
      const inPlace = rep % 2 === 1;
      p.reset();
      const targets = p.put("targets", ints(rng, N, -2, O)); // about 2/(O+2) of the rows ignored
      const logits = p.put("logits", uniform(rng, N * O, -8, 8), inPlace ? TOL.prob : 0);
      const dlogits = inPlace ? logits : p.put("dlogits", uniform(rng, N * O), TOL.prob);
      const [r, d] = p.run((b) => b.crossEntropy(dlogits, logits, targets, N, O));
      p.check(`crossEntropy N=${N} O=${O} inPlace=${inPlace}`);
      record(`${kind} crossEntropy loss`, maxErr([d], [r]));
      expect(maxErr([d], [r])).toBeLessThanOrEqual(TOL.loss);
      const ignored = new Int32Array(p.ref.buffer, targets, N);
      const grad = p.get(dlogits, N * O);
      for (let n = 0; n < N; n++) if (ignored[n] < 0) expect(Array.from(grad.subarray(n * O, n * O + O)).every((g) => g === 0)).toBe(true);
    }
  });

  test("mse, separate and in place, with zero and fractional masks", () => {
    const p = new Pair(kind);
    const rng = new Random(16);
    for (let rep = 0; rep < 100; rep++) {
      const N = pick(rng, SIZES), O = pick(rng, SIZES);
      const inPlace = rep % 2 === 1;
      p.reset();
      const mask = p.put("mask", Float32Array.from({ length: N }, () => pick(rng, [0, 1, 0.5, Math.fround(rng.uniform(0, 2))])));
      const targets = p.put("targets", uniform(rng, N * O));
      const y = p.put("y", uniform(rng, N * O), inPlace ? TOL.mse : 0);
      const dy = inPlace ? y : p.put("dy", uniform(rng, N * O), TOL.mse);
      const [r, d] = p.run((b) => b.mse(dy, y, targets, mask, N, O));
      p.check(`mse N=${N} O=${O} inPlace=${inPlace}`);
      record(`${kind} mse loss`, maxErr([d], [r]));
      expect(maxErr([d], [r])).toBeLessThanOrEqual(TOL.loss);
    }
  });

  test("softmax, separate and in place, at several temperatures", () => {
    const p = new Pair(kind);
    const rng = new Random(17);
    for (let rep = 0; rep < 100; rep++) {
      const N = pick(rng, SIZES), O = pick(rng, [...SIZES, 2, 65]);
      const inPlace = rep % 2 === 1;
      const invT = Math.fround(pick(rng, [1, 0.5, 2, 1 / 0.7, 10]));
      p.reset();
      const logits = p.put("logits", uniform(rng, N * O, -6, 6), inPlace ? TOL.prob : 0);
      const probs = inPlace ? logits : p.zeros("probs", N * O, TOL.prob);
      p.run((b) => b.softmax(probs, logits, N, O, invT));
      p.check(`softmax N=${N} O=${O} invT=${invT} inPlace=${inPlace}`);
    }
  });

  test.each([
    ["tanh", Activation.Tanh],
    ["relu", Activation.Relu],
  ] as const)("rnnForward and rnnBackward (%s), dense and token input", (_, act) => {
    const p = new Pair(kind);
    const rng = new Random(18 + act);
    for (let rep = 0; rep < 120; rep++) {
      const T = pick(rng, [1, 2, 3, 5, 7]), B = pick(rng, [1, 2, 3, 4, 5]);
      const I = pick(rng, SIZES), H = pick(rng, SIZES);
      const useTokens = rep % 2 === 1;
      const withDx = rep % 4 === 0;
      const withNorms = rep % 3 !== 0;
      const scale = 1 / Math.sqrt(H);
      const label = `act=${act} T=${T} B=${B} I=${I} H=${H} tokens=${useTokens}`;
      p.reset();
      const x = useTokens ? 0 : p.put("x", uniform(rng, T * B * I));
      const tokens = useTokens ? p.put("tokens", ints(rng, T * B, 0, I)) : 0;
      // every fifth window starts from h0 = 0 (with −0 mixed in): the kernels skip the products with it
      const h0 = p.put("h0", rep % 5 === 2 ? Float32Array.from({ length: B * H }, (_, k) => (k % 3 === 0 ? -0 : 0)) : uniform(rng, B * H, -0.5, 0.5));
      const Wih = p.put("Wih", uniform(rng, H * I, -scale, scale));
      const Whh = p.put("Whh", uniform(rng, H * H, -scale, scale));
      const bih = p.put("bih", uniform(rng, H, -0.1, 0.1));
      const bhh = p.put("bhh", uniform(rng, H, -0.1, 0.1));
      const hs = p.put("hs", uniform(rng, T * B * H), TOL.rnnForward);
      // B = 1: half the windows give W_hh packed in row groups, which the Wasm kernels then read instead
      let Wp = 0;
      if (B === 1 && (rep >> 1) % 2 === 0) {
        Wp = p.zeros("Wp", packedFloats(H, H), TOL.exact);
        p.run((b) => b.packRowGroups(Wp, Whh, H, H));
      }
      // B ≥ 4: half the windows give the Wasm kernels scratch to pack W_hh into once per call
      if (B >= 4 && (rep >> 1) % 2 === 0) Wp = p.put("scratch", uniform(rng, packedFloats(H, H)), Infinity);
      p.run((b) => b.rnnForward(hs, x, tokens, h0, Wih, Whh, bih, bhh, T, B, I, H, act, Wp));
      p.check(`rnnForward ${label} packed=${Wp !== 0}`);

      p.sync(hs, T * B * H); // backward from identical saved activations
      const dhs = p.put("dhs", uniform(rng, T * B * H), TOL.rnnBackward);
      const dWih = p.put("dWih", uniform(rng, H * I), TOL.rnnBackward); // += onto nonzero gradients
      const dWhh = p.put("dWhh", uniform(rng, H * H), TOL.rnnBackward);
      const dbih = p.put("dbih", uniform(rng, H), TOL.rnnBackward);
      const dbhh = p.put("dbhh", uniform(rng, H), TOL.rnnBackward);
      const dh0 = p.put("dh0", uniform(rng, B * H), TOL.rnnBackward);
      const dhNorms = withNorms ? p.put("dhNorms", uniform(rng, T * B), TOL.rnnBackward) : 0; // (T,B) ‖g‖² per sequence
      // with tokens dx is never written: it keeps its contents (checked as an unchanged tensor)
      const dx = withDx ? p.put("dx", uniform(rng, T * B * I), TOL.rnnBackward) : 0;
      p.run((b) => b.rnnBackward(dx, dWih, dWhh, dbih, dbhh, dh0, dhNorms, dhs, hs, x, tokens, h0, Wih, Whh, T, B, I, H, act, Wp));
      p.check(`rnnBackward ${label} dx=${withDx} norms=${withNorms} packed=${Wp !== 0}`);
    }
  });

  test("packRowGroups on odd shapes (R, K in 1..33 and 130), zeros past R and K, exact", () => {
    const p = new Pair(kind);
    const rng = new Random(22);
    for (const R of [...SIZES, 130]) {
      for (const K of [1, 3, 4, 6, 9, 33, 130]) {
        p.reset();
        const W = p.put("W", uniform(rng, R * K), TOL.exact, rng.int(4) * 4); // W not 16-byte aligned either
        const Wp = p.put("Wp", uniform(rng, packedFloats(R, K)), TOL.exact); // garbage before: every float is written
        p.run((b) => b.packRowGroups(Wp, W, R, K));
        p.check(`packRowGroups R=${R} K=${K}`);
      }
    }
  });

  test("rnnForward and rnnBackward with B = 1 on W_hh packed in row groups (H = 1..130, T = 1..30)", () => {
    const p = new Pair(kind);
    const rng = new Random(23);
    for (const [T, I, H] of [[1, 5, 1], [3, 7, 5], [30, 3, 9], [4, 17, 33], [25, 65, 128], [2, 9, 130]] as const) {
      for (const act of [Activation.Tanh, Activation.Relu]) {
        p.reset();
        const scale = 1 / Math.sqrt(H);
        const tokens = p.put("tokens", ints(rng, T, 0, I));
        const h0 = p.put("h0", uniform(rng, H, -0.5, 0.5));
        const Wih = p.put("Wih", uniform(rng, H * I, -scale, scale));
        const Whh = p.put("Whh", uniform(rng, H * H, -scale, scale));
        const bih = p.put("bih", uniform(rng, H, -0.1, 0.1));
        const bhh = p.put("bhh", uniform(rng, H, -0.1, 0.1));
        const Wp = p.zeros("Wp", packedFloats(H, H), TOL.exact);
        p.run((b) => b.packRowGroups(Wp, Whh, H, H));
        const hs = p.zeros("hs", T * H, T > 20 ? 1e-5 : TOL.rnnForward); // a chain over 25–30 steps: as the T = 40 test
        p.run((b) => b.rnnForward(hs, 0, tokens, h0, Wih, Whh, bih, bhh, T, 1, I, H, act, Wp));
        p.check(`rnnForward packed act=${act} T=${T} I=${I} H=${H}`);
        p.sync(hs, T * H);
        const dhs = p.put("dhs", uniform(rng, T * H), TOL.rnnBackward);
        const grads = [H * I, H * H, H, H, H, T].map((n, i) => p.zeros(`grad${i}`, n, TOL.rnnBackward));
        const [dWih, dWhh, dbih, dbhh, dh0, dhNorms] = grads;
        p.run((b) => b.rnnBackward(0, dWih, dWhh, dbih, dbhh, dh0, dhNorms, dhs, hs, 0, tokens, h0, Wih, Whh, T, 1, I, H, act, Wp));
        p.check(`rnnBackward packed act=${act} T=${T} I=${I} H=${H}`);
      }
    }
  });

  test("rnnForward on a wide layer (H = 130), a long window (T = 40), and batches of 4–36 with W_hh packed once", () => {
    const p = new Pair(kind);
    const rng = new Random(20);
    for (const [T, B, I, H, withScratch] of [[3, 4, 37, 130, 0], [3, 4, 37, 130, 1], [40, 2, 5, 9, 0], [6, 9, 5, 67, 1], [4, 36, 3, 100, 1]]) {
      p.reset();
      const scale = 1 / Math.sqrt(H);
      const Wp = withScratch ? p.put("scratch", uniform(rng, packedFloats(H, H)), Infinity) : 0;
      const x = p.put("x", uniform(rng, T * B * I));
      const h0 = p.put("h0", uniform(rng, B * H));
      const Wih = p.put("Wih", uniform(rng, H * I, -scale, scale));
      const Whh = p.put("Whh", uniform(rng, H * H, -scale, scale));
      const bih = p.put("bih", uniform(rng, H, -0.1, 0.1));
      const bhh = p.put("bhh", uniform(rng, H, -0.1, 0.1));
      const hs = p.zeros("hs", T * B * H, 1e-5); // a tanh chain over 40 steps: looser
      p.run((b) => b.rnnForward(hs, x, 0, h0, Wih, Whh, bih, bhh, T, B, I, H, Activation.Tanh, Wp));
      p.check(`rnnForward T=${T} B=${B} I=${I} H=${H} scratch=${withScratch}`);
      p.sync(hs, T * B * H);
      const dhs = p.put("dhs", uniform(rng, T * B * H), TOL.rnnBackward);
      const grads = [H * I, H * H, H, H, B * H, T * B].map((n, i) => p.zeros(`grad${i}`, n, TOL.rnnBackward));
      const dx = p.zeros("dx", T * B * I, TOL.rnnBackward);
      const [dWih, dWhh, dbih, dbhh, dh0, dhNorms] = grads;
      p.run((b) => b.rnnBackward(dx, dWih, dWhh, dbih, dbhh, dh0, dhNorms, dhs, hs, x, 0, h0, Wih, Whh, T, B, I, H, Activation.Tanh, Wp));
      p.check(`rnnBackward T=${T} B=${B} I=${I} H=${H} scratch=${withScratch}`);
    }
  });

  test("sgdStep: plain, weight decay, momentum (first and later steps), dampening, Nesterov", () => {
    const p = new Pair(kind);
    const rng = new Random(21);
    const configs = [
      [0, 0, 0, 0], [0, 0, 0.01, 0], [0.9, 0, 0, 0], [0.9, 0.1, 0, 0], [0.9, 0, 1e-4, 1], [0.5, 0.5, 0.1, 1],
    ] as const;
    for (const n of [1, 3, 4, 5, 17, 33, 100]) {
      for (const [momentum, dampening, weightDecay, nesterov] of configs) {
        p.reset();
        const params = p.put("params", uniform(rng, n), TOL.sgd);
        const grads = p.put("grads", uniform(rng, n));
        const velocity = momentum === 0 ? 0 : p.put("velocity", uniform(rng, n), TOL.sgd);
        for (const firstStep of [1, 0, 0]) {
          p.run((b) => b.sgdStep(params, grads, velocity, n, 0.1, momentum, dampening, weightDecay, nesterov, firstStep));
          p.check(`sgdStep n=${n} momentum=${momentum} dampening=${dampening} wd=${weightDecay} nesterov=${nesterov} first=${firstStep}`);
        }
      }
    }
  });
});

describe.each(wasmKinds)("%s: optimizer kernels agree with the js reference", (kind) => {
  // the size list, then seeded random sizes (odd ones among them), over the whole block in one call
  const sizeRng = new Random(23);
  const sizes = [...SIZES, 100, ...Array.from({ length: 6 }, () => 1 + sizeRng.int(300))];
  /** Non-negative second-moment states, and first moments small enough that a centered variance stays positive. */
  const positive = (rng: Random, n: number) => uniform(rng, n, 0.25, 1);

  test("adagradStep: weight decay, eps, clr, 3 steps in a row", () => {
    const p = new Pair(kind);
    const rng = new Random(24);
    for (const n of sizes) {
      for (const [clr, weightDecay, eps] of [[0.01, 0, 1e-10], [0.1, 0.01, 1e-10], [0.05, 0, 0.1]]) {
        p.reset();
        const params = p.put("params", uniform(rng, n), TOL.optim, n % 3 === 0 ? 4 : 0);
        const grads = p.put("grads", uniform(rng, n));
        const sum = p.put("sum", positive(rng, n), TOL.optim);
        for (let s = 0; s < 3; s++) {
          p.run((b) => b.adagradStep(params, grads, sum, n, clr, weightDecay, eps));
          p.check(`adagradStep n=${n} clr=${clr} wd=${weightDecay} eps=${eps} step=${s + 1}`);
        }
      }
    }
  });

  test("rmspropStep: plain, weight decay, momentum, centered, centered with momentum, 3 steps in a row", () => {
    const p = new Pair(kind);
    const rng = new Random(25);
    const configs = [[0.99, 1e-8, 0, 0, 0], [0.9, 1e-8, 0.01, 0, 0], [0.99, 1e-8, 0, 0.9, 0], [0.99, 1e-8, 0, 0, 1], [0.95, 1e-3, 0.1, 0.5, 1]] as const;
    for (const n of sizes) {
      for (const [alpha, eps, weightDecay, momentum, centered] of configs) {
        p.reset();
        const params = p.put("params", uniform(rng, n), TOL.optim, n % 3 === 0 ? 8 : 0);
        const grads = p.put("grads", uniform(rng, n));
        const squareAvg = p.put("squareAvg", positive(rng, n), TOL.optim);
        const gradAvg = centered ? p.put("gradAvg", uniform(rng, n, -0.1, 0.1), TOL.optim) : 0;
        const buffer = momentum > 0 ? p.put("momentumBuffer", uniform(rng, n), TOL.optim) : 0;
        for (let s = 0; s < 3; s++) {
          p.run((b) => b.rmspropStep(params, grads, squareAvg, gradAvg, buffer, n, 0.01, alpha, eps, weightDecay, momentum, centered));
          p.check(`rmspropStep n=${n} alpha=${alpha} wd=${weightDecay} momentum=${momentum} centered=${centered} step=${s + 1}`);
        }
      }
    }
  });

  test.each(["adamStep", "adamwStep"] as const)("%s: weight decay, amsgrad, bias corrections of steps 1–3", (kernel) => {
    const p = new Pair(kind);
    const rng = new Random(kernel === "adamStep" ? 26 : 27);
    const configs = [[0.9, 0.999, 1e-8, 0, 0], [0.9, 0.999, 1e-8, 0.01, 1], [0.5, 0.9, 1e-3, 0.1, 0], [0, 0.99, 1e-8, 0, 1]] as const;
    for (const n of sizes) {
      for (const [beta1, beta2, eps, weightDecay, amsgrad] of configs) {
        p.reset();
        const params = p.put("params", uniform(rng, n), TOL.optim, n % 3 === 0 ? 12 : 0);
        const grads = p.put("grads", uniform(rng, n));
        const expAvg = p.put("expAvg", uniform(rng, n), TOL.optim);
        const expAvgSq = p.put("expAvgSq", positive(rng, n), TOL.optim);
        const maxExpAvgSq = amsgrad ? p.put("maxExpAvgSq", positive(rng, n), TOL.optim) : 0;
        const lr = 0.01;
        for (let t = 1; t <= 3; t++) {
          const stepSize = lr / (1 - beta1 ** t), bc2Sqrt = Math.sqrt(1 - beta2 ** t);
          // Adam takes the L2 coefficient, AdamW the factor 1 − lr·weight_decay
          const decay = kernel === "adamStep" ? weightDecay : 1 - lr * weightDecay;
          p.run((b) => b[kernel](params, grads, expAvg, expAvgSq, maxExpAvgSq, n, stepSize, beta1, beta2, eps, decay, bc2Sqrt, amsgrad));
          p.check(`${kernel} n=${n} betas=${beta1},${beta2} wd=${weightDecay} amsgrad=${amsgrad} t=${t}`);
        }
      }
    }
  });
});

// ---- the reference itself is consistent under aliasing ----

test("js reference: crossEntropy in place gives the same loss and gradient as out of place", () => {
  const rng = new Random(22);
  const N = 5, O = 7;
  const logits = uniform(rng, N * O, -4, 4), targets = Int32Array.from([0, 6, -1, 3, 2]);
  const run = (inPlace: boolean) => {
    const b = new JsBackend();
    new Float32Array(b.buffer, 64, N * O).set(logits);
    new Int32Array(b.buffer, 16, N).set(targets);
    const out = inPlace ? 64 : 64 + N * O * 4;
    const loss = b.crossEntropy(out, 64, 16, N, O);
    return [loss, ...new Float32Array(b.buffer, out, N * O)];
  };
  expect(run(true)).toEqual(run(false));
});

// ---- hand-derived oracles, on every build ----

describe.each(["js", ...wasmKinds] as const)("%s: hand-derived oracles", (kind) => {
  function setup(): { b: Backend; put: (d: Float32Array | Int32Array) => Ptr; read: (p: Ptr, n: number) => number[] } {
    const b = makeBackend(kind);
    let next = Math.ceil(b.heapBase / 16) * 16;
    b.reserve(next + 4096);
    return {
      b,
      put(d) {
        const p = next;
        next += Math.ceil((d.length * 4) / 16) * 16;
        if (d instanceof Int32Array) new Int32Array(b.buffer, p, d.length).set(d);
        else new Float32Array(b.buffer, p, d.length).set(d);
        return p;
      },
      read: (p, n) => Array.from(new Float32Array(b.buffer, p, n)),
    };
  }

  test("copySteps by hand: strided halves, time-reversed, accumulated, within lengths", () => {
    const { b, put, read } = setup();
    // x: (T=3, B=2, 2) with x[t,b] = [10t + b, 10t + b + 0.5]
    const x = put(f32([0, 0.5, 1, 1.5, 10, 10.5, 11, 11.5, 20, 20.5, 21, 21.5]));
    const y = put(f32(Array(3 * 2 * 5).fill(-1))); // rows of 5 floats: the copies land at columns 1..2
    b.copySteps(y + 4, x, 0, 3, 2, 2, 5, 2, 1, 0);
    const reversed = read(y, 30);
    for (let t = 0; t < 3; t++) {
      for (let s = 0; s < 2; s++) expect(reversed.slice((t * 2 + s) * 5, (t * 2 + s + 1) * 5)).toEqual([-1, 10 * (2 - t) + s, 10 * (2 - t) + s + 0.5, -1, -1]);
    }
    // the first float of each row of x, forward in time, added to column 1
    b.copySteps(y + 4, x, 0, 3, 2, 1, 5, 2, 0, 1);
    const summed = read(y, 30);
    for (let t = 0; t < 3; t++) for (let s = 0; s < 2; s++) expect(summed[(t * 2 + s) * 5 + 1]).toBe(10 * (2 - t) + s + 10 * t + s);
    expect(read(x, 12)).toEqual([0, 0.5, 1, 1.5, 10, 10.5, 11, 11.5, 20, 20.5, 21, 21.5]);
    // lengths 2 and 3: sequence 0 reversed within its 2 steps, its padding step zeroed; sequence 1 whole
    const lengths = put(Int32Array.from([2, 3])), z = put(f32(Array(12).fill(-1)));
    b.copySteps(z, x, lengths, 3, 2, 2, 2, 2, 1, 0);
    expect(read(z, 12)).toEqual([10, 10.5, 21, 21.5, 0, 0.5, 11, 11.5, 0, 0, 1, 1.5]);
    // accumulating leaves the padding as it was: z[t,0] += x[1−t,0] for t < 2 only
    new Float32Array(b.buffer, z, 12).set(f32(Array(12).fill(-1)));
    b.copySteps(z, x, lengths, 3, 2, 2, 2, 2, 1, 1);
    expect(read(z, 12)).toEqual([9, 9.5, 20, 20.5, -1, -0.5, 10, 10.5, -1, -1, 0, 0.5]);
  });

  test("2×2 matmuls by hand", () => {
    const { b, put, read } = setup();
    const A = put(f32([1, 2, 3, 4])), B = put(f32([5, 6, 7, 8])), C = put(f32([1, 1, 1, 1]));
    b.matmulNN(C, A, B, 2, 2, 2, 0);
    expect(read(C, 4)).toEqual([19, 22, 43, 50]); // [[1,2],[3,4]]·[[5,6],[7,8]]
    b.matmulNT(C, A, B, 2, 2, 2, 0);
    expect(read(C, 4)).toEqual([17, 23, 39, 53]); // ·[[5,7],[6,8]]
    b.matmulTN(C, A, B, 2, 2, 2, 1);
    expect(read(C, 4)).toEqual([17 + 26, 23 + 30, 39 + 38, 53 + 44]); // + [[1,3],[2,4]]·[[5,6],[7,8]]
  });

  test("crossEntropy of equal logits is log O per row, gradient 1/O − onehot", () => {
    const { b, put, read } = setup();
    const O = 5;
    const z = put(f32(Array(3 * O).fill(0.7))), t = put(Int32Array.from([2, -1, 4])), d = put(new Float32Array(3 * O));
    const loss = b.crossEntropy(d, z, t, 3, O);
    expect(Math.abs(loss - 2 * Math.log(O))).toBeLessThan(1e-6);
    const g = read(d, 3 * O);
    for (let o = 0; o < O; o++) {
      expect(Math.abs(g[o] - (0.2 - (o === 2 ? 1 : 0)))).toBeLessThan(1e-7);
      expect(g[O + o]).toBe(0);
      expect(Math.abs(g[2 * O + o] - (0.2 - (o === 4 ? 1 : 0)))).toBeLessThan(1e-7);
    }
  });

  test("mse, sumSquares and softmax by hand", () => {
    const { b, put, read } = setup();
    const y = put(f32([1, 2, 3, 4])), t = put(f32([0, 0, 3, 3])), mask = put(f32([0.5, 0])), dy = put(new Float32Array(4));
    expect(b.mse(dy, y, t, mask, 2, 2)).toBe(2.5); // 0.5·(1 + 4), second row dropped
    expect(read(dy, 4)).toEqual([1, 2, 0, 0]); // 2·0.5·(y − t)
    expect(b.sumSquares(put(f32([3, 4, 12])), 3)).toBe(169);
    const z = put(f32([0, Math.log(3)]));
    b.softmax(z, z, 1, 2, 1);
    const p = read(z, 2);
    expect(Math.abs(p[0] - 0.25)).toBeLessThan(1e-7);
    expect(Math.abs(p[1] - 0.75)).toBeLessThan(1e-7);
  });

  test("a 1-unit tanh RNN step and its gradients by hand", () => {
    const { b, put, read } = setup();
    // h = tanh(w·x + bi + u·h0 + bh) = tanh(0.5·2 + 0.1 + (−1)·0.3 + 0.2) = tanh(1)
    const x = put(f32([2])), h0 = put(f32([0.3])), w = put(f32([0.5])), u = put(f32([-1])), bi = put(f32([0.1])), bh = put(f32([0.2]));
    const hs = put(new Float32Array(1));
    b.rnnForward(hs, x, 0, h0, w, u, bi, bh, 1, 1, 1, 1, Activation.Tanh, 0);
    const h = read(hs, 1)[0];
    expect(Math.abs(h - Math.tanh(1))).toBeLessThan(2e-7);
    const dhs = put(f32([1])), dx = put(new Float32Array(1)), dw = put(new Float32Array(1)), du = put(new Float32Array(1));
    const dbi = put(new Float32Array(1)), dbh = put(new Float32Array(1)), dh0 = put(new Float32Array(1)), norms = put(new Float32Array(1));
    b.rnnBackward(dx, dw, du, dbi, dbh, dh0, norms, dhs, hs, x, 0, h0, w, u, 1, 1, 1, 1, Activation.Tanh, 0);
    const delta = 1 - h * h;
    const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThan(1e-6);
    close(read(dhs, 1)[0], delta);
    close(read(dw, 1)[0], delta * 2); // δ·x
    close(read(du, 1)[0], delta * 0.3); // δ·h0
    close(read(dbi, 1)[0], delta);
    close(read(dbh, 1)[0], delta);
    close(read(dx, 1)[0], delta * 0.5); // w·δ
    close(read(dh0, 1)[0], -delta); // u·δ
    close(read(norms, 1)[0], 1);
  });

  test("sgdStep with momentum and Nesterov by hand", () => {
    const { b, put, read } = setup();
    const p = put(f32([1])), g = put(f32([0.5])), v = put(f32([0]));
    b.sgdStep(p, g, v, 1, 0.1, 0.9, 0, 0, 1, 1); // v = 0.5; g = 0.5 + 0.9·0.5 = 0.95; p = 1 − 0.095
    expect(Math.abs(read(p, 1)[0] - 0.905)).toBeLessThan(1e-7);
    expect(read(v, 1)[0]).toBe(0.5);
    b.sgdStep(p, g, v, 1, 0.1, 0.9, 0, 0, 0, 0); // v = 0.45 + 0.5 = 0.95; p −= 0.095
    expect(Math.abs(read(v, 1)[0] - 0.95)).toBeLessThan(1e-7);
    expect(Math.abs(read(p, 1)[0] - 0.81)).toBeLessThan(1e-6);
  });
});

// ---- exp and tanh accuracy (the Wasm kernels' own implementations) ----

describe.each(wasmKinds)("%s: exp and tanh accuracy", (kind) => {
  /** tanh of every x through rnnForward: I = H = width, W_ih = identity, W_hh = 0, biases 0, h0 = 0. */
  function tanhOf(xs: Float32Array, width: 1 | 4): Float32Array {
    const b = makeBackend(kind);
    const rows = xs.length / width;
    const base = Math.ceil(b.heapBase / 16) * 16;
    const W = base, U = W + 64, bias = U + 64, h0 = bias + 64, x = h0 + rows * width * 4, hs = x + xs.length * 4;
    b.reserve(hs + xs.length * 4);
    const f = new Float32Array(b.buffer);
    for (let j = 0; j < width; j++) f[(W >> 2) + j * width + j] = 1;
    f.set(xs, x >> 2);
    b.rnnForward(hs, x, 0, h0, W, U, bias, bias, 1, rows, width, width, Activation.Tanh, 0);
    return new Float32Array(b.buffer, hs, xs.length).slice();
  }

  const grid = Float32Array.from({ length: 240_000 }, (_, i) => -12 + i * 1e-4);
  // tiny and huge magnitudes too
  const extra: number[] = [];
  for (let e = -40; e <= 2; e++) for (const m of [1, 1.7, 3.3, 7.9]) extra.push(m * 10 ** e, -m * 10 ** e);
  const xs = new Float32Array([...grid, ...extra, 0]);

  test("tanh: max abs error ≤ 2e-7 and max relative error ≤ 1e-6 against Math.tanh, SIMD and scalar paths bit-identical", () => {
    const simd = tanhOf(xs, 4), scalar = tanhOf(xs, 1);
    let maxAbs = 0, maxRel = 0;
    for (let i = 0; i < xs.length; i++) {
      const want = Math.tanh(xs[i]);
      maxAbs = Math.max(maxAbs, Math.abs(simd[i] - want));
      if (want !== 0) maxRel = Math.max(maxRel, Math.abs(simd[i] - want) / Math.abs(want));
      if (!Object.is(simd[i], scalar[i]) && !(simd[i] === 0 && scalar[i] === 0)) expect.fail(`tanh(${xs[i]}): SIMD ${simd[i]} ≠ scalar ${scalar[i]}`);
    }
    record(`${kind} tanh max abs error`, maxAbs);
    record(`${kind} tanh max rel error`, maxRel);
    expect(maxAbs).toBeLessThanOrEqual(2e-7);
    expect(maxRel).toBeLessThanOrEqual(1e-6);
  });

  test("tanh saturates to exactly ±1 (no NaN) and keeps NaN", () => {
    const big = f32([20, -20, 100, -100, 1e30, -1e30, 3e38, -3e38, 10, -10, 9.5, -9.5]);
    for (const width of [1, 4] as const) {
      const got = tanhOf(big, width);
      expect(Array.from(got.subarray(0, 10))).toEqual([1, -1, 1, -1, 1, -1, 1, -1, 1, -1]);
      expect(Math.abs(got[10] - Math.tanh(9.5))).toBeLessThanOrEqual(6e-8);
      expect(Math.abs(got[11] + Math.tanh(9.5))).toBeLessThanOrEqual(6e-8);
    }
    // one value per row (width 1): with the identity trick, ∞·0 in a wider row would be NaN
    expect(Array.from(tanhOf(f32([Infinity, -Infinity, NaN]), 1))).toEqual([1, -1, NaN]);
  });

  test("exp (through softmax of [0, z]: p1/p0 = e^z) has relative error ≤ 5e-7 on [−80, 0]", () => {
    for (const O of [2, 4]) {
      const b = makeBackend(kind);
      const rows = 20_000;
      const z = new Float32Array(rows * O);
      for (let r = 0; r < rows; r++) for (let o = 1; o < O; o++) z[r * O + o] = Math.fround(-80 * ((r * (O - 1) + o) / (rows * (O - 1))));
      const ptr = Math.ceil(b.heapBase / 16) * 16;
      b.reserve(ptr + z.length * 4);
      new Float32Array(b.buffer, ptr, z.length).set(z);
      b.softmax(ptr, ptr, rows, O, 1);
      const p = new Float32Array(b.buffer, ptr, z.length);
      let maxRel = 0;
      for (let r = 0; r < rows; r++) {
        for (let o = 1; o < O; o++) {
          const want = Math.exp(z[r * O + o]);
          maxRel = Math.max(maxRel, Math.abs(p[r * O + o] / p[r * O] - want) / want);
        }
      }
      record(`${kind} exp max rel error (O=${O})`, maxRel);
      expect(maxRel).toBeLessThanOrEqual(5e-7);
    }
  });

  test("softmax and crossEntropy never overflow: huge logit gaps give finite results", () => {
    const b = makeBackend(kind);
    const base = Math.ceil(b.heapBase / 16) * 16;
    const z = base, t = base + 64, d = base + 128;
    const f = new Float32Array(b.buffer);
    f.set([1000, 0, -1000, -3e38, 88.5], z >> 2);
    b.softmax(d, z, 1, 5, 1);
    expect(f[d >> 2]).toBe(1);
    for (let i = 1; i < 5; i++) expect(f[(d >> 2) + i]).toBeLessThan(1e-30);
    new Int32Array(b.buffer).set([2], t >> 2);
    const loss = b.crossEntropy(d, z, t, 1, 5);
    expect(Math.abs(loss - 2000)).toBeLessThan(1e-3);
  });
});

// ---- the WasmBackend object ----

describe.each(wasmKinds)("%s: memory, isolation, disposal", (kind) => {
  test("reserve grows the memory, keeps the data, and kernels work beyond the old end", () => {
    const b = makeBackend(kind);
    const before = b.buffer;
    const base = Math.ceil(b.heapBase / 16) * 16;
    const data = uniform(new Random(30), 1000);
    new Float32Array(before, base, 1000).set(data);
    const far = before.byteLength + 3 * 65536 + 16; // beyond the old end
    b.reserve(far + 1024 * 4);
    expect(b.buffer).not.toBe(before);
    expect(b.buffer.byteLength).toBeGreaterThanOrEqual(far + 4096);
    expect(before.byteLength).toBe(0); // the old buffer is detached
    expect(new Float32Array(b.buffer, base, 1000)).toEqual(data);
    // C (far) = A (data, 10×50) · B (data, 20×50)ᵀ
    b.matmulNT(far, base, base + 200 * 4, 10, 20, 50, 0);
    const ref = new JsBackend();
    ref.reserve(far + 4096);
    new Float32Array(ref.buffer, base, 1000).set(data);
    ref.matmulNT(far, base, base + 200 * 4, 10, 20, 50, 0);
    expect(maxErr(new Float32Array(b.buffer, far, 200), new Float32Array(ref.buffer, far, 200))).toBeLessThanOrEqual(TOL.matmul);
    const size = b.buffer.byteLength;
    b.reserve(16); // never shrinks
    expect(b.buffer.byteLength).toBe(size);
    expect(() => b.reserve(8 * 2 ** 30)).toThrow(BpttError);
  });

  test("two backends never share memory", () => {
    const a = makeBackend(kind), c = makeBackend(kind);
    const p = Math.ceil(a.heapBase / 16) * 16;
    a.fill(p, 8, 3);
    c.fill(p, 8, 5);
    expect(Array.from(new Float32Array(a.buffer, p, 8))).toEqual(Array(8).fill(3));
    expect(Array.from(new Float32Array(c.buffer, p, 8))).toEqual(Array(8).fill(5));
  });

  test("heapBase is 16-byte aligned and above the static data", () => {
    const b = makeBackend(kind);
    expect(b.heapBase % 16).toBe(0);
    expect(b.heapBase).toBeGreaterThanOrEqual(16);
  });

  test("dispose makes every later call throw DISPOSED", () => {
    const b = makeBackend(kind);
    b.dispose();
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as BpttError).code;
      }
      return "no error";
    };
    expect(code(() => b.fill(64, 1, 0))).toBe("DISPOSED");
    expect(code(() => b.rnnForward(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0))).toBe("DISPOSED");
    expect(code(() => b.buffer)).toBe("DISPOSED");
    expect(code(() => b.reserve(1))).toBe("DISPOSED");
    b.dispose(); // twice is fine
  });
});

describe("debug build asserts", () => {
  test("an out-of-range token id aborts with a BpttError WASM_ABORT naming the kernel and the source line", () => {
    const b = makeBackend("wasm-debug");
    const base = Math.ceil(b.heapBase / 16) * 16;
    new Int32Array(b.buffer).set([0, 1, 7], base >> 2); // I = 3: 7 is out of range
    let error: unknown;
    try {
      b.rnnForward(base + 64, 0, base, base + 1024, base + 2048, base + 3072, base + 4096, base + 4096, 3, 1, 3, 4, Activation.Tanh, 0);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BpttError);
    expect((error as BpttError).code).toBe("WASM_ABORT");
    expect((error as BpttError).message).toMatch(/^rnnForward: token id out of range \[0, I\) at assembly\/cells\/rnn\.ts:\d+:\d+$/);
  });

  test("the abort message and source location match @assemblyscript/loader's reading of the same abort", async () => {
    // The backend decodes AssemblyScript's abort strings itself (the loader is not bundled: it is
    // deprecated, fails on modules from another realm, and weighs 5 kB); the loader is the reference.
    const { instantiate } = await import("@assemblyscript/loader");
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { exports } = await instantiate<Record<string, (...args: number[]) => number>>(wasmModuleFor("wasm-debug")!, { env: { memory } });
    const base = Math.ceil(Number(exports.heapBase()) / 16) * 16;
    new Int32Array(memory.buffer).set([0, 1, 7], base >> 2);
    let reference = "";
    try {
      exports.rnnForward(base + 64, 0, base, base + 1024, base + 2048, base + 3072, base + 4096, base + 4096, 3, 1, 3, 4, Activation.Tanh, 0);
    } catch (e) {
      reference = (e as Error).message;
    }
    const b = makeBackend("wasm-debug");
    new Int32Array(b.buffer).set([0, 1, 7], base >> 2);
    let ours = "";
    try {
      b.rnnForward(base + 64, 0, base, base + 1024, base + 2048, base + 3072, base + 4096, base + 4096, 3, 1, 3, 4, Activation.Tanh, 0);
    } catch (e) {
      ours = (e as Error).message;
    }
    expect(reference).toMatch(/^abort: rnnForward: token id out of range/);
    expect(`abort: ${ours}`).toBe(reference);
  });

  test("a crossEntropy target ≥ O aborts", () => {
    const b = makeBackend("wasm-debug");
    const base = Math.ceil(b.heapBase / 16) * 16;
    new Int32Array(b.buffer).set([5], base >> 2);
    expect(() => b.crossEntropy(base + 64, base + 64, base, 1, 5)).toThrow(/crossEntropy: target out of range/);
  });
});

// ---- the loader ----

describe("loader", () => {
  test("decodes the embedded module, compiles it once, and accepts precompiled modules from any realm", async () => {
    const bytes = decodeEmbedded(releaseWasm);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0, 0x61, 0x73, 0x6d]); // "\0asm"
    const m1 = defaultModule();
    expect(defaultModule()).toBe(m1); // cached
    await init();
    expect(defaultModule()).toBe(m1);

    // a module compiled in another realm is not `instanceof` ours, but is still a Module
    const foreign = runInNewContext("new WebAssembly.Module(bytes)", { bytes }) as WebAssembly.Module;
    expect(foreign instanceof WebAssembly.Module).toBe(false);
    expect(isWasmModule(foreign)).toBe(true);
    await init(foreign);
    expect(defaultModule()).toBe(foreign);
    const b = new WasmBackend(defaultModule());
    const p = Math.ceil(b.heapBase / 16) * 16;
    b.fill(p, 5, 2);
    expect(b.sumSquares(p, 5)).toBe(20);

    await init(bytes); // bytes are compiled
    expect(defaultModule()).not.toBe(foreign);
    await expect(init(new Uint8Array([0, 1, 2, 3]))).rejects.toMatchObject({ code: "WASM_UNAVAILABLE" });
  });

  test("the embedded release module is byte-identical to build/bptt.release.wasm", () => {
    const built = readFileSync(new URL("../build/bptt.release.wasm", import.meta.url));
    expect(Buffer.from(decodeEmbedded(releaseWasm)).equals(built)).toBe(true);
    expect(isWasmModule(wasmModuleFor("wasm-release"))).toBe(true);
    expect(isWasmModule(built)).toBe(false);
  });
});
