import { BpttError } from "../../errors.js";
import { threadWorkerSource } from "./thread-worker.js";

/**
 * The thread pool of the threaded WebAssembly build: `size − 1` workers, each holding an instance of
 * the threaded module for every threaded backend (model), all on that backend's shared memory. A
 * kernel call is one task: the caller writes the kernel and its arguments into the control words,
 * wakes the workers, runs the kernel itself as thread 0, and waits until the others are done. Inside
 * the kernel each thread computes its own share (assembly/ops/threads.ts), so results do not depend
 * on the number of threads. Layout of the control words: src/backends/wasm/thread-worker.ts.
 */
const GENERATION = 0, DONE = 1, BACKEND = 2, KERNEL = 3, COUNT = 4, ARGC = 5, ACKS = 6, FAILED = 7, TASK = 8, PAGES = 9, SCRATCH = 10, ARGS_F64 = 8;
const MAX_ARGS = 32;
/** After the arguments: the first thread's error message, when a kernel threw on a worker (UTF-16, at most REASON_CHARS). */
const REASON_BYTE = 8 * (ARGS_F64 + MAX_ARGS), REASON_CHARS = 160;
/** Iterations of a spin before a blocking wait, where the thread may block. */
const SPINS = 4000;
/**
 * How long the caller polls for the workers to finish their shares before it sleeps: they finish about
 * when it does, and a wake from Atomics.wait costs up to a millisecond on virtual cores.
 */
const JOIN_SPIN_MS = 50;

interface PoolWorker {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

/** Resolves on the worker's first message ("ready"), rejects on its error. */
function firstMessage(worker: PoolWorker): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = worker as unknown as { once?: (e: string, f: (x: unknown) => void) => void; addEventListener?: (e: string, f: (x: unknown) => void, o?: object) => void };
    if (typeof w.once === "function") {
      w.once("message", () => resolve());
      w.once("error", reject);
    } else {
      w.addEventListener!("message", () => resolve(), { once: true });
      w.addEventListener!("error", (e) => reject(new Error(`a bptt thread failed to start: ${String((e as { message?: string }).message ?? e)}`)), { once: true });
    }
  });
}

/** Whether this host can run the threaded build: shared memory, atomics, and (in pages) cross-origin isolation. */
export function threadsSupported(): boolean {
  if (typeof SharedArrayBuffer === "undefined" || typeof Atomics === "undefined") return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
  } catch {
    return false;
  }
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string" || typeof Worker === "function";
}

/** Whether this thread may block in Atomics.wait (a browser's main thread may not). */
function mayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

async function startWorker(): Promise<PoolWorker> {
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  if (typeof node === "string") {
    // a specifier in a variable: bundlers for other platforms leave it alone
    const workerThreads = "node:worker_threads";
    const { Worker: NodeWorker } = await import(/* @vite-ignore */ workerThreads) as typeof import("node:worker_threads");
    const worker = new NodeWorker(threadWorkerSource("node"), { eval: true });
    worker.unref(); // a pool never keeps a Node process alive
    return worker;
  }
  const url = URL.createObjectURL(new Blob([threadWorkerSource("web")], { type: "text/javascript" }));
  const worker = new Worker(url);
  (worker as { unref?: () => void }).unref?.();
  return worker;
}

export class ThreadPool {
  /** Threads in a call: the caller and its workers. */
  readonly size: number;
  readonly #workers: PoolWorker[];
  readonly #control: Int32Array;
  readonly #args: Float64Array;
  readonly #canBlock: boolean;
  /** Attach messages sent so far (every worker acknowledges each). */
  #attached = 0;
  #nextId = 1;
  /** Each attached backend's memory: a task says its size, so that threads see a growth the caller made. */
  readonly #memories = new Map<number, WebAssembly.Memory>();
  #closed = false;
  /** Calls that ran on more than one thread, per kernel index (for tests that must know the pool was used). */
  readonly tasks: number[] = [];

  private constructor(workers: PoolWorker[], control: SharedArrayBuffer) {
    this.#workers = workers;
    this.size = workers.length + 1;
    this.#control = new Int32Array(control);
    this.#args = new Float64Array(control);
    this.#canBlock = mayBlock();
  }

  /** Starts `threads − 1` workers (threads ≥ 2). */
  static async start(threads: number, kernelNames: readonly string[]): Promise<ThreadPool> {
    const control = new SharedArrayBuffer(REASON_BYTE + 2 * REASON_CHARS); // a multiple of 8: the arguments are float64
    const workers = await Promise.all(Array.from({ length: threads - 1 }, startWorker));
    await Promise.all(workers.map((w, index) => {
      const ready = firstMessage(w);
      w.postMessage({ type: "start", control, index, names: kernelNames });
      return ready;
    }));
    return new ThreadPool(workers, control);
  }

  /** Makes every worker instantiate `module` on `memory`; returns the backend's id for `run`. */
  attach(module: WebAssembly.Module, memory: WebAssembly.Memory): number {
    const id = this.#nextId++;
    this.#memories.set(id, memory);
    for (const w of this.#workers) w.postMessage({ type: "attach", id, module, memory });
    this.#attached += this.#workers.length;
    return id;
  }

  detach(id: number): void {
    this.#memories.delete(id);
    if (this.#closed) return;
    for (const w of this.#workers) w.postMessage({ type: "detach", id });
  }

  /** Waits (once per attach) until every worker has its instance; workers in their hot loop are sent back to their event loop. */
  #ready(): void {
    const c = this.#control;
    if (Atomics.load(c, ACKS) >= this.#attached) return;
    const generation = this.#begin();
    c[KERNEL] = -1;
    c[COUNT] = 0;
    this.#publish(generation);
    for (let spins = 0; ; spins++) {
      const acks = Atomics.load(c, ACKS);
      if (acks >= this.#attached) return;
      if (this.#canBlock && spins > SPINS) Atomics.wait(c, ACKS, acks, 10);
    }
  }

  /**
   * A task's words are written between #begin (TASK = −1) and #publish (TASK = the new generation,
   * then the generation itself, and the threads woken): see thread-worker.ts.
   */
  #begin(): number {
    Atomics.store(this.#control, TASK, -1);
    return (Atomics.load(this.#control, GENERATION) + 1) | 0;
  }

  #publish(generation: number): void {
    Atomics.store(this.#control, TASK, generation);
    Atomics.store(this.#control, GENERATION, generation);
    Atomics.notify(this.#control, GENERATION);
  }

  /**
   * Runs kernel `kernel` of backend `id` on `threads` threads (2 … size): the workers with `args`,
   * this thread through `self` (its own instance's export, after setThread(0, threads)). `scratch`:
   * the byte where threads 1 … threads − 1 find their scratch regions (assembly/ops/scratch.ts).
   */
  run(id: number, kernel: number, args: ArrayLike<number>, threads: number, self: () => number | void,
    setThread: (index: number, count: number, canBlock: number, scratch: number) => void, scratch: number): number | void {
    if (this.#closed) throw new BpttError("DISPOSED", "the thread pool was shut down");
    this.#ready();
    const c = this.#control;
    const generation = this.#begin();
    for (let i = 0; i < args.length; i++) this.#args[ARGS_F64 + i] = args[i];
    c[BACKEND] = id;
    c[PAGES] = this.#memories.get(id)!.buffer.byteLength >>> 16;
    c[SCRATCH] = scratch | 0;
    c[KERNEL] = kernel;
    c[COUNT] = threads;
    c[ARGC] = args.length;
    c[FAILED] = 0;
    Atomics.store(c, DONE, 0);
    this.#publish(generation);
    this.tasks[kernel] = (this.tasks[kernel] ?? 0) + 1;
    const canBlock = this.#canBlock ? 1 : 0;
    setThread(0, threads, canBlock, scratch);
    let result: number | void;
    try {
      result = self();
    } finally {
      setThread(0, 1, canBlock, 0);
      const others = threads - 1;
      let sleepAfter = 0;
      for (let polls = 1; ; polls++) {
        const done = Atomics.load(c, DONE);
        if (done >= others) break;
        if (!this.#canBlock || (polls & 1023) !== 0) continue;
        const now = performance.now();
        if (sleepAfter === 0) sleepAfter = now + JOIN_SPIN_MS;
        else if (now > sleepAfter) Atomics.wait(c, DONE, done, 10);
      }
    }
    if (c[FAILED] !== 0) {
      const chars = new Uint16Array(c.buffer, REASON_BYTE, REASON_CHARS);
      const end = chars.indexOf(0);
      throw new BpttError("WASM_ABORT", `a kernel failed on a worker thread: ${String.fromCharCode(...chars.subarray(0, end < 0 ? REASON_CHARS : end))}`);
    }
    return result;
  }

  /** Ends the workers; later `run` calls throw (backends then run on one thread: see WasmBackend). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#workers) void w.terminate();
  }

  get closed(): boolean {
    return this.#closed;
  }
}
