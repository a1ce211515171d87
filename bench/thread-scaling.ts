/**
 * Time per training step of one workload at 1 and 2 (or more) threads, interleaved, and where
 * the time goes per kernel at each count (wall clock around each kernel call on the main thread).
 *   node bench/build.mjs && node build/thread-scaling.mjs W3 [threads=2] [rounds=7] [hidden]
 * (hidden: the workload at another H, e.g. W2 1024 for the B = 1 crossover)
 */
import { init, shutdown } from "../src/index.js";
import { seconds, spread } from "./stats.js";
import { makeBatches, makeModel, makeTrainer, workloads, type TrainingWorkload } from "./workloads.js";

const id = process.argv[2] ?? "W3";
const most = Number(process.argv[3] ?? 2);
const rounds = Number(process.argv[4] ?? 7);
const listed = workloads.find((x) => x.id === id) as TrainingWorkload;
const w = process.argv[5] === undefined ? listed : { ...listed, H: Number(process.argv[5]) };
const counts = [1, most];
const got = await init({ threads: most });
if (got !== most) throw new Error(`asked for ${most} threads, got ${got}`);
await init({ threads: 1 });
const model = makeModel(w, "wasm");
const trainer = makeTrainer(w, model);
const batches = makeBatches(w);
let n = 0;
const step = () => { trainer.step(batches[n]); n = (n + 1) % batches.length; };

// per-kernel wall time, by wrapping the backend's methods
const be = model.internals().backend as unknown as Record<string, (...a: number[]) => number>;
const time = new Map<string, number>();
let profiling = false;
for (const name of Object.keys(be).concat(Object.getOwnPropertyNames(Object.getPrototypeOf(be)))) {
  const f = be[name];
  if (typeof f !== "function" || name === "constructor" || name === "reserve" || name === "dispose") continue;
  be[name] = (...a: number[]) => {
    if (!profiling) return f.apply(be, a);
    const t0 = seconds();
    const r = f.apply(be, a);
    time.set(name, (time.get(name) ?? 0) + seconds() - t0);
    return r;
  };
}
const perStep = new Map<number, number[]>(counts.map((c) => [c, []]));
for (const c of counts) { await init({ threads: c }); for (let i = 0; i < 10; i++) step(); }
for (let r = 0; r < rounds; r++) {
  for (const c of counts) {
    await init({ threads: c });
    step();
    const t0 = seconds();
    const calls = 10;
    for (let i = 0; i < calls; i++) step();
    perStep.get(c)!.push((seconds() - t0) / calls);
  }
}
const ms = (s: number) => (s * 1e3).toFixed(2);
for (const c of counts) console.log(`${c} thread(s): ${ms(spread(perStep.get(c)!).median)} ms/step (min ${ms(spread(perStep.get(c)!).min)}; rounds ${perStep.get(c)!.map(ms).join(" ")})`);
console.log(`speed-up ${(spread(perStep.get(1)!).median / spread(perStep.get(most)!).median).toFixed(2)}×`);
for (const c of counts) {
  await init({ threads: c });
  time.clear();
  profiling = true;
  const t0 = seconds();
  for (let i = 0; i < 20; i++) step();
  const total = seconds() - t0;
  profiling = false;
  const rows = [...time.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
  console.log(`\n${c} thread(s): ${ms(total / 20)} ms/step; kernels: ` + rows.map(([k, v]) => `${k} ${ms(v / 20)}`).join(", ") + `; outside ${ms((total - rows.reduce((s, [, v]) => s + v, 0)) / 20)}`);
}
shutdown();
