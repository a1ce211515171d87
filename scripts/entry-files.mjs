// The files a browser downloads for one ESM entry of dist/: the entry and every file it imports
// statically, transitively (esbuild's shared chunks). Used by the build's size report and by the
// size-budget test (test/runtimes/size.test.ts).
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/** Static `import … from "./x"`, `import "./x"` and `export … from "./x"` specifiers of minified ESM. */
const STATIC_IMPORT = /(?:^|[;}\s])(?:import|export)\s*(?:[\w$*{}\s,]*?from\s*)?["'](\.\.?\/[^"']+)["']/g;

/** Paths (relative to `dir`) of `entry` and of everything it imports statically, in discovery order. */
export function entryFiles(dir, entry) {
  const seen = new Set();
  const visit = (file) => {
    const key = relative(dir, file);
    if (seen.has(key)) return;
    seen.add(key);
    for (const [, spec] of readFileSync(file, "utf8").matchAll(STATIC_IMPORT)) visit(join(dirname(file), spec));
  };
  visit(join(dir, entry));
  return [...seen];
}
