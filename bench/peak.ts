/**
 * The machine's practical f32x4 peak, measured in the same run as the workloads: a tiny Wasm
 * module, assembled here byte by byte, whose only work is independent SIMD multiply–adds on
 * values held in registers (no loads, no stores), used as the denominator of "% of peak".
 *
 *   peak(iterations: i32, m: f32, c: f32) -> f32
 *     v_m = splat(m); v_c = splat(c); acc_0..acc_11 = v_c
 *     repeat iterations times: for k in 0..11: acc_k = acc_k · v_m + v_c     (f32x4.mul, f32x4.add)
 *     return lane 0 of Σ_k acc_k          (so the work cannot be dropped)
 *
 * Twelve accumulators hide the mul→add latency chain (4 gave ≈ 19, 8 ≈ 37, 12 ≈ 58 GFLOP/s
 * on this kind of machine, see TOOLCHAIN.md). With m = 1 − 2⁻²⁰ and c = 2⁻²⁰ every accumulator
 * converges to 1: no overflow, no subnormals.
 *
 * FLOPs per iteration = 12 accumulators × 4 lanes × (1 mul + 1 add) = 96.
 */
import { seconds, spread, type Spread } from "./stats.js";

const ACCUMULATORS = 12;
export const FLOPS_PER_ITERATION = ACCUMULATORS * 4 * 2;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

// opcodes
const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b, VOID = 0x40;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b;
const I32_CONST = 0x41, I32_EQZ = 0x45, I32_SUB = 0x6b;
const SIMD = 0xfd;
const F32X4_SPLAT = [SIMD, ...uleb(0x13)];
const F32X4_EXTRACT_LANE = [SIMD, ...uleb(0x1f)];
const F32X4_ADD = [SIMD, ...uleb(0xe4)];
const F32X4_MUL = [SIMD, ...uleb(0xe6)];

/** The probe module's bytes. Locals: 0 iterations, 1 m, 2 c, 3..14 accumulators, 15 v_m, 16 v_c. */
export function peakModuleBytes(): Uint8Array<ArrayBuffer> {
  const acc = (k: number) => 3 + k, vm = 3 + ACCUMULATORS, vc = vm + 1;
  const code: number[] = [];
  code.push(LOCAL_GET, 1, ...F32X4_SPLAT, LOCAL_SET, vm);
  code.push(LOCAL_GET, 2, ...F32X4_SPLAT, LOCAL_SET, vc);
  for (let k = 0; k < ACCUMULATORS; k++) code.push(LOCAL_GET, vc, LOCAL_SET, acc(k));
  code.push(BLOCK, VOID, LOOP, VOID);
  code.push(LOCAL_GET, 0, I32_EQZ, BR_IF, 1);
  for (let k = 0; k < ACCUMULATORS; k++) {
    code.push(LOCAL_GET, acc(k), LOCAL_GET, vm, ...F32X4_MUL, LOCAL_GET, vc, ...F32X4_ADD, LOCAL_SET, acc(k));
  }
  code.push(LOCAL_GET, 0, I32_CONST, 1, I32_SUB, LOCAL_SET, 0);
  code.push(BR, 0, END, END);
  code.push(LOCAL_GET, acc(0));
  for (let k = 1; k < ACCUMULATORS; k++) code.push(LOCAL_GET, acc(k), ...F32X4_ADD);
  code.push(...F32X4_EXTRACT_LANE, 0, END);

  const locals = [1, ...uleb(ACCUMULATORS + 2), V128];
  const body = [...locals, ...code];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 3, I32, F32, F32, 1, F32]),         // type 0: (i32, f32, f32) -> f32
    ...section(3, [1, 0]),                                       // function 0 has type 0
    ...section(7, [1, 4, ..."peak".split("").map((ch) => ch.charCodeAt(0)), 0x00, 0]), // export "peak" = func 0
    ...section(10, [1, ...uleb(body.length), ...body]),          // its code
  ];
  return new Uint8Array(bytes);
}

export interface PeakResult {
  /** GFLOP/s, one sample per repetition. */
  gflops: Spread;
  iterations: number;
}

/** A checked, warmed-up probe whose `sample()` times one block and returns its GFLOP/s. */
export function peakProbe(blockSeconds: number): { sample: () => number; iterations: number } {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(peakModuleBytes()));
  const peak = instance.exports.peak as (iterations: number, m: number, c: number) => number;
  const m = 1 - 2 ** -20, c = 2 ** -20;
  // check the answer before timing: every accumulator goes 1 − m^(n+1) → 12·that, in lane 0
  const n = 1000, expected = ACCUMULATORS * (1 - m ** (n + 1));
  const got = peak(n, m, c);
  if (!(Math.abs(got - expected) <= 1e-3 * expected)) throw new Error(`peak probe: wrong answer ${got}, expected ≈ ${expected}`);
  // warm up and size the block
  let iterations = 1 << 20;
  for (;;) {
    const t0 = seconds();
    peak(iterations, m, c);
    const dt = seconds() - t0;
    if (dt >= blockSeconds / 4) {
      iterations = Math.min(2 ** 31 - 1, Math.ceil(iterations * (blockSeconds / dt)));
      break;
    }
    iterations *= 2;
  }
  peak(iterations, m, c);
  return {
    iterations,
    sample: () => {
      const t0 = seconds();
      const sink = peak(iterations, m, c);
      const dt = seconds() - t0;
      if (!Number.isFinite(sink)) throw new Error("peak probe: non-finite result");
      return (iterations * FLOPS_PER_ITERATION) / dt / 1e9;
    },
  };
}

/** Warm up (the first calls run in V8's baseline tier), then time `repetitions` blocks. */
export function measurePeak(repetitions: number, blockSeconds: number): PeakResult {
  const probe = peakProbe(blockSeconds);
  const samples: number[] = [];
  for (let r = 0; r < repetitions; r++) samples.push(probe.sample());
  return { gflops: spread(samples), iterations: probe.iterations };
}
