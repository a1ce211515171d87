/**
 * The main entry (`bptt`): the library with the release WebAssembly module embedded, so that it
 * needs no configuration and no file access. See src/core.ts for what it exports.
 */
import { provideEmbeddedModule } from "./backends/wasm/loader.js";
import { releaseWasm } from "./generated/wasm-release.js";

provideEmbeddedModule(releaseWasm);

export * from "./core.js";
