// The ESM entries of dist/ around one core file, so that every subpath uses the same copy of the
// library (a model loaded by bptt/io is an instance of bptt's RNN; what init() prepared is seen by
// all) and a browser downloads the main entry as two files:
//
//   dist/core.js   src/core.ts and every module it reaches, bundled once. Beside the public API it
//                  exports `__modules`: by module path ("errors", "model", …), the exports of core
//                  modules that the other entries import (found in their import statements).
//   dist/index.js  src/index.ts: the embedded Wasm, handed to the core's loader; re-exports core.js.
//   dist/io-lib.js, js.js, gradcheck.js, train.js, train-worker.js
//                  their own code only: an import of a core module becomes a read of
//                  `__modules[path]` from ./core.js, and an import of another entry an import of
//                  its file (./index.js, ./io-lib.js, ./js.js).
import * as esbuild from "esbuild";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = "src";
/** Entries other files import by their built name (the worker imports the main entry, bptt/io and bptt/js; the main entry bptt/threads and bptt/relaxed, dynamically). */
const ENTRY_FILES = { "src/index.ts": "./index.js", "src/core.ts": "./core.js", "src/io.ts": "./io-lib.js", "src/js.ts": "./js.js", "src/threads.ts": "./threads.js", "src/relaxed.ts": "./relaxed.js", "src/train.ts": "./train.js" };

/** "src/backends/wasm/loader.ts" → "backends/wasm/loader": the key of a core module in `__modules`. */
const moduleKey = (file) => relative(SRC, file).replace(/\.ts$/, "");

/** The repository path (src/….ts) an import specifier of `importer` names. */
function sourcePath(root, importerDir, specifier) {
  return relative(root, resolve(importerDir, specifier)).replace(/\.js$/, ".ts");
}

/** `import { a, b as c, type T } from "x"` and `export { a } from "x"` statements: [specifier, runtime names]. */
function importedNames(source) {
  const found = [];
  for (const [, type, list, specifier] of source.matchAll(/(?:import|export)\s+(type\s+)?\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    if (type) continue;
    const names = list.split(",").map((n) => n.trim()).filter((n) => n !== "" && !n.startsWith("type "));
    found.push([specifier, names.map((n) => n.split(/\s+as\s+/)[0])]);
  }
  for (const [, specifier] of source.matchAll(/import\s+\*\s+as\s+\w+\s+from\s*"([^"]+)"/g)) found.push([specifier, ["*"]]);
  return found;
}

/**
 * Builds dist/core.js, then the other entries against it. `options` are the shared esbuild options
 * (bundle, minify, target, charset …); `entries` maps output names to source entries.
 */
export async function buildEsmEntries(root, options, entries) {
  // the modules the core bundles, and the runtime names each exports
  const probe = await esbuild.build({ ...options, entryPoints: ["src/core.ts"], outfile: "core.js", write: false, metafile: true, format: "esm" });
  const coreFiles = Object.keys(probe.metafile.inputs).filter((f) => f.startsWith(`${SRC}/`) && f !== "src/core.ts");
  const core = new Set(coreFiles);
  const split = await esbuild.build({
    entryPoints: coreFiles, bundle: false, write: false, metafile: true, format: "esm", outdir: "probe", outbase: SRC, logLevel: "warning",
  });
  const exportsOf = new Map(Object.values(split.metafile.outputs).map((o) => [o.entryPoint, o.exports]));

  // the core modules' names the other entries import: their own source files, read for import statements
  const needed = new Map(coreFiles.map((f) => [f, new Set()]));
  const stopAtCore = {
    name: "stop-at-core",
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind === "entry-point") return undefined;
        const file = sourcePath(root, args.resolveDir, args.path);
        return core.has(file) || ENTRY_FILES[file] !== undefined ? { path: file, external: true } : undefined;
      });
    },
  };
  for (const entry of Object.values(entries)) {
    const own = await esbuild.build({ ...options, entryPoints: [entry], write: false, metafile: true, outfile: "probe.js", format: "esm", plugins: [stopAtCore] });
    for (const file of Object.keys(own.metafile.inputs).filter((f) => f.startsWith(`${SRC}/`))) {
      for (const [specifier, names] of importedNames(readFileSync(join(root, file), "utf8"))) {
        const target = sourcePath(root, dirname(join(root, file)), specifier);
        if (!core.has(target)) continue;
        for (const name of names[0] === "*" ? exportsOf.get(target) : names) needed.get(target).add(name);
      }
    }
  }

  const modules = coreFiles.filter((f) => needed.get(f).size > 0).map((file) => ({ file, key: moduleKey(file), names: [...needed.get(file)].sort() }));
  await esbuild.build({
    ...options, format: "esm", sourcemap: true, outfile: "dist/core.js",
    stdin: {
      sourcefile: "core-entry.js", resolveDir: root, loader: "js",
      contents: [
        `export * from "./src/core.ts";`,
        ...modules.map((m, i) => `import { ${m.names.map((n) => `${n} as m${i}_${n}`).join(", ")} } from "./${m.file}";`),
        `export const __modules = {`,
        ...modules.map((m, i) => `  ${JSON.stringify(m.key)}: { ${m.names.map((n) => `${n}: m${i}_${n}`).join(", ")} },`),
        `};`,
      ].join("\n"),
    },
  });

  const againstCore = {
    name: "against-core",
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind === "entry-point" || args.namespace === "core-module") return undefined;
        const file = sourcePath(root, args.resolveDir, args.path);
        if (ENTRY_FILES[file] !== undefined) return { path: ENTRY_FILES[file], external: true };
        if (core.has(file)) return { path: file, namespace: "core-module" };
        return undefined;
      });
      build.onResolve({ filter: /.*/, namespace: "core-module" }, (args) => ({ path: args.path, external: true }));
      build.onLoad({ filter: /.*/, namespace: "core-module" }, (args) => ({
        loader: "js", resolveDir: dirname(join(root, args.path)),
        contents: `import { __modules } from "./core.js";\nexport const { ${[...needed.get(args.path)].join(", ")} } = __modules[${JSON.stringify(moduleKey(args.path))}];\n`,
      }));
    },
  };
  for (const [name, entry] of Object.entries(entries)) {
    await esbuild.build({ ...options, format: "esm", sourcemap: true, entryPoints: [entry], outfile: `dist/${name}.js`, plugins: [againstCore] });
  }
  return coreFiles;
}
