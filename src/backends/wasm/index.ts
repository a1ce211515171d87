import type { Backend, KernelName, Kernels } from "../../backend.js";
import { BpttError } from "../../errors.js";

const PAGE_BYTES = 65536;

/** Every kernel the module must export (assembly/index.ts), in the order of the `Kernels` contract. */
export const kernelNames = [
  "matmulNT", "matmulNN", "matmulTN", "packRowGroups",
  "fill", "copy", "scale", "clipByValue", "sumSquares",
  "linearForward", "linearBackward",
  "embeddingForward", "embeddingBackward", "dropoutForward", "dropoutBackward", "copySteps",
  "crossEntropy", "mse", "softmax",
  "rnnForward", "rnnBackward",
  "lstmForward", "lstmBackward", "lstmProjForward", "lstmProjBackward",
  "gruForward", "gruBackward",
  "sgdStep", "adagradStep", "rmspropStep", "adamStep", "adamwStep",
] as const satisfies readonly KernelName[];

// the compiler checks that the list names every kernel of the contract
type Unlisted = Exclude<KernelName, (typeof kernelNames)[number]>;
const everyKernelListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyKernelListed;

/** The module's exports as the `Kernels` contract: the raw Wasm functions, no wrappers. */
function bindKernels(exports: WebAssembly.Exports): Kernels {
  return Object.fromEntries(kernelNames.map((name) => {
    const f = exports[name];
    if (typeof f !== "function") {
      throw new BpttError("WASM_UNAVAILABLE", `kernel ${name} is missing from the WebAssembly module (wasm backend); rebuild it with npm run build:wasm`);
    }
    return [name, f];
  })) as unknown as Kernels;
}

/** Kernels that throw DISPOSED, swapped in by `dispose()`. */
const disposedKernels = Object.fromEntries(kernelNames.map((name) => [name, () => {
  throw new BpttError("DISPOSED", `${name}: the wasm backend was disposed`);
}])) as unknown as Kernels;

/** An AssemblyScript string in memory: UTF-16LE code units, byte length in the 4 bytes before it. */
function readString(buffer: ArrayBuffer, ptr: number): string {
  ptr >>>= 0;
  if (ptr < 4 || ptr > buffer.byteLength) return "<unknown>";
  const view = new DataView(buffer);
  const bytes = view.getUint32(ptr - 4, true);
  const end = Math.min(ptr + bytes, buffer.byteLength);
  let s = "";
  for (let p = ptr; p + 1 < end; p += 2) s += String.fromCharCode(view.getUint16(p, true));
  return s;
}

/**
 * How a backend of the threaded build meets its pool (src/backends/wasm/threaded.ts, in the threads
 * entry): it makes the shared memory, and binds the instance's kernels to the pool, replacing the
 * parallel ones in `kernels` with calls that run on every thread; it returns how to detach.
 */
export interface ThreadBinding {
  readonly module: WebAssembly.Module;
  memory(initialPages: number): WebAssembly.Memory;
  /** `scratchFor(threads)`: where the call's other threads put their scratch, or −1 when the memory cannot hold it (WasmBackend#poolScratch). */
  bind(kernels: Kernels, exports: WebAssembly.Exports, memory: WebAssembly.Memory, scratchFor: (threads: number) => number): () => void;
}

export interface WasmBackend extends Kernels {}

/**
 * The WebAssembly backend: one instance of the kernel module with its own memory, so two
 * backends (two models) never share state. The kernels are the module's exports, bound once;
 * every call goes straight to Wasm. Memory grows only from here (`reserve`), never inside a kernel.
 *
 * Given a ThreadContext, the module is the threaded build (assembly/ops/threads.ts): the memory is
 * shared, every pool worker holds an instance on it, and the parallel kernels run on the pool.
 */
export class WasmBackend implements Backend {
  readonly name = "wasm" as const;
  readonly readsPackedWeights = true;
  /** First byte above the module's static data, 16-byte aligned. */
  readonly heapBase: number;
  #memory: WebAssembly.Memory | undefined;
  #detach: (() => void) | undefined;
  /** The most bytes `reserve` was asked for: the host keeps nothing above it. */
  #hostBytes = 0;
  /** Bytes of scratch per thread after the first, from the module. */
  #threadScratchBytes = 0;
  #poolScratchBytes = 0;

  /**
   * @param module the compiled kernel module (`defaultModule()` or one given to `init`), or the threaded build with `threads`
   * @param initialBytes bytes to make addressable at once (at least the module's static data)
   * @param threads the pool's binding, for the threaded build (then `module` is ignored)
   */
  constructor(module: WebAssembly.Module, initialBytes = PAGE_BYTES, threads?: ThreadBinding) {
    const initial = Math.max(1, Math.ceil(initialBytes / PAGE_BYTES));
    const memory = threads === undefined ? new WebAssembly.Memory({ initial }) : threads.memory(initial);
    if (threads !== undefined) module = threads.module;
    const imports = {
      env: {
        memory,
        // debug builds keep their asserts: a failed one arrives here and leaves as a typed error
        abort(message: number, file: number, line: number, column: number): never {
          throw new BpttError("WASM_ABORT", `${readString(memory.buffer, message)} at ${readString(memory.buffer, file)}:${line >>> 0}:${column >>> 0}`);
        },
      },
    };
    let instance: WebAssembly.Instance;
    try {
      // Directly: the module imports only env.memory and env.abort, both given here, so
      // @assemblyscript/loader's instantiateSync would add nothing but 5 kB to the main entry.
      // WebAssembly.Instance also takes a module compiled in another realm (Vercel Edge injects one).
      instance = new WebAssembly.Instance(module, imports);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new BpttError("WASM_UNAVAILABLE", `could not instantiate the bptt WebAssembly module: ${reason}`);
    }
    const heapBase = instance.exports.heapBase;
    if (typeof heapBase !== "function") {
      throw new BpttError("WASM_UNAVAILABLE", "heapBase is missing from the WebAssembly module (wasm backend); rebuild it with npm run build:wasm");
    }
    const kernels = bindKernels(instance.exports);
    if (threads !== undefined) {
      this.#threadScratchBytes = (instance.exports.threadScratchBytes as () => number)() >>> 0;
      this.#detach = threads.bind(kernels, instance.exports, memory, (n) => this.#poolScratch(n));
    }
    Object.assign(this, kernels);
    this.heapBase = (heapBase as () => number)() >>> 0;
    this.#memory = memory;
    this.reserve(this.heapBase); // the kernels' scratch lies below heapBase (assembly/ops/scratch.ts)
  }

  /** Bytes above the host's data that calls on the pool have used for their other threads' scratch (0 on one thread). */
  get poolScratchBytes(): number {
    return this.#poolScratchBytes;
  }

  /** The current memory buffer: replaced whenever the memory grows, so re-derive views after `reserve`. */
  get buffer(): ArrayBuffer {
    return this.#live().buffer as ArrayBuffer;
  }

  /** Makes at least `bytes` bytes addressable (growing by whole 64 KiB pages); existing data is kept. */
  reserve(bytes: number): void {
    const memory = this.#live();
    if (!Number.isFinite(bytes) || bytes < 0) {
      throw new BpttError("INVALID_ARGUMENT", `reserve: bytes must be a finite number ≥ 0; got ${bytes}`);
    }
    this.#hostBytes = Math.max(this.#hostBytes, bytes);
    this.#grow(memory, bytes);
  }

  /**
   * The first byte of scratch for a call's threads 1 … threads − 1, above everything the host has
   * reserved (the kernels keep nothing there between calls, so the block may move when the host's
   * data grows). Grows the memory the first time a call needs more; −1 when it cannot (the memory is
   * at its maximum): the call then runs on the caller's thread, with the same results.
   */
  #poolScratch(threads: number): number {
    const base = Math.ceil(this.#hostBytes / 16) * 16, bytes = (threads - 1) * this.#threadScratchBytes;
    try {
      this.#grow(this.#live(), base + bytes);
    } catch (e) {
      if (e instanceof BpttError && e.code === "INVALID_ARGUMENT") return -1;
      throw e;
    }
    this.#poolScratchBytes = Math.max(this.#poolScratchBytes, bytes);
    return base;
  }

  #grow(memory: WebAssembly.Memory, bytes: number): void {
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE_BYTES);
    try {
      memory.grow(pages);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new BpttError("INVALID_ARGUMENT", `could not grow the WebAssembly memory from ${have} to ${bytes} bytes (at most 4 GiB): ${reason}`);
    }
  }

  /** Drops the memory and the bound exports (the last references to the instance); every later call throws DISPOSED. */
  dispose(): void {
    this.#memory = undefined;
    this.#detach?.();
    this.#detach = undefined;
    Object.assign(this, disposedKernels);
  }

  #live(): WebAssembly.Memory {
    if (this.#memory === undefined) throw new BpttError("DISPOSED", "the wasm backend was disposed");
    return this.#memory;
  }
}
