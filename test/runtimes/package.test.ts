/**
 * The installed package's exports map: every target exists; the default entries embed the Wasm,
 * bptt/core and the workerd entry do not (the latter imports bptt.wasm as a module); bptt/worker
 * imports the library from its sibling rather than bundling it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { consumerDir } from "./helpers.js";

type Target = string | { [condition: string]: Target };

function targets(t: Target): string[] {
  return typeof t === "string" ? [t] : Object.values(t).flatMap(targets);
}

test("exports: ESM, CommonJS, types, workerd, bptt/core, bptt/worker, bptt/bptt.wasm", () => {
  const pkg = join(consumerDir(), "node_modules", "bptt");
  const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { exports: Record<string, Target> };
  const dot = manifest.exports["."] as Record<string, string>;
  expect(Object.keys(dot)).toEqual(["types", "workerd", "import", "require", "default"]);
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    for (const file of targets(target)) expect(existsSync(join(pkg, file)), `${subpath} → ${file}`).toBe(true);
  }
  const base64 = readFileSync(join(pkg, "dist", "bptt.wasm")).toString("base64");
  const read = (file: string) => readFileSync(join(pkg, "dist", file), "utf8");
  expect(read("index.js")).toContain(base64);
  expect(read("index.cjs")).toContain(base64);
  expect(read("core.js")).not.toContain(base64.slice(0, 200));
  expect(read("worker.js")).toMatch(/import \w+ from "\.\/bptt\.wasm"/);
  expect(read("train-worker.js")).toMatch(/from"\.\/index\.js"/);
  expect(read("train-worker.js")).not.toContain(base64.slice(0, 200));
});
