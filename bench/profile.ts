/**
 * `node build/profile.mjs [W1|W2|W3|W5] [wasm|js]`: where one workload's time goes, per kernel.
 * Wraps every kernel method of the model's backend with a clock (≈ 0.1 µs per call of overhead,
 * stated in the output), runs warmed-up steps, and prints each kernel's share of the step time;
 * "outside kernels" is the façade's own work (validation, staging, the trainer's bookkeeping).
 */
import { seconds } from "./stats.js";
import { generationRunner, trainingRunner, workloads, type Backend } from "./workloads.js";

const id = process.argv[2] ?? "W1";
const backend = (process.argv[3] ?? "wasm") as Backend;
const w = workloads.find((x) => x.id === id);
if (w === undefined || w.kind === "missing") throw new Error(`profile: no runnable workload ${id}`);
const runner = w.kind === "train" ? trainingRunner(w, backend) : generationRunner(w, backend);
const be = runner.model.internals().backend as unknown as Record<string, (this: unknown, ...a: number[]) => number>;
const time = new Map<string, number>(), calls = new Map<string, number>();
const names = ["matmulNT", "matmulNN", "matmulTN", "packRowGroups", "fill", "copy", "scale", "clipByValue", "sumSquares", "linearForward", "linearBackward",
  "crossEntropy", "mse", "softmax", "rnnForward", "rnnBackward", "lstmForward", "lstmBackward", "gruForward", "gruBackward", "sgdStep"];
for (const name of names) {
  const f = be[name];
  be[name] = (...a: number[]) => {
    const t0 = seconds();
    const r = f.apply(be, a);
    time.set(name, (time.get(name) ?? 0) + seconds() - t0);
    calls.set(name, (calls.get(name) ?? 0) + 1);
    return r;
  };
}
for (let i = 0; i < 200; i++) runner.call();
time.clear();
calls.clear();
const steps = w.kind === "train" ? Math.max(200, Math.round(2e8 / (w.H * w.H * w.T * w.B))) : 20;
const t0 = seconds();
for (let i = 0; i < steps; i++) runner.call();
const total = seconds() - t0;
let inKernels = 0;
const rows = [...time].sort((a, b) => b[1] - a[1]).map(([name, t]) => {
  inKernels += t;
  return `${name.padEnd(16)} ${((1e6 * t) / steps).toFixed(1).padStart(9)} µs/call-unit ${(100 * t / total).toFixed(1).padStart(5)} %  (${(calls.get(name)! / steps).toFixed(0)} calls)`;
});
console.log(`${id} on ${backend}: ${((1e6 * total) / steps).toFixed(1)} µs per ${w.kind === "train" ? "step" : "generate call"} over ${steps}`);
console.log(rows.join("\n"));
console.log(`${"outside kernels".padEnd(16)} ${((1e6 * (total - inKernels)) / steps).toFixed(1).padStart(9)} µs ${(100 * (total - inKernels) / total).toFixed(1).padStart(5)} %`);
runner.dispose();
