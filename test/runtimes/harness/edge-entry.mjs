// Vercel edge-runtime: bundled to one script and evaluated in an EdgeVM with Wasm code generation
// disabled; the host injects the precompiled module as globalThis.__bpttWasm and init() adopts it.
import * as bptt from "bptt";
import * as io from "bptt/io";
import { conformance } from "./conformance.mjs";
globalThis.__conformance = (async () => {
  let forbidden = "";
  try { new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); } catch (e) { forbidden = String(e.message); }
  await bptt.init(globalThis.__bpttWasm);
  return JSON.stringify({ forbidden, result: conformance(bptt, io) });
})();
