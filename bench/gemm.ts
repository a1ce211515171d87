/**
 * The matrix products of W3 (tanh RNN, V 65, H 256, T 32, B 32) as bare kernel calls, timed in
 * the same interleaved rounds as the peak probe (bench/peak.ts): GFLOP/s and % of the probe's
 * median, per product and for the sum weighted as one W3 training step weighs them.
 *
 *   node bench/build.mjs && node build/gemm.mjs [a.wasm [b.wasm]] [--rounds=N]
 *
 * With one or two .wasm paths, each build is timed in the same rounds (A/B of a kernel change);
 * without, build/bptt.release.wasm (npm run build:wasm).
 */
import { readFileSync } from "node:fs";
import { WasmBackend } from "../src/backends/wasm/index.js";
import { peakProbe } from "./peak.js";
import { seconds, spread } from "./stats.js";

const V = 65, H = 256, T = 32, B = 32;

interface Product {
  name: string;
  kernel: "matmulNT" | "matmulNN" | "matmulTN";
  M: number;
  N: number;
  K: number;
  /** Calls per W3 training step (window of T steps, batch B). */
  perStep: number;
  accumulate: 0 | 1;
}

// the batched products of one W3 step (ops/gemm.ts serves them all); A is M×K (TN: K×M)
const products: Product[] = [
  { name: "h W_hhᵀ, per step (B×H·H×H)", kernel: "matmulNT", M: B, N: H, K: H, perStep: T, accumulate: 1 },
  { name: "δ W_hh, per step", kernel: "matmulNN", M: B, N: H, K: H, perStep: T, accumulate: 1 },
  { name: "logits H W_hyᵀ (TB×H·V×H)", kernel: "matmulNT", M: T * B, N: V, K: H, perStep: 1, accumulate: 0 },
  { name: "dH = dY W_hy (TB×V·V×H)", kernel: "matmulNN", M: T * B, N: H, K: V, perStep: 1, accumulate: 0 },
  { name: "dW_hy = dYᵀ H (V×TB·TB×H)", kernel: "matmulTN", M: V, N: H, K: T * B, perStep: 1, accumulate: 0 },
  { name: "dW_hh = δᵀ H (H×TB·TB×H)", kernel: "matmulTN", M: H, N: H, K: T * B, perStep: 1, accumulate: 0 },
];

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 9);
const paths = args.filter((a) => !a.startsWith("--"));
const builds = (paths.length > 0 ? paths : ["build/bptt.release.wasm"]).map((p) => ({ label: p, module: new WebAssembly.Module(readFileSync(p)) }));

/** One backend with A, B, C of every product in its memory (random A, B in [−1, 1]), and a call per product. */
function setUp(module: WebAssembly.Module): Array<() => void> {
  const floats = (p: Product) => p.M * p.K + p.K * p.N + p.M * p.N;
  const total = products.reduce((s, p) => s + floats(p), 0);
  const backend = new WasmBackend(module);
  backend.reserve(backend.heapBase + 4 * total + 64);
  const view = new Float32Array(backend.buffer);
  let seed = 12345;
  let at = backend.heapBase;
  return products.map((p) => {
    const A = at, Bp = A + 4 * p.M * p.K, C = Bp + 4 * p.K * p.N;
    at = C + 4 * p.M * p.N;
    for (let i = A / 4; i < C / 4; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      view[i] = seed / 2 ** 31 - 1;
    }
    const f = backend[p.kernel].bind(backend);
    return () => f(C, A, Bp, p.M, p.N, p.K, p.accumulate);
  });
}

const calls = builds.map((b) => setUp(b.module));
const flops = products.map((p) => 2 * p.M * p.N * p.K);
const probe = peakProbe(0.1);
const blockSeconds = 0.1;
// calls per block, from a warm-up
const sizes = calls.map((cs) => cs.map((call) => {
  for (let i = 0; i < 20; i++) call();
  const t0 = seconds();
  for (let i = 0; i < 20; i++) call();
  return Math.max(1, Math.ceil((blockSeconds * 20) / (seconds() - t0)));
}));
const peaks: number[] = [];
const gflops = builds.map(() => products.map(() => [] as number[]));
for (let r = 0; r < rounds; r++) {
  peaks.push(probe.sample());
  for (let b = 0; b < builds.length; b++) {
    for (let i = 0; i < products.length; i++) {
      const n = sizes[b][i], call = calls[b][i];
      const t0 = seconds();
      for (let c = 0; c < n; c++) call();
      gflops[b][i].push((n * flops[i]) / (seconds() - t0) / 1e9);
    }
  }
}
const peak = spread(peaks).median;
console.log(`peak probe ${peak.toFixed(1)} GFLOP/s (median of ${rounds} blocks, min–max ${spread(peaks).min.toFixed(1)}–${spread(peaks).max.toFixed(1)})`);
console.log(`| product | M×N×K | ${builds.map((b) => `${b.label} GFLOP/s | % peak`).join(" | ")} |`);
console.log(`| --- | --- | ${builds.map(() => "---: | ---:").join(" | ")} |`);
for (let i = 0; i < products.length; i++) {
  const p = products[i];
  const cells = builds.map((_, b) => {
    const g = spread(gflops[b][i]).median;
    return `${g.toFixed(1)} | ${((100 * g) / peak).toFixed(1)} %`;
  });
  console.log(`| ${p.name} | ${p.M}×${p.N}×${p.K} | ${cells.join(" | ")} |`);
}
// one W3 step's products: total FLOPs over the sum of each product's median time
const stepFlops = products.reduce((s, p, i) => s + p.perStep * flops[i], 0);
const weighted = builds.map((_, b) => {
  const time = products.reduce((s, p, i) => s + (p.perStep * flops[i]) / (spread(gflops[b][i]).median * 1e9), 0);
  const g = stepFlops / time / 1e9;
  return `${g.toFixed(1)} | ${((100 * g) / peak).toFixed(1)} %`;
});
console.log(`| **one W3 step's products** | | ${weighted.join(" | ")} |`);
