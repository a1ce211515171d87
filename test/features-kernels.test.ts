// The kernels of the layer features against the js reference, on both Wasm builds, at sizes on and
// off the SIMD width, with pointers off 16-byte alignment and guard floats after every tensor
// (test/helpers/pair.ts):
//   embeddingForward / embeddingBackward (a gather and an in-order scatter-add: exact, bit for bit),
//   dropoutForward (the same xoshiro128** draws: masks, outputs and PRNG state bit for bit) and
//   dropoutBackward (a product: exact), lstmProjForward / lstmProjBackward (cells-kernels.test.ts's
//   tolerances for the LSTM: 2e-6 forward, 1e-5 backward; backward from the reference's saved activations),
//   copySteps (row copies, reversed within lengths or whole, into and out of strided halves: exact; accumulated:
//   one f32 add per element, exact too).
import { beforeEach, describe, expect, test } from "vitest";
import { Random } from "../src/random.js";
import type { BackendKind } from "./helpers/backends.js";
import { BackendPair } from "./helpers/pair.js";

const wasmKinds = ["wasm-release", "wasm-debug"] as const satisfies readonly BackendKind[];
const SIZES = [1, 3, 4, 5, 7, 8, 13, 16, 17, 33];
const TOL = { forward: 2e-6, backward: 1e-5 };

// every comparison is an expect() inside BackendPair.check: a test that compares nothing fails
beforeEach(() => {
  expect.hasAssertions();
});

const uniform = (rng: Random, n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
const ints = (rng: Random, n: number, hi: number) => Int32Array.from({ length: n }, () => rng.int(hi));
const pick = <T>(rng: Random, xs: readonly T[]): T => xs[rng.int(xs.length)];

describe.each(wasmKinds)("%s: the layer-feature kernels agree with the js reference", (kind) => {
  test("embeddingForward / embeddingBackward, repeated tokens, bit for bit", () => {
    const rng = new Random(21), p = new BackendPair(kind);
    for (let trial = 0; trial < 40; trial++) {
      p.reset();
      const V = pick(rng, SIZES), E = pick(rng, SIZES), N = pick(rng, SIZES), mis = () => 4 * rng.int(4);
      const tokens = p.put("tokens", ints(rng, N, V)), W = p.put("W", uniform(rng, V * E), 0, mis());
      const X = p.put("X", uniform(rng, N * E), 0, mis());
      p.run((b) => b.embeddingForward(X, tokens, W, N, E));
      p.check(`embeddingForward V=${V} E=${E} N=${N}`);
      const dW = p.put("dW", uniform(rng, V * E), 0, mis()), dX = p.put("dX", uniform(rng, N * E), 0, mis());
      p.run((b) => b.embeddingBackward(dW, dX, tokens, N, E));
      p.check(`embeddingBackward V=${V} E=${E} N=${N}`);
    }
  });

  test("dropoutForward / dropoutBackward: the same masks, outputs and PRNG state, bit for bit", () => {
    const rng = new Random(22), p = new BackendPair(kind);
    for (let trial = 0; trial < 40; trial++) {
      p.reset();
      const n = pick(rng, SIZES) * pick(rng, SIZES), q = pick(rng, [0.1, 0.5, 0.75]), mis = () => 4 * rng.int(4);
      const state = p.put("state", Int32Array.from({ length: 4 }, () => rng.nextUint32() | 0));
      const x = p.put("x", uniform(rng, n), 0, mis()), y = p.put("y", uniform(rng, n), 0, mis()), mask = p.put("mask", uniform(rng, n), 0, mis());
      p.run((b) => b.dropoutForward(y, mask, x, state, n, Math.round(q * 2 ** 24), 1 / (1 - q)));
      p.check(`dropoutForward n=${n} p=${q}`);
      const dy = p.put("dy", uniform(rng, n), 0, mis()), dx = p.put("dx", uniform(rng, n), 0, mis());
      p.run((b) => b.dropoutBackward(dx, dy, mask, n));
      p.run((b) => b.dropoutBackward(dy, dy, mask, n)); // in place
      p.check(`dropoutBackward n=${n}`);
    }
  });

  test("lstmProjForward / lstmProjBackward, tokens and dense, with and without norms", () => {
    const rng = new Random(23), p = new BackendPair(kind);
    for (let trial = 0; trial < 24; trial++) {
      p.reset();
      const H = pick(rng, SIZES), P = pick(rng, SIZES), I = pick(rng, SIZES), T = 1 + rng.int(5), B = pick(rng, [1, 2, 3, 5, 8]);
      const rows = T * B, dense = rng.next() < 0.5, withNorms = rng.next() < 0.5, mis = () => 4 * rng.int(4);
      const x = dense ? p.put("x", uniform(rng, rows * I)) : 0, tokens = dense ? 0 : p.put("tokens", ints(rng, rows, I));
      const h0 = p.put("h0", uniform(rng, B * P)), c0 = p.put("c0", uniform(rng, B * H));
      const Wih = p.put("Wih", uniform(rng, 4 * H * I)), Whh = p.put("Whh", uniform(rng, 4 * H * P)), Whr = p.put("Whr", uniform(rng, P * H));
      const bih = p.put("bih", uniform(rng, 4 * H)), bhh = p.put("bhh", uniform(rng, 4 * H));
      const hs = p.zeros("hs", rows * P, TOL.forward, mis()), ms = p.zeros("ms", rows * H, TOL.forward, mis());
      const cs = p.zeros("cs", rows * H, TOL.forward), tcs = p.zeros("tanhCs", rows * H, TOL.forward), gates = p.zeros("gates", rows * 4 * H, TOL.forward, mis());
      p.run((b) => b.lstmProjForward(hs, ms, cs, tcs, gates, x, tokens, h0, c0, Wih, Whh, Whr, bih, bhh, T, B, I, H, P));
      const label = `T=${T} B=${B} I=${I} H=${H} P=${P} ${dense ? "dense" : "tokens"}`;
      p.check(`lstmProjForward ${label}`);
      for (const [ptr, n] of [[hs, rows * P], [ms, rows * H], [cs, rows * H], [tcs, rows * H], [gates, rows * 4 * H]]) p.sync(ptr, n);
      const dhs = p.put("dhs", uniform(rng, rows * P));
      const dgates = p.put("dgates", uniform(rng, rows * 4 * H), TOL.backward), dhp = p.put("dhp", uniform(rng, rows * P), TOL.backward);
      const dms = p.put("dms", uniform(rng, 2 * B * H), Infinity);
      const [dWih, dWhh, dWhr, dbih, dbhh] = [4 * H * I, 4 * H * P, P * H, 4 * H, 4 * H].map((n, i) => p.put(`grad${i}`, uniform(rng, n), TOL.backward));
      const dh0 = p.put("dh0", uniform(rng, B * P), TOL.backward), dc0 = p.put("dc0", uniform(rng, B * H), TOL.backward);
      const norms = withNorms ? p.put("dhNorms", uniform(rng, T * B), TOL.backward) : 0;
      const dx = dense ? p.put("dx", uniform(rng, rows * I), TOL.backward) : 0;
      p.run((b) => b.lstmProjBackward(dx, dWih, dWhh, dWhr, dbih, dbhh, dh0, dc0, norms, dgates, dhp, dms, dhs, hs, ms, cs, tcs, gates, x, tokens, h0, c0, Wih, Whh, Whr, T, B, I, H, P));
      p.check(`lstmProjBackward ${label} norms=${withNorms}`);
    }
  });

  test("copySteps: forward and reversed, with and without lengths, strided, copied and accumulated, bit for bit", () => {
    const rng = new Random(24), p = new BackendPair(kind);
    for (let trial = 0; trial < 40; trial++) {
      p.reset();
      const T = 1 + rng.int(6), B = pick(rng, [1, 2, 3, 5]), N = pick(rng, SIZES), mis = () => 4 * rng.int(4);
      const yStride = N + rng.int(3) * N, xStride = N + rng.int(3) * N;
      const lengths = rng.next() < 0.5 ? 0 : p.put("lengths", Int32Array.from({ length: B }, () => 1 + rng.int(T)));
      const x = p.put("x", uniform(rng, T * B * xStride), 0, mis()), y = p.put("y", uniform(rng, T * B * yStride), 0, mis());
      const reverse = rng.int(2), accumulate = rng.int(2);
      p.run((b) => b.copySteps(y, x, lengths, T, B, N, yStride, xStride, reverse, accumulate));
      p.check(`copySteps T=${T} B=${B} N=${N} strides ${yStride}/${xStride} lengths=${lengths !== 0} reverse=${reverse} accumulate=${accumulate}`);
    }
  });
});
