import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import { inject } from "vitest";

export const root = fileURLToPath(new URL("../..", import.meta.url));

/** The throw-away consumer project the packed tarball was installed into (test/runtimes/setup.ts). */
export function consumerDir(): string {
  return inject("consumer");
}

/** A binary the suite needs: a missing one fails the test, it is never skipped. */
export function requireBinary(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${what} is missing: expected it at ${path}`);
  return path;
}

/** Runs a command in `cwd` and returns its stdout; a non-zero exit throws with stderr. */
export function run(command: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: "1" } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".cjs": "text/javascript",
  ".json": "application/json", ".wasm": "application/wasm", ".map": "application/json", ".png": "image/png", ".css": "text/css",
};

/** A static file server on 127.0.0.1 (an ephemeral port) over `dir`. */
/** Serves `dir` on 127.0.0.1; with `isolated`, with the COOP/COEP headers that make pages cross-origin isolated (SharedArrayBuffer). */
export async function serveStatic(dir: string, isolated = false): Promise<{ url: string; server: Server }> {
  const isolation = isolated ? { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" } : {};
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    const file = join(dir, path);
    if (!file.startsWith(dir + sep) && file !== dir) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": contentTypes[extname(file)] ?? "application/octet-stream", ...isolation }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the server has no port");
  return { url: `http://127.0.0.1:${address.port}`, server };
}

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** Headless Debian Chromium through playwright-core; a missing browser fails loudly. */
export async function launchChromium() {
  requireBinary(CHROMIUM, "Chromium (apt-get install -y chromium)");
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * The Wasm module a built JS file embeds, as bytes, and the source text of its string literal; or
 * undefined when the file embeds none. The module is one character per byte (scripts/build-wasm.mjs)
 * and starts with "\0asm", which esbuild prints as `\0asm` right after the literal's opening quote.
 */
export function embeddedWasm(source: string, from = 0): { bytes: Buffer; literal: string; end: number } | undefined {
  const at = source.indexOf("\\0asm", from);
  if (at < 1) return undefined;
  const quote = source[at - 1];
  if (!"\"'`".includes(quote)) throw new Error(`the embedded module's literal starts with ${JSON.stringify(quote)}, not a quote`);
  let end = at;
  while (source[end] !== quote) end += source[end] === "\\" ? 2 : 1;
  const literal = source.slice(at - 1, end + 1);
  const text = runInNewContext(literal) as string;
  return { bytes: Buffer.from(text, "latin1"), literal, end: end + 1 };
}

/** Every module embedded in `source`, in order. */
export function embeddedModules(source: string): Buffer[] {
  const found: Buffer[] = [];
  for (let m = embeddedWasm(source); m !== undefined; m = embeddedWasm(source, m.end)) found.push(m.bytes);
  return found;
}
