import { readFileSync } from "node:fs";
import type { Backend } from "../../src/backend.js";
import { JsBackend } from "../../src/backends/js/index.js";
import { WasmBackend } from "../../src/backends/wasm/index.js";

/**
 * The three builds every backend-level test runs on: the pure-TypeScript reference, and the
 * release and debug WebAssembly modules as the build left them in build/ (the vitest global
 * setup rebuilds them when assembly/ changed).
 */
export const backendKinds = ["js", "wasm-release", "wasm-debug"] as const;
export type BackendKind = (typeof backendKinds)[number];

const modules = new Map<BackendKind, WebAssembly.Module>();

/** The compiled module for a Wasm kind (compiled once per test file), or undefined for "js". */
export function wasmModuleFor(kind: BackendKind): WebAssembly.Module | undefined {
  if (kind === "js") return undefined;
  let module = modules.get(kind);
  if (module === undefined) {
    const file = kind === "wasm-release" ? "bptt.release.wasm" : "bptt.debug.wasm";
    module = new WebAssembly.Module(readFileSync(new URL(`../../build/${file}`, import.meta.url)));
    modules.set(kind, module);
  }
  return module;
}

/** A fresh backend of the given kind, with its own memory. */
export function makeBackend(kind: BackendKind): Backend {
  const module = wasmModuleFor(kind);
  return module === undefined ? new JsBackend() : new WasmBackend(module);
}
