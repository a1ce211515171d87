import type { Backend } from "../backend.js";
import { JsBackend } from "./js/index.js";
import { WasmBackend } from "./wasm/index.js";
import { defaultModule } from "./wasm/loader.js";

export type BackendKind = "wasm" | "js";

/** A fresh backend with memory of its own: every model owns one. */
export function createBackend(kind: BackendKind, wasmModule?: WebAssembly.Module): Backend {
  if (kind === "js") return new JsBackend();
  return new WasmBackend(wasmModule ?? defaultModule());
}
