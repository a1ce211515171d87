/**
 * The conformance script (test/runtimes/conformance.mjs) in every runtime, from the packed tarball
 * installed into a throw-away project. Node's ESM result is the reference; every other run must be
 * identical to it: losses and gradient norms as float64 bit patterns, the clipping flags, the saved
 * file's size and checksum, and the 50 sampled tokens. A runtime that is missing or fails to start
 * fails its test.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { consumerDir, launchChromium, requireBinary, root, run, serveStatic } from "./helpers.js";

interface Result {
  losses: string[];
  gradNorms: string[];
  clipped: boolean[];
  savedBytes: number;
  savedChecksum: string;
  reloadedLoss: string;
  tokens: number[];
}

interface Threaded { threads: number; single: { losses: string[]; weights: string[] }; threaded: { losses: string[]; weights: string[] } }

const FORBIDDEN = "Wasm code generation disallowed by embedder";
let dir: string;
let reference: Result;

function parse(output: string, where: string): Result {
  const value = JSON.parse(output.trim()) as Result | { error: string };
  if ("error" in value) throw new Error(`${where}: ${value.error}`);
  return value;
}

beforeAll(async () => {
  dir = consumerDir();
  reference = parse(await run(process.execPath, ["node-esm.mjs"], dir), "node ESM");
  // the reference itself must be a real training run: 20 finite, decreasing-overall losses, clipping seen, 50 tokens
  expect(reference.losses).toHaveLength(20);
  expect(reference.clipped).toContain(true);
  expect(reference.tokens).toHaveLength(50);
  const toFloat = (hex: string) => new DataView(new Uint32Array([parseInt(hex.slice(8), 16), parseInt(hex.slice(0, 8), 16)]).buffer).getFloat64(0, true);
  expect(toFloat(reference.losses[19])).toBeLessThan(toFloat(reference.losses[0]));
  console.log(`node ${process.version} ESM reference: final loss ${toFloat(reference.losses[19])}, tokens ${reference.tokens.join(",")}`);
});

describe("bit-identical to Node ESM", () => {
  test("Node CommonJS require", async () => {
    expect(parse(await run(process.execPath, ["node-cjs.cjs"], dir), "node CJS")).toEqual(reference);
  });

  test("Deno (npm deno)", async () => {
    const deno = requireBinary(join(root, "node_modules", ".bin", "deno"), "deno (npm deno)");
    const version = (await run(deno, ["--version"], dir)).split("\n")[0];
    const result = parse(await run(deno, ["run", "--allow-read", "--allow-env", "node-esm.mjs"], dir), version);
    expect(result).toEqual(reference);
  });

  test("Bun (npm bun)", async () => {
    const bun = requireBinary(join(root, "node_modules", ".bin", "bun"), "bun (npm bun)");
    const version = (await run(bun, ["--version"], dir)).trim();
    expect(version).toMatch(/^\d+\.\d+/);
    const result = parse(await run(bun, ["node-esm.mjs"], dir), `bun ${version}`);
    expect(result).toEqual(reference);
  });

  test("headless Chromium: a page importing the ESM bundle, and inside a Web Worker", async () => {
    const browser = await launchChromium();
    const { url, server } = await serveStatic(dir);
    try {
      for (const page of ["page.html", "page-worker.html"]) {
        const tab = await browser.newPage();
        const errors: string[] = [];
        tab.on("pageerror", (e) => errors.push(e.message));
        await tab.goto(`${url}/${page}`);
        await tab.waitForFunction(() => (window as unknown as { __result?: string }).__result !== undefined, null, { timeout: 120_000 });
        const output = await tab.evaluate(() => (window as unknown as { __result: string }).__result);
        expect(errors, page).toEqual([]);
        expect(parse(output, `chromium ${browser.version()} ${page}`), page).toEqual(reference);
        await tab.close();
      }
    } finally {
      await browser.close();
      server.close();
    }
  });

  test("threads: Node, Deno and Bun run the threaded build bit-identically to the single-threaded one, and exit with the pool running", async () => {
    const deno = requireBinary(join(root, "node_modules", ".bin", "deno"), "deno (npm deno)");
    const bun = requireBinary(join(root, "node_modules", ".bin", "bun"), "bun (npm bun)");
    const hosts: [string, string, string[]][] = [
      ["node", process.execPath, ["threads.mjs"]],
      ["deno", deno, ["run", "--allow-read", "--allow-env", "threads.mjs"]],
      ["bun", bun, ["threads.mjs"]],
    ];
    let first: Threaded | undefined;
    for (const [name, command, args] of hosts) {
      const result = JSON.parse((await run(command, args, dir)).trim()) as Threaded;
      expect(result.threads, `${name}: threads in use`).toBe(3);
      expect(result.threaded, `${name}: threaded = single-threaded`).toEqual(result.single);
      first ??= result;
      expect(result.single, `${name} = node`).toEqual(first.single);
    }
  });

  test("relaxed SIMD: Deno and Bun validate it and train within 1e-4 of the default build (Deno's V8 fuses, Bun's JavaScriptCore does not), bit-identically on 3 threads; Node 20 (no flag) keeps the default build", async () => {
    const deno = requireBinary(join(root, "node_modules", ".bin", "deno"), "deno (npm deno)");
    const bun = requireBinary(join(root, "node_modules", ".bin", "bun"), "bun (npm bun)");
    type Run = { losses: string[]; weights: string[] };
    // [host, command, arguments, validates relaxed SIMD, fuses relaxed_madd (the spec allows either)]
    const hosts: [string, string, string[], boolean, boolean][] = [
      ["node", process.execPath, ["relaxed.mjs"], false, false],
      ["deno", deno, ["run", "--allow-read", "--allow-env", "relaxed.mjs"], true, true],
      ["bun", bun, ["relaxed.mjs"], true, false],
    ];
    for (const [name, command, args, validates, fuses] of hosts) {
      const r = JSON.parse((await run(command, args, dir)).trim()) as { used: boolean; threads: number; plain: Run; relaxed: Run; relaxedThreaded: Run; gap: number };
      expect(r.used, `${name}: relaxedSimdInUse()`).toBe(validates);
      expect(r.threads, `${name}: threads`).toBe(3);
      expect(r.relaxedThreaded, `${name}: 3 threads = 1 thread`).toEqual(r.relaxed);
      expect(r.gap, `${name}: losses of the relaxed build against the default's`).toBeLessThan(1e-4);
      if (fuses) expect(r.relaxed.weights, `${name}: the fused build rounds differently`).not.toEqual(r.plain.weights);
      else expect(r.relaxed, `${name}: the same bits as the default build`).toEqual(r.plain);
    }
  });

  test("threads: Chromium, a cross-origin-isolated page on 3 threads bit-identical to one; a page that is not isolated falls back to 1", async () => {
    const browser = await launchChromium();
    try {
      for (const isolated of [true, false]) {
        const { url, server } = await serveStatic(dir, isolated);
        const tab = await browser.newPage();
        const errors: string[] = [];
        tab.on("pageerror", (e) => errors.push(e.message));
        await tab.goto(`${url}/page-threads.html`);
        await tab.waitForFunction(() => (window as unknown as { __result?: string }).__result !== undefined, null, { timeout: 120_000 });
        const result = JSON.parse(await tab.evaluate(() => (window as unknown as { __result: string }).__result)) as Threaded & { isolated: boolean; error?: string };
        expect(result.error, "page error").toBeUndefined();
        expect(errors).toEqual([]);
        expect(result.isolated).toBe(isolated);
        expect(result.threads).toBe(isolated ? 3 : 1);
        expect(result.threaded).toEqual(result.single);
        await tab.close();
        server.close();
      }
    } finally {
      await browser.close();
    }
  });

  test("Cloudflare workerd through miniflare, the Wasm as a CompiledWasm module binding", async () => {
    const esbuild = await import("esbuild");
    const { Miniflare } = await import("miniflare");
    // bundled as wrangler does: the `workerd` condition picks dist/worker.js, whose .wasm import stays a module
    let wasmPath: string | undefined;
    const bundle = await esbuild.build({
      entryPoints: [join(dir, "workerd-entry.mjs")], absWorkingDir: dir, bundle: true, write: false, format: "esm", target: "es2022",
      conditions: ["workerd", "worker", "browser"], outfile: join(dir, "worker.mjs"), logLevel: "silent",
      plugins: [{
        name: "wasm-module-binding",
        setup(build) {
          build.onResolve({ filter: /\.wasm$/ }, (args) => {
            wasmPath = join(args.resolveDir, args.path);
            return { path: "./bptt.wasm", external: true };
          });
        },
      }],
    });
    expect(wasmPath, "the workerd entry must import the .wasm as a module").toMatch(/node_modules[\\/]bptt[\\/]dist[\\/]bptt\.wasm$/);
    const mf = new Miniflare({
      modules: [
        { type: "ESModule", path: "worker.mjs", contents: bundle.outputFiles[0].text },
        { type: "CompiledWasm", path: "bptt.wasm", contents: readFileSync(wasmPath!) },
      ],
      compatibilityDate: "2025-01-01",
    });
    try {
      const response = await mf.dispatchFetch("http://localhost/");
      const body = await response.text();
      const value = JSON.parse(body) as { forbidden: string; result: Result } | { error: string };
      if (!("forbidden" in value)) throw new Error(`workerd: ${body.slice(0, 2000)}`);
      expect(value.forbidden, "workerd must forbid compiling Wasm from bytes").toContain(FORBIDDEN);
      expect(value.result).toEqual(reference);
    } finally {
      await mf.dispose();
    }
  });

  test("Vercel edge-runtime (EdgeVM, Wasm code generation disabled, the module injected)", async () => {
    const esbuild = await import("esbuild");
    const { EdgeVM } = await import("@edge-runtime/vm");
    const bundle = await esbuild.build({
      entryPoints: [join(dir, "edge-entry.mjs")], absWorkingDir: dir, bundle: true, write: false, format: "iife", target: "es2022",
      conditions: ["edge-light", "worker", "browser"], logLevel: "silent",
    });
    const vm = new EdgeVM({ codeGeneration: { strings: false, wasm: false } });
    const wasmFile = createRequire(join(dir, "package.json")).resolve("bptt/bptt.wasm");
    vm.context.__bpttWasm = new WebAssembly.Module(readFileSync(wasmFile));
    vm.evaluate(bundle.outputFiles[0].text);
    const value = JSON.parse(await vm.evaluate<Promise<string>>("globalThis.__conformance")) as { forbidden: string; result: Result };
    expect(value.forbidden, "the EdgeVM must forbid compiling Wasm from bytes").toContain(FORBIDDEN);
    expect(value.result).toEqual(reference);
  });
});
