// Chromium, inside a module Web Worker: the ESM bundle by URL (workers may compile synchronously).
import * as bptt from "/node_modules/bptt/dist/index.js";
import * as io from "/node_modules/bptt/dist/io.js";
import { conformance } from "/conformance.mjs";
try {
  postMessage(JSON.stringify(conformance(bptt, io))); // a worker may compile synchronously: no init() needed
} catch (e) {
  postMessage(JSON.stringify({ error: String(e && e.stack || e) }));
}
