/**
 * `bptt/threads`: the threaded WebAssembly build (shared memory and atomics) and its thread pool.
 * The main entry loads it on demand, when `init({ threads })` asks for more than one thread; hosts
 * that import `bptt/core` import it themselves before calling init:
 *
 *   import { init } from "bptt/core";
 *   import "bptt/threads";
 *   await init({ module, threads: "auto" });
 */
import { decodeEmbedded, provideThreadsRuntime } from "./backends/wasm/loader.js";
import { binding, stop, use } from "./backends/wasm/threaded.js";
import { threadsWasm } from "./generated/wasm-threads.js";

provideThreadsRuntime({ use: (threads, relaxed) => use(threads, () => decodeEmbedded(threadsWasm), relaxed), stop, binding });
