import { BpttError, invalid } from "../../errors.js";
import type { ThreadBinding } from "./index.js";

/**
 * Compiles the embedded kernel module once per process and caches it.
 *
 * Most hosts compile the ~14 kB module synchronously on first use (`defaultModule`). Where that
 * is forbidden (a browser's main thread limits synchronous compiles; Cloudflare Workers and
 * Vercel Edge disallow compiling Wasm from bytes at all), call `await init()` once before
 * creating a model, or `init(module)` with a `WebAssembly.Module` the platform compiled for you.
 */

let cached: WebAssembly.Module | undefined;
let pending: Promise<WebAssembly.Module> | undefined;
/** The embedded module, one character per byte; the main entry provides it, bptt/core and the workerd entry do not. */
let embedded = "";

const INIT_HINT = "call `await init()` first, or init(module) with a precompiled WebAssembly.Module";

/** Whether `x` is a compiled module, also one from another realm (where `instanceof` fails). */
export function isWasmModule(x: unknown): x is WebAssembly.Module {
  return Object.prototype.toString.call(x) === "[object WebAssembly.Module]";
}

/** The bytes of an embedded module: one character per byte, char code = byte value (scripts/build-wasm.mjs). */
export function decodeEmbedded(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** @internal Called once by the main entry (src/index.ts) with the module it embeds. */
export function provideEmbeddedModule(text: string): void {
  embedded = text;
}

function unavailable(what: string, cause: unknown): BpttError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new BpttError("WASM_UNAVAILABLE", `${what}: ${reason}; ${INIT_HINT}`);
}

/** The embedded module as bytes; the no-embed builds (bptt/core, the workerd entry) carry none. */
function embeddedBytes(): Uint8Array<ArrayBuffer> {
  if (embedded === "") {
    throw new Error("this build of bptt (bptt/core) embeds no WebAssembly module, so init() needs the module or its bytes");
  }
  return decodeEmbedded(embedded);
}

function checkWebAssembly(): void {
  if (typeof WebAssembly === "undefined") {
    throw new BpttError("WASM_UNAVAILABLE", "this JavaScript engine has no WebAssembly; use the \"js\" backend");
  }
}

/** What the threads entry (src/threads.ts) provides: src/backends/wasm/threaded.ts. */
export interface ThreadsRuntime {
  /**
   * Starts or resizes the pool (threads undefined: keeps it as it is); resolves to the threads per call
   * in use. New backends get the threaded module `relaxed` gives (bptt/relaxed's), else the plain one.
   */
  use(threads: number | "auto" | undefined, relaxed: string | undefined): Promise<number>;
  stop(): void;
  binding(): ThreadBinding | undefined;
}

/** What the relaxed-SIMD entry (src/relaxed.ts) provides: its two modules, one character per byte. */
export interface RelaxedBuilds {
  single: string;
  threaded: string;
}

/** The most threads a pool may have: the threaded module has scratch for 16 (assembly/ops/scratch.ts). */
export const MAX_THREADS = 16;

let loadThreads: (() => Promise<unknown>) | undefined;
let threadsRuntime: ThreadsRuntime | undefined;
let loadRelaxed: (() => Promise<unknown>) | undefined;
let relaxedBuilds: RelaxedBuilds | undefined;
/** Whether new backends use the relaxed-SIMD build (init({ relaxedSimd: true }) on a host that validates it). */
let relaxedInUse = false;

/** @internal The main entry hands in how to load the threads entry (a dynamic import: pages that never ask for threads do not download it). */
export function provideThreadsLoader(load: () => Promise<unknown>): void {
  loadThreads = load;
}

/** @internal The main entry hands in how to load the relaxed-SIMD entry (a dynamic import, as for threads). */
export function provideRelaxedLoader(load: () => Promise<unknown>): void {
  loadRelaxed = load;
}

/** @internal Called by the relaxed-SIMD entry (src/relaxed.ts) when it is imported. */
export function provideRelaxedBuilds(builds: RelaxedBuilds): void {
  relaxedBuilds = builds;
}

/** Whether models created from now on use the relaxed-SIMD build (see `init`'s `relaxedSimd`). */
export function relaxedSimdInUse(): boolean {
  return relaxedInUse;
}

/** @internal Called by the threads entry (src/threads.ts) when it is imported. */
export function provideThreadsRuntime(runtime: ThreadsRuntime): void {
  threadsRuntime = runtime;
}

/** @internal The threaded build's binding for a new backend while a pool runs (src/backends/index.ts). */
export function threadBinding(): ThreadBinding | undefined {
  return threadsRuntime?.binding();
}

/** Options of `init`. */
export interface InitOptions {
  /** The kernel module (or its bytes) to use instead of the embedded one. */
  module?: WebAssembly.Module | BufferSource;
  /**
   * Threads per kernel call: a number ≥ 1, or "auto" for the host's cores (at most 16). Hosts without
   * SharedArrayBuffer and Atomics (workerd, edge runtimes, pages that are not cross-origin isolated)
   * run on one thread, without an error. Results are bit-identical at every thread count.
   */
  threads?: number | "auto";
  /**
   * Opt in to the relaxed-SIMD build, whose products use fused multiply–adds where the host has them
   * (about 1.2× on batched training here): used where `WebAssembly.validate` accepts it (Chromium,
   * Deno, Bun, workerd, Node ≥ 22), else the default build stays, without an error (see
   * `relaxedSimdInUse()`). Results then depend on the host's rounding, so they are no longer
   * bit-identical across hosts; across thread counts they still are. `false` goes back to the default.
   */
  relaxedSimd?: boolean;
}

/**
 * Prepares the kernel module asynchronously: with no argument it compiles the embedded module
 * (once; later calls return at once), with a `WebAssembly.Module` it adopts that module, and with
 * bytes it compiles them. Every WebAssembly backend created afterwards uses this module.
 *
 * With `{ threads }` it also starts the thread pool (the threaded build, where the host has shared
 * memory): wasm models run their large kernels on that many threads, bit-identically to one thread
 * (models created before the pool started stay on the single-threaded build). Resolves to the
 * number of threads per call now in use (1 without a pool).
 */
export async function init(options?: WebAssembly.Module | BufferSource | InitOptions): Promise<number> {
  const opts = (options != null && Object.getPrototypeOf(options) === Object.prototype ? options : { module: options }) as InitOptions;
  const threads = opts.threads;
  if (threads !== undefined && threads !== "auto" && !(Number.isInteger(threads) && threads >= 1)) {
    throw invalid(`init: threads must be an integer ≥ 1 or "auto"; got ${String(threads)}`);
  }
  const relaxed = opts.relaxedSimd;
  if (relaxed !== undefined && typeof relaxed !== "boolean") throw invalid(`init: relaxedSimd must be true or false; got ${String(relaxed)}`);
  if (relaxed !== undefined && opts.module !== undefined) throw invalid("init: give either module or relaxedSimd, not both");
  if (relaxed === true) {
    if (relaxedBuilds === undefined) await loadRelaxed?.();
    relaxedInUse = await adoptRelaxed();
  } else if (relaxed === false && relaxedInUse) {
    relaxedInUse = false;
    cached = pending = undefined; // back to the embedded module, below
  }
  await prepareModule(opts.module);
  const relaxedThreaded = relaxedInUse ? relaxedBuilds!.threaded : undefined;
  if (threads === undefined && relaxed === undefined || threads === 1 && threadsRuntime === undefined) return 1;
  if (threadsRuntime === undefined && threads !== undefined) await loadThreads?.();
  return threadsRuntime?.use(threads, relaxedThreaded) ?? 1;
}

/** Compiles bptt/relaxed's module as the one new backends use, where the host validates it; whether it did. */
async function adoptRelaxed(): Promise<boolean> {
  checkWebAssembly();
  if (relaxedBuilds === undefined) return false; // bptt/core without bptt/relaxed imported
  const bytes = decodeEmbedded(relaxedBuilds.single);
  if (!WebAssembly.validate(bytes)) return false;
  try {
    cached = await WebAssembly.compile(bytes);
  } catch {
    return false;
  }
  pending = undefined;
  return true;
}

/**
 * Ends the thread pool's workers. Models keep working, on one thread; models created afterwards use
 * the single-threaded build until `init({ threads })` starts a pool again.
 */
export async function shutdown(): Promise<void> {
  threadsRuntime?.stop();
}

async function prepareModule(moduleOrBytes: WebAssembly.Module | BufferSource | undefined): Promise<void> {
  checkWebAssembly();
  if (moduleOrBytes !== undefined) {
    if (isWasmModule(moduleOrBytes)) {
      cached = moduleOrBytes;
      return;
    }
    try {
      cached = await WebAssembly.compile(moduleOrBytes);
    } catch (e) {
      throw unavailable("could not compile the given WebAssembly bytes", e);
    }
    return;
  }
  if (cached !== undefined) return;
  pending ??= Promise.resolve().then(() => WebAssembly.compile(embeddedBytes())).then(
    (module) => (cached ??= module),
    (e: unknown) => {
      pending = undefined;
      throw unavailable("could not compile the bptt WebAssembly module", e);
    },
  );
  await pending;
}

/**
 * The kernel module: the one `init` prepared, or else the embedded release module compiled
 * synchronously now (and cached). Throws `WASM_UNAVAILABLE` where synchronous compilation is
 * not allowed.
 */
export function defaultModule(): WebAssembly.Module {
  if (cached !== undefined) return cached;
  checkWebAssembly();
  try {
    cached = new WebAssembly.Module(embeddedBytes());
  } catch (e) {
    throw unavailable("could not compile the bptt WebAssembly module synchronously", e);
  }
  return cached;
}
