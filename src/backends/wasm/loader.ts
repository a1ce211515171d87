import { BpttError } from "../../errors.js";

/**
 * Compiles the embedded kernel module once per process and caches it.
 *
 * Most hosts compile the ~14 kB module synchronously on first use (`defaultModule`). Where that
 * is forbidden (a browser's main thread limits synchronous compiles; Cloudflare Workers and
 * Vercel Edge disallow compiling Wasm from bytes at all), call `await init()` once before
 * creating a model, or `init(module)` with a `WebAssembly.Module` the platform compiled for you.
 */

let cached: WebAssembly.Module | undefined;
let pending: Promise<WebAssembly.Module> | undefined;
/** The embedded module, one character per byte; the main entry provides it, bptt/core and the workerd entry do not. */
let embedded = "";

const INIT_HINT = "call `await init()` first, or init(module) with a precompiled WebAssembly.Module";

/** Whether `x` is a compiled module, also one from another realm (where `instanceof` fails). */
export function isWasmModule(x: unknown): x is WebAssembly.Module {
  return Object.prototype.toString.call(x) === "[object WebAssembly.Module]";
}

/** The bytes of an embedded module: one character per byte, char code = byte value (scripts/build-wasm.mjs). */
export function decodeEmbedded(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** @internal Called once by the main entry (src/index.ts) with the module it embeds. */
export function provideEmbeddedModule(text: string): void {
  embedded = text;
}

function unavailable(what: string, cause: unknown): BpttError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new BpttError("WASM_UNAVAILABLE", `${what}: ${reason}; ${INIT_HINT}`);
}

/** The embedded module as bytes; the no-embed builds (bptt/core, the workerd entry) carry none. */
function embeddedBytes(): Uint8Array<ArrayBuffer> {
  if (embedded === "") {
    throw new Error("this build of bptt (bptt/core) embeds no WebAssembly module, so init() needs the module or its bytes");
  }
  return decodeEmbedded(embedded);
}

function checkWebAssembly(): void {
  if (typeof WebAssembly === "undefined") {
    throw new BpttError("WASM_UNAVAILABLE", "this JavaScript engine has no WebAssembly; use the \"js\" backend");
  }
}

/**
 * Prepares the kernel module asynchronously: with no argument it compiles the embedded module
 * (once; later calls return at once), with a `WebAssembly.Module` it adopts that module, and with
 * bytes it compiles them. Every WebAssembly backend created afterwards uses this module.
 */
export async function init(moduleOrBytes?: WebAssembly.Module | BufferSource): Promise<void> {
  checkWebAssembly();
  if (moduleOrBytes !== undefined) {
    if (isWasmModule(moduleOrBytes)) {
      cached = moduleOrBytes;
      return;
    }
    try {
      cached = await WebAssembly.compile(moduleOrBytes);
    } catch (e) {
      throw unavailable("could not compile the given WebAssembly bytes", e);
    }
    return;
  }
  if (cached !== undefined) return;
  pending ??= Promise.resolve().then(() => WebAssembly.compile(embeddedBytes())).then(
    (module) => (cached ??= module),
    (e: unknown) => {
      pending = undefined;
      throw unavailable("could not compile the bptt WebAssembly module", e);
    },
  );
  await pending;
}

/**
 * The kernel module: the one `init` prepared, or else the embedded release module compiled
 * synchronously now (and cached). Throws `WASM_UNAVAILABLE` where synchronous compilation is
 * not allowed.
 */
export function defaultModule(): WebAssembly.Module {
  if (cached !== undefined) return cached;
  checkWebAssembly();
  try {
    cached = new WebAssembly.Module(embeddedBytes());
  } catch (e) {
    throw unavailable("could not compile the bptt WebAssembly module synchronously", e);
  }
  return cached;
}
