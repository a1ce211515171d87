/**
 * `bptt/relaxed`: the relaxed-SIMD WebAssembly builds (fused multiply–adds in the matrix products),
 * one-threaded and threaded. The main entry loads it on demand, when `init({ relaxedSimd: true })`
 * asks for it; hosts that import `bptt/core` import it themselves before calling init:
 *
 *   import { init } from "bptt/core";
 *   import "bptt/relaxed";
 *   await init({ relaxedSimd: true });
 */
import { provideRelaxedBuilds } from "./backends/wasm/loader.js";
import { relaxedWasm } from "./generated/wasm-relaxed.js";
import { relaxedThreadsWasm } from "./generated/wasm-relaxed-threads.js";

provideRelaxedBuilds({ single: relaxedWasm, threaded: relaxedThreadsWasm });
