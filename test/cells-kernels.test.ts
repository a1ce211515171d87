// The LSTM and GRU kernel pairs, Wasm (release and debug builds) against the pure-TypeScript
// reference, on seeded random shapes that are and are not multiples of 4 (SIMD bodies and scalar
// tails), dense and token input, with and without dx and the per-step norms, pointers off 16-byte
// alignment. Every tensor placed is compared after every call (inputs must come back unchanged)
// together with the guard floats after it.
//
// Tolerances, |wasm − js| ≤ tol·(1 + |js|): the forward differs by the polynomial exp/tanh (≈1.5e-7
// relative) and f32x4 summation order, carried through T steps of the recurrence: 2e-6 (as
// rnnForward). Backward sums T·B products into the weight gradients: 1e-5 (as rnnBackward). Backward
// starts from the reference's saved activations (synced), so it is judged on its own.
// A sigmoid check: σ and tanh through lstmForward with W = 0 against Math, over [−30, 30].
// Measured worst |wasm − js| / (1 + |js|) (BPTT_KERNEL_REPORT=1): forward 1.7e-7, backward 4.6e-7.
import { afterAll, describe, expect, test } from "vitest";
import { packedFloats, packedWhhFloats } from "../src/backend.js";
import { BpttError } from "../src/errors.js";
import { Random } from "../src/random.js";
import type { BackendKind } from "./helpers/backends.js";
import { makeBackend } from "./helpers/backends.js";
import { BackendPair } from "./helpers/pair.js";

const wasmKinds = ["wasm-release", "wasm-debug"] as const satisfies readonly BackendKind[];
const SIZES = [1, 3, 4, 5, 7, 8, 13, 16, 17, 33];
const TOL = { forward: 2e-6, backward: 1e-5 };

const report = new Map<string, number>();
afterAll(() => {
  if (process.env.BPTT_KERNEL_REPORT) console.log([...report].map(([k, v]) => `${k.padEnd(32)} ${v.toExponential(2)}`).join("\n"));
});

function uniform(rng: Random, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
}
const ints = (rng: Random, n: number, hi: number) => Int32Array.from({ length: n }, () => rng.int(hi));
const pick = <T>(rng: Random, xs: readonly T[]): T => xs[rng.int(xs.length)];

describe.each(wasmKinds)("%s agrees with the js reference", (kind) => {
  test.each(["lstm", "gru"] as const)("%s: forward and backward kernels on random shapes, dense and token input", (cell) => {
    const p = new BackendPair(kind);
    const rng = new Random(cell === "lstm" ? 41 : 42);
    const G = cell === "lstm" ? 4 : 3;
    for (let rep = 0; rep < 120; rep++) {
      const T = pick(rng, [1, 2, 3, 5, 7]), B = pick(rng, [1, 2, 3, 4, 5]);
      const I = pick(rng, SIZES), H = pick(rng, SIZES);
      const useTokens = rep % 2 === 1, withDx = rep % 4 === 0, withNorms = rep % 3 !== 0;
      const mis = () => rng.int(4) * 4;
      const s = 1 / Math.sqrt(H), rows = T * B;
      const label = `T=${T} B=${B} I=${I} H=${H} tokens=${useTokens}`;
      p.reset();
      const x = useTokens ? 0 : p.put("x", uniform(rng, rows * I), 0, mis());
      const tokens = useTokens ? p.put("tokens", ints(rng, rows, I)) : 0;
      const h0 = p.put("h0", uniform(rng, B * H, -0.5, 0.5), 0, mis());
      const c0 = cell === "lstm" ? p.put("c0", uniform(rng, B * H, -1.5, 1.5), 0, mis()) : 0;
      const Wih = p.put("Wih", uniform(rng, G * H * I, -s, s), 0, mis());
      const Whh = p.put("Whh", uniform(rng, G * H * H, -s, s), 0, mis());
      const bih = p.put("bih", uniform(rng, G * H, -0.5, 0.5));
      const bhh = p.put("bhh", uniform(rng, G * H, -0.5, 0.5));
      const hs = p.put("hs", uniform(rng, rows * H), TOL.forward, mis());
      const gates = p.put("gates", uniform(rng, rows * G * H), TOL.forward, mis());
      if (cell === "lstm") {
        const cs = p.put("cs", uniform(rng, rows * H), TOL.forward, mis());
        const tcs = p.put("tanhCs", uniform(rng, rows * H), TOL.forward);
        // B = 1: half the windows give W_hh packed in row groups, which the Wasm kernels then read instead;
        // B ≥ 4: half give scratch to pack W_hh into once per call
        let Wp = 0;
        if (B === 1 && (rep >> 1) % 2 === 0) {
          Wp = p.put("Wp", new Float32Array(packedFloats(4 * H, H)), 0);
          p.run((b) => b.packRowGroups(Wp, Whh, 4 * H, H));
        }
        if (B >= 4 && (rep >> 1) % 2 === 0) Wp = p.put("scratch", uniform(rng, packedWhhFloats(4, H)), Infinity);
        p.run((b) => b.lstmForward(hs, cs, tcs, gates, x, tokens, h0, c0, Wih, Whh, bih, bhh, T, B, I, H, Wp));
        p.check(`lstmForward ${label} packed=${Wp !== 0}`);
        for (const [ptr, n] of [[hs, rows * H], [cs, rows * H], [tcs, rows * H], [gates, rows * 4 * H]]) p.sync(ptr, n);
        const dhs = p.put("dhs", uniform(rng, rows * H));
        const dgates = p.put("dgates", uniform(rng, rows * 4 * H), TOL.backward, mis());
        const grads = [G * H * I, G * H * H, G * H, G * H].map((n, i) => p.put(`grad${i}`, uniform(rng, n), TOL.backward)); // += onto nonzero
        const dh0 = p.put("dh0", uniform(rng, B * H), TOL.backward), dc0 = p.put("dc0", uniform(rng, B * H), TOL.backward);
        const norms = withNorms ? p.put("dhNorms", uniform(rng, T * B), TOL.backward) : 0; // (T,B) ‖dh‖² per sequence
        const dx = withDx ? p.put("dx", uniform(rng, rows * I), TOL.backward) : 0; // with tokens: untouched
        const [dWih, dWhh, dbih, dbhh] = grads;
        p.run((b) => b.lstmBackward(dx, dWih, dWhh, dbih, dbhh, dh0, dc0, norms, dgates, dhs, hs, cs, tcs, gates, x, tokens, h0, c0, Wih, Whh, T, B, I, H, Wp));
        p.check(`lstmBackward ${label} dx=${withDx} norms=${withNorms} packed=${Wp !== 0}`);
      } else {
        const ghs = p.put("ghs", uniform(rng, rows * 3 * H), TOL.forward, mis());
        // B = 1: half the windows give W_hh packed in row groups; B ≥ 4: half give scratch to pack W_hh into
        let Wp = 0;
        if (B === 1 && (rep >> 1) % 2 === 0) {
          Wp = p.put("Wp", new Float32Array(packedFloats(3 * H, H)), 0);
          p.run((b) => b.packRowGroups(Wp, Whh, 3 * H, H));
        }
        if (B >= 4 && (rep >> 1) % 2 === 0) Wp = p.put("scratch", uniform(rng, packedWhhFloats(3, H)), Infinity);
        p.run((b) => b.gruForward(hs, gates, ghs, x, tokens, h0, Wih, Whh, bih, bhh, T, B, I, H, Wp));
        p.check(`gruForward ${label} packed=${Wp !== 0}`);
        for (const [ptr, n] of [[hs, rows * H], [gates, rows * 3 * H], [ghs, rows * 3 * H]]) p.sync(ptr, n);
        const dhs = p.put("dhs", uniform(rng, rows * H));
        const dgates = p.put("dgates", uniform(rng, rows * 3 * H), TOL.backward, mis());
        const dns = p.put("dns", uniform(rng, rows * H), TOL.backward, mis());
        const grads = [G * H * I, G * H * H, G * H, G * H].map((n, i) => p.put(`grad${i}`, uniform(rng, n), TOL.backward));
        const dh0 = p.put("dh0", uniform(rng, B * H), TOL.backward);
        const norms = withNorms ? p.put("dhNorms", uniform(rng, T * B), TOL.backward) : 0; // (T,B) ‖dh‖² per sequence
        const dx = withDx ? p.put("dx", uniform(rng, rows * I), TOL.backward) : 0;
        const [dWih, dWhh, dbih, dbhh] = grads;
        p.run((b) => b.gruBackward(dx, dWih, dWhh, dbih, dbhh, dh0, norms, dgates, dns, dhs, hs, gates, ghs, x, tokens, h0, Wih, Whh, T, B, I, H, Wp));
        p.check(`gruBackward ${label} dx=${withDx} norms=${withNorms} packed=${Wp !== 0}`);
      }
    }
    for (const [k, v] of p.worst) report.set(`${kind} ${k}`, Math.max(report.get(`${kind} ${k}`) ?? 0, v));
  });

  test("lstm with B = 1 on W_hh packed in row groups (H = 1..130, T = 1..30)", () => {
    const p = new BackendPair(kind);
    const rng = new Random(44);
    for (const [T, I, H] of [[1, 5, 1], [3, 7, 5], [30, 3, 9], [4, 17, 33], [25, 65, 128], [2, 9, 130]] as const) {
      p.reset();
      const s = 1 / Math.sqrt(H);
      const tokens = p.put("tokens", ints(rng, T, I)), h0 = p.put("h0", uniform(rng, H, -0.5, 0.5)), c0 = p.put("c0", uniform(rng, H, -1.5, 1.5));
      const Wih = p.put("Wih", uniform(rng, 4 * H * I, -s, s)), Whh = p.put("Whh", uniform(rng, 4 * H * H, -s, s));
      const bih = p.put("bih", uniform(rng, 4 * H, -0.5, 0.5)), bhh = p.put("bhh", uniform(rng, 4 * H, -0.5, 0.5));
      const Wp = p.put("Wp", new Float32Array(packedFloats(4 * H, H)), 0);
      p.run((b) => b.packRowGroups(Wp, Whh, 4 * H, H));
      const tol = T > 20 ? 1e-5 : TOL.forward; // a chain over 25–30 steps: as the T = 40 test
      const hs = p.put("hs", new Float32Array(T * H), tol), cs = p.put("cs", new Float32Array(T * H), tol);
      const tcs = p.put("tanhCs", new Float32Array(T * H), tol), gates = p.put("gates", new Float32Array(T * 4 * H), tol);
      p.run((b) => b.lstmForward(hs, cs, tcs, gates, 0, tokens, h0, c0, Wih, Whh, bih, bhh, T, 1, I, H, Wp));
      p.check(`lstmForward packed T=${T} I=${I} H=${H}`);
      for (const [ptr, n] of [[hs, T * H], [cs, T * H], [tcs, T * H], [gates, T * 4 * H]]) p.sync(ptr, n);
      const dhs = p.put("dhs", uniform(rng, T * H));
      const [dWih, dWhh, dbih, dbhh, dh0, dc0, norms] = [4 * H * I, 4 * H * H, 4 * H, 4 * H, H, H, T]
        .map((n, i) => p.put(`out${i}`, new Float32Array(n), TOL.backward));
      const dgates = p.put("dgates", new Float32Array(T * 4 * H), TOL.backward);
      p.run((b) => b.lstmBackward(0, dWih, dWhh, dbih, dbhh, dh0, dc0, norms, dgates, dhs, hs, cs, tcs, gates, 0, tokens, h0, c0, Wih, Whh, T, 1, I, H, Wp));
      p.check(`lstmBackward packed T=${T} I=${I} H=${H}`);
    }
  });

  test("gru with B = 1 on W_hh packed in row groups (H = 1..130, T = 1..30)", () => {
    const p = new BackendPair(kind);
    const rng = new Random(45);
    for (const [T, I, H] of [[1, 5, 1], [3, 7, 5], [30, 3, 9], [4, 17, 33], [25, 65, 128], [2, 9, 130]] as const) {
      p.reset();
      const s = 1 / Math.sqrt(H);
      const tokens = p.put("tokens", ints(rng, T, I)), h0 = p.put("h0", uniform(rng, H, -0.5, 0.5));
      const Wih = p.put("Wih", uniform(rng, 3 * H * I, -s, s)), Whh = p.put("Whh", uniform(rng, 3 * H * H, -s, s));
      const bih = p.put("bih", uniform(rng, 3 * H, -0.5, 0.5)), bhh = p.put("bhh", uniform(rng, 3 * H, -0.5, 0.5));
      const Wp = p.put("Wp", new Float32Array(packedFloats(3 * H, H)), 0);
      p.run((b) => b.packRowGroups(Wp, Whh, 3 * H, H));
      const tol = T > 20 ? 1e-5 : TOL.forward; // a chain over 25–30 steps: as the T = 40 test
      const hs = p.put("hs", new Float32Array(T * H), tol), gates = p.put("gates", new Float32Array(T * 3 * H), tol);
      const ghs = p.put("ghs", new Float32Array(T * 3 * H), tol);
      p.run((b) => b.gruForward(hs, gates, ghs, 0, tokens, h0, Wih, Whh, bih, bhh, T, 1, I, H, Wp));
      p.check(`gruForward packed T=${T} I=${I} H=${H}`);
      for (const [ptr, n] of [[hs, T * H], [gates, T * 3 * H], [ghs, T * 3 * H]]) p.sync(ptr, n);
      const dhs = p.put("dhs", uniform(rng, T * H));
      const [dWih, dWhh, dbih, dbhh, dh0, norms] = [3 * H * I, 3 * H * H, 3 * H, 3 * H, H, T]
        .map((n, i) => p.put(`out${i}`, new Float32Array(n), TOL.backward));
      const dgates = p.put("dgates", new Float32Array(T * 3 * H), TOL.backward), dns = p.put("dns", new Float32Array(T * H), TOL.backward);
      p.run((b) => b.gruBackward(0, dWih, dWhh, dbih, dbhh, dh0, norms, dgates, dns, dhs, hs, gates, ghs, 0, tokens, h0, Wih, Whh, T, 1, I, H, Wp));
      p.check(`gruBackward packed T=${T} I=${I} H=${H}`);
    }
  });

  test.each(["lstm", "gru"] as const)("%s on wide layers (H = 130, 90: W_hh packed once per call in several panels, B = 4 and 6) and a long window (T = 40)", (cell) => {
    const p = new BackendPair(kind);
    const rng = new Random(43);
    const G = cell === "lstm" ? 4 : 3;
    for (const [T, B, I, H] of [[3, 4, 37, 130], [5, 6, 11, 90], [40, 2, 5, 9]]) {
      p.reset();
      const s = 1 / Math.sqrt(H), rows = T * B;
      const x = p.put("x", uniform(rng, rows * I)), h0 = p.put("h0", uniform(rng, B * H)), c0 = p.put("c0", uniform(rng, B * H));
      const Wih = p.put("Wih", uniform(rng, G * H * I, -s, s)), Whh = p.put("Whh", uniform(rng, G * H * H, -s, s));
      const bih = p.put("bih", uniform(rng, G * H, -0.1, 0.1)), bhh = p.put("bhh", uniform(rng, G * H, -0.1, 0.1));
      const hs = p.put("hs", new Float32Array(rows * H), 1e-5), gates = p.put("gates", new Float32Array(rows * G * H), 1e-5);
      const extra = [p.put("cs|ghs", new Float32Array(rows * (cell === "lstm" ? H : 3 * H)), 1e-5), p.put("tanhCs", new Float32Array(rows * H), 1e-5)];
      const Wp = B >= 4 ? p.put("scratch", uniform(rng, packedWhhFloats(G, H)), Infinity) : 0;
      if (cell === "lstm") p.run((b) => b.lstmForward(hs, extra[0], extra[1], gates, x, 0, h0, c0, Wih, Whh, bih, bhh, T, B, I, H, Wp));
      else p.run((b) => b.gruForward(hs, gates, extra[0], x, 0, h0, Wih, Whh, bih, bhh, T, B, I, H, Wp));
      p.check(`${cell}Forward T=${T} B=${B} I=${I} H=${H}`);
      for (const [ptr, n] of [[hs, rows * H], [gates, rows * G * H], [extra[0], rows * (cell === "lstm" ? H : 3 * H)], [extra[1], rows * H]]) p.sync(ptr, n);
      const dhs = p.put("dhs", uniform(rng, rows * H));
      const [dWih, dWhh, dbih, dbhh, dh0, dc0, norms, dx] = [G * H * I, G * H * H, G * H, G * H, B * H, B * H, T * B, rows * I]
        .map((n, i) => p.put(`out${i}`, new Float32Array(n), 1e-5));
      const dgates = p.put("dgates", new Float32Array(rows * G * H), 1e-5), dns = p.put("dns", new Float32Array(rows * H), 1e-5);
      if (cell === "lstm") p.run((b) => b.lstmBackward(dx, dWih, dWhh, dbih, dbhh, dh0, dc0, norms, dgates, dhs, hs, extra[0], extra[1], gates, x, 0, h0, c0, Wih, Whh, T, B, I, H, Wp));
      else p.run((b) => b.gruBackward(dx, dWih, dWhh, dbih, dbhh, dh0, norms, dgates, dns, dhs, hs, gates, extra[0], x, 0, h0, Wih, Whh, T, B, I, H, Wp));
      p.check(`${cell}Backward T=${T} B=${B} I=${I} H=${H}`);
    }
  });
});

describe.each(["js", ...wasmKinds] as const)("%s: the LSTM's gates are σ and tanh of the pre-activation", (kind) => {
  test("σ (input, forget, output gates) within 3e-7 relative, tanh within 2e-7 absolute, over [−30, 30]", () => {
    // W_ih = W_hh = 0, so a = b_ih (+ b_hh = 0) and the gates hold σ(b), tanh(b), σ(b), σ(b)
    const b = makeBackend(kind);
    const H = 601, base = Math.ceil(b.heapBase / 16) * 16;
    b.reserve(base + 4 * (30 * H + 64));
    const f = () => new Float32Array(b.buffer);
    const at = (k: number) => base + k * H * 4; // every tensor in slots of H floats
    const bias = Float32Array.from({ length: 4 * H }, (_, k) => -30 + (60 * (k % H)) / (H - 1));
    // slots: bih (4H) 0–3, bhh (4H) 4–7, h0 8, c0 9, x (I = 1) 10, Wih (4H·1) 11–14, hs 15, cs 16, tanhCs 17, gates (4H) 18–21, Whh (4H·H) from 22
    f().set(bias, at(0) >> 2);
    f().fill(0, at(4) >> 2, at(22) >> 2);
    const bhh = at(4), h0 = at(8), c0 = at(9), x = at(10), Wih = at(11), hs = at(15), cs = at(16), tcs = at(17), gates = at(18), Whh = at(22);
    b.reserve(Whh + 4 * 4 * H * H + 64);
    new Float32Array(b.buffer, Whh, 4 * H * H).fill(0);
    b.lstmForward(hs, cs, tcs, gates, x, 0, h0, c0, Wih, Whh, at(0), bhh, 1, 1, 1, H, 0);
    const g = new Float32Array(b.buffer, gates, 4 * H);
    let sig = 0, th = 0;
    for (let j = 0; j < H; j++) {
      const a = bias[j];
      const s = 1 / (1 + Math.exp(-a));
      for (const k of [0, 1, 3]) sig = Math.max(sig, Math.abs(g[k * H + j] - s) / s);
      th = Math.max(th, Math.abs(g[2 * H + j] - Math.tanh(a)));
    }
    expect(sig).toBeLessThan(3e-7); // measured: 5.6e-8 (js, Math.exp), 1.05e-7 (Wasm, the polynomial exp)
    expect(th).toBeLessThan(2e-7);
    report.set(`${kind} sigmoid rel`, sig);
    b.dispose();
  });
});

describe("debug build asserts", () => {
  test.each(["lstmForward", "gruForward", "lstmBackward", "gruBackward"] as const)("%s: an out-of-range token id aborts with a BpttError WASM_ABORT naming the kernel", (kernel) => {
    const b = makeBackend("wasm-debug");
    const base = Math.ceil(b.heapBase / 16) * 16;
    b.reserve(base + 1024 * 20); // the 20 slots below, above the kernels' scratch
    new Int32Array(b.buffer).set([0, 1, 7], base >> 2); // T = 3, B = 1, I = 3: 7 is out of range
    const p = (k: number) => base + 1024 * k; // distinct 1 KiB slots, zeros
    const T = 3, B = 1, I = 3, H = 4;
    let error: unknown;
    try {
      if (kernel === "lstmForward") b.lstmForward(p(1), p(2), p(3), p(4), 0, base, p(5), p(6), p(7), p(8), p(9), p(10), T, B, I, H, 0);
      else if (kernel === "gruForward") b.gruForward(p(1), p(2), p(3), 0, base, p(5), p(7), p(8), p(9), p(10), T, B, I, H, 0);
      else if (kernel === "lstmBackward") {
        b.lstmBackward(0, p(11), p(12), p(13), p(14), p(15), p(16), 0, p(17), p(18), p(1), p(2), p(3), p(4), 0, base, p(5), p(6), p(7), p(8), T, B, I, H, 0);
      } else b.gruBackward(0, p(11), p(12), p(13), p(14), p(15), 0, p(17), p(19), p(18), p(1), p(2), p(3), 0, base, p(5), p(7), p(8), T, B, I, H, 0);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BpttError);
    expect((error as BpttError).code).toBe("WASM_ABORT");
    expect((error as BpttError).message).toMatch(new RegExp(`^${kernel}: token id out of range \\[0, I\\) at assembly/cells/gated\\.ts:\\d+:\\d+$`));
    b.dispose();
  });
});
