/**
 * The CommonJS build: one bundle (dist/bptt.cjs) behind the CommonJS files of every subpath
 * (dist/index.cjs, io.cjs, js.cjs, gradcheck.cjs, train.cjs), so that all of them share one copy of the library: a model
 * loaded by `require("bptt/io")` is an instance of `require("bptt").RNN`.
 */
import { provideJsBackend } from "./backends/index.js";
import { JsBackend } from "./backends/js/index.js";

export * as main from "./index.js";
export * as io from "./io.js";
export * as gradcheck from "./gradcheck.js";
export * as train from "./train.js";
export const js = {
  JsBackend,
  /** What importing `bptt/js` does in the ESM build (src/js.ts). */
  provide: () => provideJsBackend(() => new JsBackend()),
};
