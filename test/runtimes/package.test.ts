/**
 * The installed package's exports map and what each entry carries: every target exists; the main
 * entry (ESM and CommonJS) embeds the Wasm byte for byte, bptt/core and the workerd entry do not (the
 * latter imports bptt.wasm as a module); the subpaths share one copy of the library with the main
 * entry; backend "js" needs bptt/js, and says so.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { consumerDir, embeddedModules, embeddedWasm, root, run } from "./helpers.js";
import { entryFiles } from "../../scripts/entry-files.mjs";

type Target = string | { [condition: string]: Target };

function targets(t: Target): string[] {
  return typeof t === "string" ? [t] : Object.values(t).flatMap(targets);
}

const pkg = () => join(consumerDir(), "node_modules", "bptt");
const read = (file: string) => readFileSync(join(pkg(), "dist", file), "utf8");
/** The text of an ESM entry and of every file it imports statically. */
const closure = (entry: string) => entryFiles(join(pkg(), "dist"), entry).map(read).join("\n");

test("exports: ESM, CommonJS, types, workerd, bptt/core, bptt/io, bptt/js, bptt/gradcheck, bptt/threads, bptt/relaxed, bptt/train, bptt/worker, bptt/worker/client, bptt/bptt.wasm", () => {
  const manifest = JSON.parse(readFileSync(join(pkg(), "package.json"), "utf8")) as { exports: Record<string, Target> };
  expect(Object.keys(manifest.exports)).toEqual([".", "./core", "./io", "./js", "./gradcheck", "./threads", "./relaxed", "./train", "./worker", "./worker/client", "./bptt.wasm", "./package.json"]);
  const dot = manifest.exports["."] as Record<string, string>;
  expect(Object.keys(dot)).toEqual(["types", "workerd", "import", "require", "default"]);
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    for (const file of targets(target)) expect(existsSync(join(pkg(), file)), `${subpath} → ${file}`).toBe(true);
  }
  const wasm = readFileSync(join(pkg(), "dist", "bptt.wasm"));
  expect(embeddedWasm(closure("index.js"))?.bytes.equals(wasm), "dist/index.js embeds dist/bptt.wasm").toBe(true);
  // the CommonJS bundle: the release module, the threaded one and the two relaxed-SIMD ones (required on demand)
  const cjsModules = embeddedModules(read("bptt.cjs"));
  expect(cjsModules.some((m) => m.equals(wasm)), "dist/bptt.cjs embeds dist/bptt.wasm").toBe(true);
  expect(cjsModules, "dist/bptt.cjs embeds the release, the threaded and the two relaxed-SIMD modules").toHaveLength(4);
  expect(embeddedModules(read("threads.js")), "bptt/threads embeds the threaded module only").toHaveLength(1);
  expect(embeddedModules(read("threads.js"))[0].equals(wasm), "the threaded module is another build").toBe(false);
  expect(closure("index.js")).not.toMatch(/^import[^;]*"\.\/threads\.js"/m); // loaded on demand, not with the main entry
  expect(embeddedModules(read("relaxed.js")), "bptt/relaxed embeds its two modules only").toHaveLength(2);
  expect(closure("index.js")).not.toMatch(/^import[^;]*"\.\/relaxed\.js"/m);
  expect(closure("index.js")).not.toMatch(/^import[^;]*"\.\/train\.js"/m); // trainer.fit() imports bptt/train on first use
  expect(embeddedWasm(closure("core.js")), "bptt/core embeds no module").toBeUndefined();
  // bptt/io brings the main entry (or, under workerd, the workerd entry) instead of a copy of the module
  expect(read("io.js")).toMatch(/^import "\.\/index\.js";$/m);
  expect(read("io.workerd.js")).toMatch(/^import "\.\/worker\.js";$/m);
  expect(embeddedWasm(read("io-lib.js")), "dist/io-lib.js carries no module of its own").toBeUndefined();
  expect(read("worker.js")).toMatch(/import \w+ from "\.\/bptt\.wasm"/);
  // the subpaths read the library from ./core.js instead of carrying a copy (a message only src/model.ts has)
  const modelOnly = "needs a forward() first";
  expect(read("core.js")).toContain(modelOnly);
  // bptt/worker/client, the page side of bptt/worker, is a file of its own: no library, no Wasm, no import
  expect(read("worker-client.js")).not.toContain(modelOnly);
  expect(read("worker-client.js")).not.toMatch(/\bimport\b/);
  expect(embeddedWasm(read("worker-client.js"))).toBeUndefined();
  for (const file of ["index.js", "io-lib.js", "js.js", "gradcheck.js", "train.js", "train-worker.js"]) {
    expect(read(file), file).not.toContain(modelOnly);
    expect(read(file), file).toMatch(/from"\.\/(core|index)\.js"/);
  }
});

test("bptt/io on its own (ESM and CommonJS) brings the Wasm with it: a PyTorch-named file loads and runs with nothing else imported", async () => {
  const dir = consumerDir();
  const { writeFileSync } = await import("node:fs");
  const script = `const tensors = [["rnn.weight_ih_l0", [6, 4]], ["rnn.weight_hh_l0", [6, 2]], ["rnn.bias_ih_l0", [6]], ["rnn.bias_hh_l0", [6]], ["head.weight", [4, 2]], ["head.bias", [4]]]
  .map(([name, shape]) => ({ name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.1) }));
const { model } = loadModel(encodeSafetensors(tensors), { config: { cell: "gru", inputSize: 4, hiddenSize: 2 } });
const again = loadModel(saveModel(model)).model;
console.log(JSON.stringify({ backend: again.backendName, loss: again.forward({ batchSize: 1, seqLen: 2, inputs: [0, 1], targets: [1, 2] }).loss }));`;
  writeFileSync(join(dir, "io-only.mjs"), `import { encodeSafetensors, loadModel, saveModel } from "bptt/io";\n${script}`);
  writeFileSync(join(dir, "io-only.cjs"), `const { encodeSafetensors, loadModel, saveModel } = require("bptt/io");\n${script}`);
  for (const file of ["io-only.mjs", "io-only.cjs"]) {
    const result = JSON.parse(await run(process.execPath, [file], dir));
    expect(result.backend, file).toBe("wasm");
    expect(result.loss, file).toBeGreaterThan(0);
  }
});

test("ESM: backend \"js\" without bptt/js is a clear INVALID_ARGUMENT error; after importing bptt/js it works", async () => {
  const script = (imports: string) => `${imports}
let without;
try { new RNN({ inputSize: 3, hiddenSize: 2, backend: "js" }); } catch (e) { without = { code: e.code, message: e.message }; }
await import("bptt/js");
const model = new RNN({ inputSize: 3, hiddenSize: 2, backend: "js" });
const loss = model.forward({ batchSize: 1, seqLen: 2, inputs: [0, 1], targets: [1, 2] }).loss;
console.log(JSON.stringify({ without, backend: model.backendName, loss }));`;
  const dir = consumerDir();
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(dir, "js-backend-esm.mjs"), script('import { RNN } from "bptt";'));
  const esm = JSON.parse(await run(process.execPath, ["js-backend-esm.mjs"], dir));
  expect(esm.without.code).toBe("INVALID_ARGUMENT");
  expect(esm.without.message).toContain('import "bptt/js"');
  expect(esm.backend).toBe("js");
  expect(esm.loss).toBeGreaterThan(0);
});

test("CommonJS: require(\"bptt/js\") makes backend \"js\" available to require(\"bptt\"), and bptt/io loads instances of its RNN", async () => {
  const dir = consumerDir();
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(dir, "js-backend.cjs"), `const { RNN } = require("bptt");
let without;
try { new RNN({ inputSize: 3, hiddenSize: 2, backend: "js" }); } catch (e) { without = e.code; }
require("bptt/js");
const { saveModel, loadModel } = require("bptt/io");
const model = new RNN({ inputSize: 3, hiddenSize: 2, backend: "js" });
const { model: loaded } = loadModel(saveModel(model), { backend: "js" });
console.log(JSON.stringify({ without, backend: loaded.backendName, shared: loaded instanceof RNN }));`);
  expect(JSON.parse(await run(process.execPath, ["js-backend.cjs"], dir))).toEqual({ without: "INVALID_ARGUMENT", backend: "js", shared: true });
});

test("types: a TypeScript consumer of every subpath type-checks under moduleResolution bundler, node16 and node (node10: through typesVersions)", async () => {
  const dir = consumerDir();
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(dir, "typed-consumer.ts"), `import { RNN, Trainer, generate, type RNNOptions } from "bptt";
import { loadModel, saveModel } from "bptt/io";
import { JsBackend } from "bptt/js";
import { gradientCheck } from "bptt/gradcheck";
import { fit, evaluate, TokenStreams, type FitHistory } from "bptt/train";
import { serveTraining } from "bptt/worker";
import { init } from "bptt/core";
import * as threads from "bptt/threads"; // side effects only: resolved, or TS2307
import * as relaxed from "bptt/relaxed";
import { LearningRateSchedule } from "bptt/train";
import type { TrainingJob } from "bptt/worker";
import { trainInWorker, type TrainingResult } from "bptt/worker/client";
const job: TrainingJob = { trainer: { optimizer: "sgd", learningRate: 0.1 }, data: [0, 1, 2], batchSize: 1, seqLen: 2, steps: 1, schedule: "cosine" };
const rate: number = new LearningRateSchedule("constant", 0.1).rate(1);
const page = (worker: Worker): Promise<TrainingResult> => trainInWorker(worker, job);
const options: RNNOptions = { inputSize: 3, hiddenSize: 4, backend: "js", bias: false };
const model = new RNN(options);
const trainer = new Trainer(model, { optimizer: "adam", learningRate: 0.01, clipNorm: 1 });
const bytes: Uint8Array = saveModel(model);
const { model: loaded } = loadModel(bytes);
const worst: number = gradientCheck(loaded, { batchSize: 1, seqLen: 1, inputs: [0], targets: [1] })[0].maxRelativeError;
const tokens: number[] = generate(loaded, { prompt: [0], length: 3 });
// @ts-expect-error an unknown option is a type error
new RNN({ inputSize: 3, hiddenSize: 4, hidden: 5 });
const history: Promise<FitHistory> = fit(trainer, new TokenStreams([0, 1, 2, 1, 0, 2], { batchSize: 1, seqLen: 2 }), { steps: 2, schedule: "cosine" });
const bits: number | null = evaluate(model, { batchSize: 1, seqLen: 1, inputs: [0], targets: [1] }).bitsPerToken;
// @ts-expect-error Adam has no momentum
new Trainer(model, { optimizer: "adam", momentum: 0.9 });
// @ts-expect-error SGD needs a learning rate
new Trainer(model, { optimizer: "sgd" });
// @ts-expect-error @internal members are not in the published types
trainer.carriedState();
void [worst, tokens, trainer, JsBackend, serveTraining, init, history, bits, threads, relaxed, job, rate, page];
`);
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  // node10 ("node") reads no exports map: the subpaths resolve through package.json's typesVersions
  for (const [module, resolution] of [["esnext", "bundler"], ["node16", "node16"], ["commonjs", "node10"]]) {
    await run(process.execPath, [tsc, "--noEmit", "--strict", "--target", "es2022", "--module", module, "--moduleResolution", resolution, "--lib", "es2022,dom", "typed-consumer.ts"], dir);
  }
});
