/**
 * A/B of two Wasm builds of the kernels on the benchmark workloads, timed side by side in one
 * process: blocks of A and B alternate, so machine noise (shared cores) falls on both alike. Prints
 * the median tokens/s of each build and the median of the per-round ratios B/A.
 *
 *   node bench/build.mjs && node build/compare-builds.mjs a.wasm b.wasm [W1,W3,...] [rounds]
 *
 * Use it to decide a compiler flag or a kernel change: the full `npm run bench` compares backends,
 * not two builds of the same backend.
 */
import { readFileSync } from "node:fs";
import { RNN, Random, Trainer, generate } from "../src/index.js";
import { spread, timeBlock, warmUp } from "./stats.js";
import { MODEL_SEED, SAMPLE_SEED, makeBatches, tokensPerCall, workloads, type GenerationWorkload, type TrainingWorkload } from "./workloads.js";

const [pathA, pathB, ids = "W1,W2,W3,W4,W5", roundsArg = "7"] = process.argv.slice(2);
if (pathA === undefined || pathB === undefined) {
  console.error("usage: node build/compare-builds.mjs a.wasm b.wasm [W1,W3,...] [rounds]");
  process.exit(2);
}
const modules = [pathA, pathB].map((p) => new WebAssembly.Module(readFileSync(p)));
const rounds = Number(roundsArg);
const plan = { warmupSeconds: 0.5, warmupCalls: 20, minWarmupCalls: 3, repetitions: rounds, blockSeconds: 0.3 };

function runner(w: TrainingWorkload | GenerationWorkload, wasmModule: WebAssembly.Module): () => void {
  const model = new RNN({
    cell: w.kind === "train" ? (w.cell ?? "rnn") : "rnn",
    inputSize: w.V, hiddenSize: w.H, loss: "cross-entropy", seed: MODEL_SEED, backend: "wasm", wasmModule,
  });
  if (w.kind === "generate") {
    const rng = new Random(SAMPLE_SEED);
    return () => void generate(model, { prompt: [0], length: w.length, seed: rng });
  }
  const trainer = new Trainer(model, { learningRate: 0.01 });
  const batches = makeBatches(w);
  let n = 0;
  return () => {
    trainer.step(batches[n]);
    n = (n + 1) % batches.length;
  };
}

console.log(`A = ${pathA} (${readFileSync(pathA).length} B), B = ${pathB} (${readFileSync(pathB).length} B), ${rounds} rounds`);
console.log("| workload | A tokens/s | B tokens/s | B/A (median of rounds, min–max) |\n| --- | ---: | ---: | ---: |");
for (const w of workloads) {
  if (w.kind === "missing" || !ids.split(",").includes(w.id)) continue;
  const calls = modules.map((m) => runner(w, m));
  const sizes = calls.map((call) => warmUp(call, plan).calls);
  const a: number[] = [], b: number[] = [], ratio: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // alternate which build goes first, so neither always follows the other
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    const got: number[] = [];
    for (const i of order) got[i] = timeBlock(calls[i], sizes[i], tokensPerCall(w));
    a.push(got[0]);
    b.push(got[1]);
    ratio.push(got[1] / got[0]);
  }
  const q = spread(ratio);
  console.log(`| ${w.id} | ${spread(a).median.toFixed(0)} | ${spread(b).median.toFixed(0)} | ${q.median.toFixed(3)} (${q.min.toFixed(2)}–${q.max.toFixed(2)}) |`);
}
