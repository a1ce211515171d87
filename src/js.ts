/**
 * `bptt/js`: the pure-TypeScript backend, the reference twin of every WebAssembly kernel. Importing
 * this module makes `backend: "js"` available to models created afterwards:
 *
 *   import { RNN } from "bptt";
 *   import "bptt/js";
 *   const model = new RNN({ inputSize: 65, hiddenSize: 128, backend: "js" });
 */
import { provideJsBackend } from "./backends/index.js";
import { JsBackend } from "./backends/js/index.js";

provideJsBackend(() => new JsBackend());

export { JsBackend };
