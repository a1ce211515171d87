// Cloudflare workerd (through miniflare): bundled as wrangler does, with the `workerd` condition, so
// "bptt" resolves to dist/worker.js, which imports dist/bptt.wasm as a CompiledWasm module binding.
import * as bptt from "bptt";
import * as io from "bptt/io";
import { conformance } from "./conformance.mjs";
export default {
  async fetch() {
    // prove the host forbids compiling from bytes, then run the script on the module binding
    let forbidden = "";
    try { new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); } catch (e) { forbidden = String(e.message); }
    return Response.json({ forbidden, result: conformance(bptt, io) });
  },
};
