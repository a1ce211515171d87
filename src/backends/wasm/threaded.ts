/**
 * The threaded build's runtime (part of the threads entry, src/threads.ts): the pool, the number of
 * threads per call, and the binding that gives each new backend a shared memory and kernels that
 * run on the pool. `init({ threads })` and `shutdown()` (src/backends/wasm/loader.ts) call `use` and
 * `stop`; `createBackend` asks `binding()` for every new wasm backend.
 */
import type { KernelName, Kernels } from "../../backend.js";
import type { ThreadBinding } from "./index.js";
import { kernelNames } from "./index.js";
import { ThreadPool, threadsSupported } from "./pool.js";
import { MAX_THREADS, decodeEmbedded } from "./loader.js";

/**
 * The kernels that run on every thread of a call, each with the number of blocks a call splits into
 * (0 or 1: the caller's thread alone). A call must be worth waking the pool: about 2²⁰
 * multiply–adds, 2¹⁵ logits of a softmax cross-entropy (2¹⁷ values of a squared error), or 2¹⁸
 * parameters for an optimizer step (at 2¹⁸ and 2¹⁵ the full bench of 2026-12-04
 * lost with 2 threads at B = 1: W1 0.55×, W2 0.80×, where only these small calls were shared). Cell
 * kernels split their batch in blocks of 4 sequences (B ≥ 8 to gain). Arguments are read by position
 * (src/backend.ts).
 */
const WORK = 1 << 20, PARAMETERS = 1 << 18;
/**
 * From this many hidden units a B = 1 recurrence shares each step's rows behind barriers (three a
 * step for the vanilla cell, four for the LSTM and the GRU). Measured on 2 vCPUs
 * (bench/thread-scaling.ts, W2 and W4 at other H; the GRU like W4; medians of 7–11 rounds), 2 threads ÷ 1:
 *   vanilla: 0.85× at H = 256, 0.84× at 384, 1.46× at 512 (0.94–1.02× in runs where the vCPUs
 *            passed cache lines slowly: the serial kernels ran 2–4× slower too), 1.17–1.52× at 768–1024;
 *   LSTM:    0.78× at H = 128, 0.79× at 256, 0.90× at 384, 1.39× at 512;
 *   GRU:     0.90× at H = 384, 1.64× at 512, 1.58× at 768.
 */
export const SHARED_STEP_HIDDEN = 512;
/** Blocks of rows a loss kernel sums separately (assembly/loss.ts): 64 rows, or N / 4,096 when more. */
const lossBlocks = (N: number) => Math.ceil(N / Math.max(64, Math.ceil(N / 4096)));
const parallelKernels: { [K in KernelName]?: (a: ArrayLike<number>) => number } = {
  matmulNT: (a) => (a[3] * a[4] * a[5] >= WORK ? a[3] >> 2 : 0),
  matmulNN: (a) => (a[3] * a[4] * a[5] >= WORK ? a[3] >> 2 : 0),
  matmulTN: (a) => (a[3] * a[4] * a[5] >= WORK ? a[3] >> 2 : 0),
  packRowGroups: (a) => (a[2] * a[3] >= PARAMETERS ? a[2] >> 3 : 0),
  fill: (a) => (a[1] >= PARAMETERS ? a[1] >> 12 : 0),
  linearForward: (a) => (a[4] * a[5] * a[6] >= WORK ? a[4] >> 2 : 0),
  linearBackward: (a) => (a[6] * a[7] * a[8] >= WORK ? a[6] >> 2 : 0),
  rnnForward: (a) => (a[9] === 1 ? (a[13] !== 0 && a[11] >= SHARED_STEP_HIDDEN ? a[11] >> 3 : 0) : a[8] * a[9] * a[11] * a[11] >= WORK ? a[9] >> 2 : 0),
  rnnBackward: (a) => (a[15] === 1 ? (a[19] !== 0 && a[17] >= SHARED_STEP_HIDDEN ? a[17] >> 3 : 0) : a[14] * a[15] * a[17] * a[17] >= WORK ? a[15] >> 2 : 0),
  lstmForward: (a) => (a[13] === 1 ? (a[16] !== 0 && a[15] >= SHARED_STEP_HIDDEN ? a[15] >> 1 : 0) : a[12] * a[13] * a[15] * a[15] >= WORK ? a[13] >> 2 : 0),
  lstmBackward: (a) => (a[21] === 1 ? (a[24] !== 0 && a[23] >= SHARED_STEP_HIDDEN ? a[23] >> 3 : 0) : a[20] * a[21] * a[23] * a[23] >= WORK ? a[21] >> 2 : 0),
  gruForward: (a) => (a[11] === 1 ? (a[14] !== 0 && a[13] >= SHARED_STEP_HIDDEN ? a[13] >> 1 : 0) : a[10] * a[11] * a[13] * a[13] >= WORK ? a[11] >> 2 : 0),
  gruBackward: (a) => (a[19] === 1 ? (a[22] !== 0 && a[21] >= SHARED_STEP_HIDDEN ? a[21] >> 3 : 0) : a[18] * a[19] * a[21] * a[21] >= WORK ? a[19] >> 2 : 0),
  crossEntropy: (a) => (a[3] * a[4] >= 1 << 15 ? lossBlocks(a[3]) : 0),
  mse: (a) => (a[4] * a[5] >= 1 << 17 ? lossBlocks(a[4]) : 0),
  sgdStep: (a) => (a[3] >= PARAMETERS ? a[3] >> 12 : 0),
  adagradStep: (a) => (a[3] >= PARAMETERS ? a[3] >> 12 : 0),
  rmspropStep: (a) => (a[5] >= PARAMETERS ? a[5] >> 12 : 0),
  adamStep: (a) => (a[5] >= PARAMETERS ? a[5] >> 12 : 0),
  adamwStep: (a) => (a[5] >= PARAMETERS ? a[5] >> 12 : 0),
};

type SetThread = (index: number, count: number, canBlock: number, scratch: number) => void;
type Kernel = (...a: number[]) => number | void;

let module: WebAssembly.Module | undefined;
/** Which threaded module `module` is: the plain build or the relaxed-SIMD one. */
let moduleIsRelaxed = false;
let pool: ThreadPool | undefined;
/** Threads per call now (1 … pool.size): read at every call, so init({ threads }) also changes models made before. */
let count = 1;

/**
 * A parallel kernel: on the caller's thread alone when the call is small, one thread is asked for or
 * the memory has no room for the other threads' scratch, else as a task of `owner` (the pool the
 * backend was attached to), with scratch for the other threads from `scratchFor`. The arguments go
 * into a reused array; the kernel on this thread is called with them spread.
 */
function parallelKernel(f: Kernel, index: number, blocks: (a: ArrayLike<number>) => number, owner: ThreadPool, id: number,
  setThread: SetThread, scratchFor: (threads: number) => number): Kernel {
  const arity = f.length;
  const args: number[] = new Array<number>(arity).fill(0);
  const self = (): number | void => f(...args);
  return function (this: unknown) {
    for (let i = 0; i < arity; i++) args[i] = arguments[i] as number;
    const threads = owner === pool ? Math.min(count, blocks(args)) : 1;
    if (threads <= 1 || owner.closed) return self();
    const scratch = scratchFor(threads);
    return scratch < 0 ? self() : owner.run(id, index, args, threads, self, setThread, scratch);
  };
}

async function hostCores(): Promise<number> {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (typeof cores === "number" && cores >= 1) return cores;
  try {
    const os = "node:os"; // in a variable: bundlers for other platforms leave it alone
    return (await import(/* @vite-ignore */ os) as typeof import("node:os")).availableParallelism();
  } catch {
    return 1;
  }
}

/**
 * Starts or resizes the pool for `wanted` threads per call ("auto": the host's cores), at most
 * MAX_THREADS, or keeps it as it is (undefined); returns the count in use (1 where the host has no
 * shared memory). New backends get the plain threaded module, or the relaxed-SIMD one when given.
 */
export async function use(wanted: number | "auto" | undefined, plain: () => Uint8Array<ArrayBuffer>, relaxed: string | undefined): Promise<number> {
  if (wanted !== undefined) {
    const threads = Math.min(wanted === "auto" ? await hostCores() : wanted, MAX_THREADS);
    if (threads <= 1 || !threadsSupported()) {
      count = 1;
    } else {
      if (pool === undefined || pool.closed || pool.size < threads) {
        const started = await ThreadPool.start(threads, kernelNames);
        pool?.close(); // models made on the old pool keep working, on one thread
        pool = started;
      }
      count = threads;
    }
  }
  if (pool === undefined || pool.closed) return 1;
  // a running pool serves new backends (on one thread while count is 1): with the module asked for
  if (module === undefined || moduleIsRelaxed !== (relaxed !== undefined)) {
    module = await WebAssembly.compile(relaxed === undefined ? plain() : decodeEmbedded(relaxed));
    moduleIsRelaxed = relaxed !== undefined;
  }
  return count;
}

export function stop(): void {
  pool?.close();
  pool = undefined;
  count = 1;
}

/** The binding for a new backend while a pool runs, else undefined (the single-threaded build). */
export function binding(): ThreadBinding | undefined {
  const owner = pool;
  if (owner === undefined || owner.closed || module === undefined) return undefined;
  return {
    module,
    memory: (initial) => new WebAssembly.Memory({ initial, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor),
    bind(kernels: Kernels, exports: WebAssembly.Exports, memory: WebAssembly.Memory, scratchFor: (threads: number) => number) {
      const id = owner.attach(module!, memory);
      const setThread = exports.setThread as SetThread;
      const table = kernels as unknown as Record<string, Kernel>;
      kernelNames.forEach((name, index) => {
        const blocks = parallelKernels[name];
        if (blocks !== undefined) table[name] = parallelKernel(table[name], index, blocks, owner, id, setThread, scratchFor);
      });
      return () => owner.detach(id);
    },
  };
}

/** Calls of a kernel that ran on several threads since the pool started (for tests that must know the pool was used). */
export function tasks(kernel: KernelName): number {
  return pool?.tasks[kernelNames.indexOf(kernel)] ?? 0;
}
