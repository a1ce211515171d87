import type { Backend } from "../backend.js";
import { checkOneOf, invalid } from "../errors.js";
import { WasmBackend } from "./wasm/index.js";
import { defaultModule, threadBinding } from "./wasm/loader.js";

export type BackendKind = "wasm" | "js";

/**
 * The pure-TypeScript backend is not part of the main entry: it ships in the subpath `bptt/js`,
 * which hands its constructor in here when imported (src/js.ts), so that pages that train on Wasm
 * do not download the reference kernels.
 */
let makeJsBackend: (() => Backend) | undefined;

/** @internal Called by `bptt/js` (src/js.ts) when it is imported. */
export function provideJsBackend(make: () => Backend): void {
  makeJsBackend = make;
}

/**
 * The `backend` option checked: "wasm" (the default), or "js" once `bptt/js` was imported; anything
 * else is an INVALID_ARGUMENT error. Loaders call it before reading a file, so that the error names
 * the argument and not the file.
 */
export function checkBackend(value: unknown): BackendKind {
  const kind = checkOneOf("backend", value ?? "wasm", ["wasm", "js"] as const);
  if (kind === "js" && makeJsBackend === undefined) {
    throw invalid('backend "js" is the pure-TypeScript backend, which ships in the subpath "bptt/js": import "bptt/js" once before creating a model with backend: "js"');
  }
  return kind;
}

/** A fresh backend with memory of its own: every model owns one. */
export function createBackend(kind: BackendKind, wasmModule?: WebAssembly.Module): Backend {
  if (checkBackend(kind) === "js") return makeJsBackend!();
  const threads = wasmModule === undefined ? threadBinding() : undefined;
  return threads !== undefined ? new WasmBackend(threads.module, undefined, threads) : new WasmBackend(wasmModule ?? defaultModule());
}
