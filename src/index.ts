/**
 * The main entry (`bptt`): the library with the release WebAssembly module embedded, so that it
 * needs no configuration and no file access. See src/core.ts for what it exports.
 */
import { provideEmbeddedModule, provideRelaxedLoader, provideThreadsLoader } from "./backends/wasm/loader.js";
import { releaseWasm } from "./generated/wasm-release.js";
import { provideFitLoader } from "./trainer.js";

provideEmbeddedModule(releaseWasm);
// the threaded build, fetched only when init({ threads }) asks for more than one thread
provideThreadsLoader(() => import("./threads.js"));
// the relaxed-SIMD builds, fetched only when init({ relaxedSimd: true }) asks for them
provideRelaxedLoader(() => import("./relaxed.js"));
// bptt/train, fetched when trainer.fit() is first called
provideFitLoader(() => import("./train.js"));

export * from "./core.js";
