import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    consumer: string;
  }
}

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Packs the package as `npm publish` would (dist/ must be built: npm run test:runtimes builds it),
 * and installs the tarball into a throw-away consumer project, with the conformance script and the
 * per-runtime harnesses beside it. Every runtime test works from that project only.
 */
export default function setup(project: TestProject): () => void {
  if (!existsSync(join(root, "dist", "index.js"))) throw new Error("dist/ is missing: run node scripts/build.mjs first (npm run test:runtimes does)");
  const dir = mkdtempSync(join(tmpdir(), "bptt-consumer-"));
  execFileSync("npm", ["pack", "--pack-destination", dir, "--silent"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (tarball === undefined) throw new Error(`npm pack wrote no tarball into ${dir}`);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "bptt-consumer", private: true, type: "module" }, null, 2));
  execFileSync("npm", ["install", `./${tarball}`, "--no-audit", "--no-fund", "--offline", "--silent"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  cpSync(join(root, "test", "runtimes", "conformance.mjs"), join(dir, "conformance.mjs"));
  cpSync(join(root, "test", "runtimes", "harness"), dir, { recursive: true });
  project.provide("consumer", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
