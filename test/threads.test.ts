/**
 * The threaded build (assembly/ops/threads.ts, src/backends/wasm/pool.ts): training is bit-identical
 * at every thread count. For every cell, with tokens into a first layer and a dense second layer
 * (so dx is computed), batch sizes that split into uneven shares (30 = 7 blocks of 4 + 2 rows) and
 * one sequence, sizes off the SIMD width (H = 70, V = 53) and Adam: the losses, gradient norms and
 * every weight after N steps are equal bit for bit at 1, 2, 3 and 4 threads, and equal to the
 * single-threaded build's. The oracle is the single-threaded build, itself checked against PyTorch
 * by the golden suites. The same holds with an embedding in front and dropout between three layers,
 * and for the LSTM projections (projSize 29) (their kernels run on one thread; the rest on the pool),
 * and for bidirectional layers of every cell (the time-step copies run on one thread, both directions'
 * cell kernels on the pool), at B = 30 and, for the LSTM (W_hh packed per direction), at B = 1, and
 * for a bidirectional GRU over a batch of variable lengths.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RNN, Trainer, init, shutdown } from "../src/index.js";
import { SHARED_STEP_HIDDEN, tasks as threadedTasks } from "../src/backends/wasm/threaded.js";
import { WasmBackend, type ThreadBinding } from "../src/backends/wasm/index.js";
import { threadBinding } from "../src/backends/wasm/loader.js";
import { wasmModuleFor } from "./helpers/backends.js";

const V = 53, H = 70, T = 12, STEPS = 4;

interface Run { losses: number[]; norms: number[]; stepNorms: number[]; weights: Uint32Array[] }

/** Embedding and dropout: the options of the feature runs. */
const FEATURES = { embeddingSize: 19, dropout: 0.3, numLayers: 3 };

function trainRun(cell: "rnn" | "lstm" | "gru", B: number, features = false, bidirectional = false, withLengths = false): Run {
  const model = new RNN({ cell, inputSize: V, hiddenSize: H, outputSize: V, numLayers: 2, seed: 11, bidirectional, ...(features ? FEATURES : {}), ...(features && cell === "lstm" ? { projSize: 29 } : {}) });
  const trainer = new Trainer(model, { optimizer: "adam", learningRate: 0.01, clipNorm: 1 });
  const losses: number[] = [], norms: number[] = [], stepNorms: number[] = [];
  let seed = 5;
  for (let s = 0; s < STEPS; s++) {
    const inputs: number[] = [], targets: number[] = [];
    for (let i = 0; i < B * T; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      inputs.push(seed % V);
      targets.push((seed >> 8) % V);
    }
    const lengths = withLengths ? Array.from({ length: B }, (_, b) => 1 + ((5 * b + s) % T)) : undefined;
    const r = trainer.step({ batchSize: B, seqLen: T, inputs, targets, lengths });
    losses.push(r.loss);
    norms.push(r.gradNorm);
    stepNorms.push(...model.stepGradientNorms());
  }
  const weights = model.parameters().map((p) => new Uint32Array(Float32Array.from(p.data).buffer));
  model.dispose();
  return { losses, norms, stepNorms, weights };
}

let single: Map<string, Run>;
const BIDIRECTIONAL = [["rnn", 30], ["lstm", 30], ["gru", 30], ["lstm", 1]] as const;

beforeAll(async () => {
  await shutdown();
  single = new Map();
  for (const cell of ["rnn", "lstm", "gru"] as const) for (const B of [1, 30]) single.set(`${cell} ${B}`, trainRun(cell, B));
  for (const cell of ["lstm", "gru"] as const) single.set(`${cell} features`, trainRun(cell, 30, true));
  for (const [cell, B] of BIDIRECTIONAL) single.set(`${cell} ${B} bidirectional`, trainRun(cell, B, false, true));
  single.set("gru 30 bidirectional lengths", trainRun("gru", 30, false, true, true));
  expect(await init({ threads: 4 })).toBe(4);
});

afterAll(async () => {
  await shutdown();
});

describe.each(["rnn", "lstm", "gru"] as const)("%s: bit-identical at 1, 2, 3 and 4 threads", (cell) => {
  it.each([1, 30])("B = %i", async (B) => {
    const reference = single.get(`${cell} ${B}`)!;
    for (const threads of [1, 2, 3, 4]) {
      expect(await init({ threads })).toBe(threads);
      const pooled = [`${cell}Forward`, `${cell}Backward`] as const;
      const before = pooled.map((k) => threadedTasks(k));
      const run = trainRun(cell, B);
      if (threads > 1 && B > 1) {
        pooled.forEach((k, i) => expect(threadedTasks(k), `the pool ran ${k}`).toBeGreaterThan(before[i]));
      }
      expect(run.losses, `${threads} threads: losses`).toEqual(reference.losses);
      expect(run.norms, `${threads} threads: gradient norms`).toEqual(reference.norms);
      expect(run.stepNorms, `${threads} threads: ‖∂E/∂h_t‖`).toEqual(reference.stepNorms);
      run.weights.forEach((w, i) => expect(w, `${threads} threads: tensor ${i}`).toEqual(reference.weights[i]));
    }
  });
});

describe("B = 1 at large H: each step's rows shared behind barriers", () => {
  it.each(["rnn", "lstm", "gru"] as const)(`%s, H = ${SHARED_STEP_HIDDEN + 6} (8-row groups and 4-column chunks with tails): bit-identical at 1, 2 and 3 threads, and the pool ran`, async (cell) => {
    const run = () => {
      const model = new RNN({ cell, inputSize: 11, hiddenSize: SHARED_STEP_HIDDEN + 6, outputSize: 11, seed: 4 });
      const trainer = new Trainer(model, { learningRate: 0.05 });
      const losses: number[] = [];
      for (let s = 0; s < 3; s++) {
        const inputs = Array.from({ length: 5 }, (_, t) => (3 * t + s) % 11);
        losses.push(trainer.step({ batchSize: 1, seqLen: 5, inputs, targets: inputs.map((v) => (v + 1) % 11) }).loss);
      }
      const out = { losses, norms: [...model.stepGradientNorms()], state: [...model.initialStateGradient()], weights: model.parameters().map((p) => Float32Array.from(p.data)) };
      model.dispose();
      return out;
    };
    /** Index of the first element whose bits differ, or −1 (a diff of a million floats would take vitest minutes to print). */
    const firstDifference = (a: Float32Array, b: Float32Array) => {
      if (a.length !== b.length) return 0;
      const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
      return x.findIndex((v, i) => v !== y[i]);
    };
    expect(await init({ threads: 1 })).toBe(1);
    const one = run();
    for (const threads of [2, 3]) {
      expect(await init({ threads })).toBe(threads);
      const before = [threadedTasks(`${cell}Forward`), threadedTasks(`${cell}Backward`)];
      const many = run();
      expect(threadedTasks(`${cell}Forward`), "the pool ran the forward steps").toBeGreaterThan(before[0]);
      expect(threadedTasks(`${cell}Backward`), "the pool ran the backward steps").toBeGreaterThan(before[1]);
      expect(many.losses, `${threads} threads: losses`).toEqual(one.losses);
      expect(many.norms, `${threads} threads: ‖∂E/∂h_t‖`).toEqual(one.norms);
      expect(many.state, `${threads} threads: ∂E/∂h0`).toEqual(one.state);
      many.weights.forEach((w, i) => expect(firstDifference(w, one.weights[i]), `${threads} threads: tensor ${i}, first element that differs`).toBe(-1));
    }
  });
});

describe.each(["lstm", "gru"] as const)("%s with an embedding and dropout between 3 layers: bit-identical at 1, 2 and 4 threads", (cell) => {
  it("B = 30", async () => {
    const reference = single.get(`${cell} features`)!;
    for (const threads of [1, 2, 4]) {
      expect(await init({ threads })).toBe(threads);
      const run = trainRun(cell, 30, true);
      expect(run.losses, `${threads} threads: losses`).toEqual(reference.losses);
      expect(run.stepNorms, `${threads} threads: ‖∂E/∂h_t‖`).toEqual(reference.stepNorms);
      run.weights.forEach((w, i) => expect(w, `${threads} threads: tensor ${i}`).toEqual(reference.weights[i]));
    }
  });
});

describe.each(BIDIRECTIONAL)("bidirectional %s, 2 layers: bit-identical at 1, 2 and 4 threads", (cell, B) => {
  it(`B = ${B}`, async () => {
    const reference = single.get(`${cell} ${B} bidirectional`)!;
    for (const threads of [1, 2, 4]) {
      expect(await init({ threads })).toBe(threads);
      const before = threadedTasks(`${cell}Forward`);
      const run = trainRun(cell, B, false, true);
      if (threads > 1 && B > 1) expect(threadedTasks(`${cell}Forward`), "the pool ran the forward kernels").toBeGreaterThan(before);
      expect(run.losses, `${threads} threads: losses`).toEqual(reference.losses);
      expect(run.norms, `${threads} threads: gradient norms`).toEqual(reference.norms);
      expect(run.stepNorms, `${threads} threads: ‖∂E/∂h_t‖`).toEqual(reference.stepNorms);
      run.weights.forEach((w, i) => expect(w, `${threads} threads: tensor ${i}`).toEqual(reference.weights[i]));
    }
  });
});

describe("bidirectional gru with variable lengths", () => {
  it("B = 30: bit-identical at 1, 2 and 4 threads", async () => {
    const reference = single.get("gru 30 bidirectional lengths")!;
    for (const threads of [1, 2, 4]) {
      expect(await init({ threads })).toBe(threads);
      const run = trainRun("gru", 30, false, true, true);
      expect(run.losses, `${threads} threads: losses`).toEqual(reference.losses);
      expect(run.stepNorms, `${threads} threads: ‖∂E/∂h_t‖`).toEqual(reference.stepNorms);
      run.weights.forEach((w, i) => expect(w, `${threads} threads: tensor ${i}`).toEqual(reference.weights[i]));
    }
  });
});

describe("kernel scratch of the pool's threads (assembly/ops/scratch.ts)", () => {
  /** Bytes one thread after the first packs into: a KC × NC = 80 × 128 panel of B, a KC × MR = 80 × 4 block of A and an MR × 8 tile, in f32. */
  const THREAD_SCRATCH = 4 * (80 * 128 + 80 * 4 + 4 * 8);
  const oneStep = (B: number, hiddenSize: number) => {
    const model = new RNN({ inputSize: V, hiddenSize, outputSize: V, seed: 3 });
    const inputs = Array.from({ length: B * T }, (_, i) => (7 * i) % V);
    new Trainer(model, { learningRate: 0.1 }).step({ batchSize: B, seqLen: T, inputs, targets: inputs.map((v) => (v + 1) % V) });
    const bytes = model.memoryBytes;
    model.dispose();
    return bytes;
  };

  it("a model pays for the threads its calls run on, not for the most a pool may have", async () => {
    expect(await init({ threads: 1 })).toBe(1);
    const alone = oneStep(32, 256);
    for (const threads of [2, 3, 4]) {
      expect(await init({ threads })).toBe(threads);
      expect(oneStep(32, 256) - alone, `${threads} threads`).toBe((threads - 1) * THREAD_SCRATCH);
    }
    // a model whose calls all stay on one thread (below the pool's thresholds) pays nothing
    expect(await init({ threads: 1 })).toBe(1);
    const small = oneStep(1, 16);
    expect(await init({ threads: 4 })).toBe(4);
    expect(oneStep(1, 16)).toBe(small);
  });

  it("the scratch moves above the model's data when the data grows: windows of 12, 40 and 12 steps train bit-identically at 1 and 2 threads", async () => {
    const run = () => {
      const model = new RNN({ cell: "gru", inputSize: V, hiddenSize: 96, outputSize: V, seed: 8 });
      const trainer = new Trainer(model, { optimizer: "adam", learningRate: 0.01 });
      const losses: number[] = [];
      for (const seqLen of [12, 40, 12]) {
        const inputs = Array.from({ length: 32 * seqLen }, (_, i) => (5 * i + seqLen) % V);
        losses.push(trainer.step({ batchSize: 32, seqLen, inputs, targets: inputs.map((v) => (v + 2) % V) }).loss);
      }
      const out = { losses, weights: model.parameters().map((p) => new Uint32Array(Float32Array.from(p.data).buffer)) };
      model.dispose();
      return out;
    };
    expect(await init({ threads: 1 })).toBe(1);
    const one = run();
    expect(await init({ threads: 2 })).toBe(2);
    const before = threadedTasks("gruBackward");
    expect(run()).toEqual(one);
    expect(threadedTasks("gruBackward"), "the pool ran the backward passes").toBeGreaterThan(before);
  });
});

describe("losses on the pool: the sum in blocks of rows fixed by N alone", () => {
  /** Runs `call` on a fresh backend of the module (threaded when `binding` is given) over `data`; returns what it returned and the memory after. */
  const runOn = (module: WebAssembly.Module, binding: ThreadBinding | undefined, data: Float32Array, call: (b: WasmBackend, base: number) => number) => {
    const backend = new WasmBackend(module, 65536, binding);
    const base = Math.ceil(backend.heapBase / 16) * 16;
    backend.reserve(base + data.byteLength);
    new Float32Array(backend.buffer, base, data.length).set(data);
    const value = call(backend, base);
    const after = new Uint32Array(new Float32Array(backend.buffer, base, data.length).slice().buffer);
    backend.dispose();
    return { value, after };
  };
  const single = () => wasmModuleFor("wasm-release")!;

  it("crossEntropy over 1,000 rows (16 blocks, the last ragged) of 53 logits, some rows without a target: the single-threaded build's loss and gradient, bit for bit, on 2 and 3 threads", async () => {
    const N = 1000, O = 53;
    const data = new Float32Array(N * O + N);
    for (let i = 0; i < N * O; i++) data[i] = Math.sin(i * 0.37) * 4;
    const ids = new Int32Array(data.buffer, N * O * 4, N);
    for (let n = 0; n < N; n++) ids[n] = n % 7 === 3 ? -100 : (n * 11) % O;
    const call = (b: WasmBackend, base: number) => b.crossEntropy(base, base, base + N * O * 4, N, O);
    const reference = runOn(single(), undefined, data, call);
    for (const threads of [2, 3]) {
      expect(await init({ threads })).toBe(threads);
      const before = threadedTasks("crossEntropy");
      const pooled = runOn(threadBinding()!.module, threadBinding(), data, call);
      expect(threadedTasks("crossEntropy"), "the pool ran it").toBeGreaterThan(before);
      expect(pooled.value, `${threads} threads: loss`).toBe(reference.value);
      expect(pooled.after, `${threads} threads: gradient`).toEqual(reference.after);
    }
    // against the sum done in f64 row by row: the blocks change only its last bits
    let exact = 0;
    for (let n = 0; n < N; n++) {
      if (ids[n] < 0) continue;
      const row = Array.from(data.subarray(n * O, (n + 1) * O)), m = Math.max(...row);
      exact += Math.log(row.reduce((s, z) => s + Math.exp(z - m), 0)) + m - row[ids[n]];
    }
    expect(Math.abs(reference.value - exact) / exact).toBeLessThan(1e-6);
  });

  it("mse over 3,000 rows of 50 values, some rows weighted 0: the single-threaded build's loss and gradient, bit for bit, on 2 threads", async () => {
    const N = 3000, O = 50;
    const data = new Float32Array(3 * N * O + N);
    for (let i = 0; i < 2 * N * O; i++) data[i] = Math.cos(i * 0.13);
    for (let n = 0; n < N; n++) data[2 * N * O + n] = n % 5 === 0 ? 0 : 1 + (n % 3) * 0.5;
    const call = (b: WasmBackend, base: number) => b.mse(base + (2 * N * O + N) * 4, base, base + N * O * 4, base + 2 * N * O * 4, N, O);
    const reference = runOn(single(), undefined, data, call);
    expect(await init({ threads: 2 })).toBe(2);
    const before = threadedTasks("mse");
    const pooled = runOn(threadBinding()!.module, threadBinding(), data, call);
    expect(threadedTasks("mse"), "the pool ran it").toBeGreaterThan(before);
    expect(pooled.value).toBe(reference.value);
    expect(pooled.after).toEqual(reference.after);
  });
});

describe("a memory with no room for the other threads' scratch", () => {
  it("runs the call on the caller's thread, with the pool's result", async () => {
    expect(await init({ threads: 2 })).toBe(2);
    const real = threadBinding()!;
    const M = 64, N = 64, K = 256; // 2²⁰ multiply–adds: a call for the pool
    const product = (binding: ThreadBinding, fillMemory: boolean) => {
      const page = 65536, at = (n: number) => Math.ceil(n / 16) * 16;
      const probe = new WasmBackend(binding.module, page, binding), base = at(probe.heapBase);
      probe.dispose();
      const A = base, B = A + 4 * M * K, C = B + 4 * N * K, end = C + 4 * M * N;
      const backend = new WasmBackend(binding.module, end, binding);
      backend.reserve(end);
      const f = new Float32Array(backend.buffer);
      for (let i = 0; i < M * K + N * K; i++) f[A / 4 + i] = Math.sin(i) * 0.5;
      if (fillMemory) backend.reserve(backend.buffer.byteLength); // the host keeps every byte: scratch would need a page more
      const before = threadedTasks("matmulNT");
      backend.matmulNT(C, A, B, M, N, K, 0);
      const pooled = threadedTasks("matmulNT") > before;
      const out = Array.from(new Float32Array(backend.buffer, C, M * N));
      backend.dispose();
      return { out, pooled };
    };
    const roomy = product(real, false);
    expect(roomy.pooled, "with room, the pool ran it").toBe(true);
    // a memory that cannot grow past its pages: the call must not fail
    const tight: ThreadBinding = { ...real, memory: (initial) => new WebAssembly.Memory({ initial, maximum: initial, shared: true } as WebAssembly.MemoryDescriptor) };
    const cramped = product(tight, true);
    expect(cramped.pooled, "without room, the caller's thread ran it").toBe(false);
    expect(cramped.out).toEqual(roomy.out);
  });
});

describe("init({ threads })", () => {
  it("rejects a count that is not an integer ≥ 1 or \"auto\", naming the option", async () => {
    for (const bad of [0, -1, 1.5, NaN, "4", "all"]) {
      await expect(init({ threads: bad as never })).rejects.toThrow(/threads must be an integer ≥ 1 or "auto"/);
    }
  });
  it("\"auto\" uses the host's cores (at most 16) and returns the count", async () => {
    const { availableParallelism } = await import("node:os");
    expect(await init({ threads: "auto" })).toBe(Math.min(16, availableParallelism()));
  });
});
