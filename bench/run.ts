/**
 * `npm run bench [-- --quick]`: throughput of training (forward + full BPTT + SGD) and generation
 * on the Wasm and the pure-TS backends, measured in one run against a register-only SIMD peak
 * probe, plus memory figures. Prints Markdown; the full run also writes bench/RESULTS.md.
 *
 * Order: environment → peak probe → backend agreement checks (exit 1 on disagreement) →
 * per workload: warm up both backends, then time their blocks interleaved (wasm, js, wasm, js, …)
 * so that load from other processes hits both alike → TensorFlow.js (cpu and wasm backends) on
 * the same workloads, after checking its first loss against bptt's (bench/tfjs.ts) → memory report.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PROBABILITY_TOLERANCE, RELATIVE_TOLERANCE, checkGeneration, checkTraining, type CheckResult } from "./check.js";
import { referenceFlopsPerToken } from "./flops.js";
import { heapGrowth, minimumBytes, modelBytes } from "./memory.js";
import { Trainer } from "../src/index.js";
import { handwrittenRunner, handwrittenTrainer } from "./handwritten.js";
import { peakProbe } from "./peak.js";
import { loadTf, tfGenerationRunner, tfTrainingRunner, type TfBackendName, type TfRunner } from "./tfjs.js";
import { spread, timeBlock, warmUp, type Spread, type TimingPlan } from "./stats.js";
import {
  SAMPLE_SEED, describeWorkload, flopsPerToken, gatesOf, generationRunner, makeBatches, makeModel, tokensPerCall, trainingRunner, workloads,
  type Backend, type GenerationWorkload, type Runner, type TrainingWorkload,
} from "./workloads.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const write = !quick && !args.includes("--no-write");
for (const a of args) {
  if (!["--quick", "--no-write"].includes(a)) {
    console.error(`bench: unknown option ${a}; expected --quick and/or --no-write`);
    process.exit(2);
  }
}

const plan: TimingPlan = quick
  ? { warmupSeconds: 0.3, warmupCalls: 20, minWarmupCalls: 2, repetitions: 5, blockSeconds: 0.1 }
  : { warmupSeconds: 1, warmupCalls: 20, minWarmupCalls: 3, repetitions: 7, blockSeconds: 0.5 };
const HEAP_STEPS = 1000;

const log = (s: string) => process.stderr.write(s + "\n");
const backends: Backend[] = ["wasm", "js"];

// ---------------------------------------------------------------- environment

const cpuList = cpus();
const env = {
  date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  cpu: `${cpuList[0]?.model ?? "unknown CPU"} (${cpuList.length} logical cores; one is used)`,
  node: process.versions.node,
  v8: process.versions.v8,
  platform: `${process.platform} ${process.arch}`,
  mode: quick ? "--quick" : "full",
  /** 1-minute load average when the run started: above ~1 on this 2-core machine, other processes compete for the core. */
  loadAtStart: loadavg()[0],
};

// ---------------------------------------------------------------- checks before timing

const checks: CheckResult[] = [];
for (const w of workloads) {
  if (w.kind === "train") checks.push(...checkTraining(w));
  else if (w.kind === "generate") checks.push(...checkGeneration(w));
}
for (const c of checks) {
  log(`check ${c.id} ${c.what}: wasm ${c.wasm.toPrecision(8)}, js ${c.js.toPrecision(8)}, difference ${c.difference.toExponential(2)} (< ${c.tolerance}) ${c.ok ? "ok" : "FAILED"}`);
}
const failed = checks.filter((c) => !c.ok);
if (failed.length > 0) {
  console.error(`bench: the Wasm and JS backends disagree on ${failed.map((c) => `${c.id} ${c.what} (difference ${c.difference.toExponential(2)} ≥ ${c.tolerance})`).join("; ")}; not timing a wrong answer`);
  process.exit(1);
}

// ---------------------------------------------------------------- peak probe

// The machine is shared: its speed drifts over a run. The probe therefore times one block at the
// start and then one more in every timing round of every workload, beside the workloads' blocks,
// and "% of peak" divides by the median of all its samples.
log("peak probe …");
const probe = peakProbe(quick ? 0.1 : 0.25);
const peakSamples: number[] = [];
for (let r = 0; r < plan.repetitions; r++) peakSamples.push(probe.sample());
log(`peak probe: ${spread(peakSamples).median.toFixed(1)} GFLOP/s at the start`);

// ---------------------------------------------------------------- throughput

/** "hand": bench/handwritten.ts, a plain Float32Array trainer written for this model only (training rows). */
type Contender = Backend | "hand";

interface Row {
  id: string;
  description: string;
  missing?: string;
  flopsPerToken?: number;
  tokensPerCall?: number;
  rates?: Record<Backend, Spread> & { hand?: Spread };
  calls?: Partial<Record<Contender, number>>;
}

function runner(w: TrainingWorkload | GenerationWorkload, backend: Contender): Pick<Runner, "call" | "dispose"> {
  if (backend === "hand") {
    const source = makeModel(w, "js"); // weights of the same seed, copied out
    const r = handwrittenRunner(source, makeBatches(w as TrainingWorkload), 0.01);
    source.dispose();
    return r;
  }
  return w.kind === "train" ? trainingRunner(w, backend) : generationRunner(w, backend);
}

// the hand-written trainer must compute what bptt computes: first loss and the loss after one step
const handChecks: { id: string; difference: number }[] = [];
for (const w of workloads) {
  if (w.kind !== "train" || gatesOf(w) !== 1) continue;
  const batches = makeBatches(w, 2);
  const mine = makeModel(w, "js"), source = makeModel(w, "js");
  const hand = handwrittenTrainer(source, 0.01, w.T, w.B);
  source.dispose();
  const trainer = new Trainer(mine, { learningRate: 0.01 });
  const a = [hand.step(batches[0]), hand.loss(batches[1])], b = [trainer.step(batches[0]).lossSum, mine.forward(batches[1]).loss];
  mine.dispose();
  const difference = Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.abs(b[i])));
  handChecks.push({ id: w.id, difference });
  log(`check ${w.id} hand-written JS vs bptt, first loss and loss after one SGD step: difference ${difference.toExponential(2)} ${difference < RELATIVE_TOLERANCE ? "ok" : "FAILED"}`);
  if (!(difference < RELATIVE_TOLERANCE)) {
    console.error(`bench: the hand-written trainer disagrees with bptt on ${w.id}; not timing it`);
    process.exit(1);
  }
}

const rows: Row[] = [];
for (const w of workloads) {
  if (w.kind === "missing") {
    rows.push({ id: w.id, description: w.description, missing: w.reason });
    continue;
  }
  log(`${w.id} (${describeWorkload(w)}) …`);
  const units = tokensPerCall(w);
  // the hand-written trainer is a vanilla RNN only
  const contenders: Contender[] = w.kind === "train" && gatesOf(w) === 1 ? [...backends, "hand"] : backends;
  const prepared = contenders.map((b) => {
    const r = runner(w, b);
    const { calls } = warmUp(r.call, plan);
    return { backend: b, runner: r, calls, samples: [] as number[] };
  });
  for (let rep = 0; rep < plan.repetitions; rep++) {
    for (const p of prepared) p.samples.push(timeBlock(p.runner.call, p.calls, units));
    peakSamples.push(probe.sample());
  }
  for (const p of prepared) p.runner.dispose();
  const rates = Object.fromEntries(prepared.map((p) => [p.backend, spread(p.samples)])) as Record<Backend, Spread> & { hand?: Spread };
  const calls = Object.fromEntries(prepared.map((p) => [p.backend, p.calls]));
  rows.push({ id: w.id, description: describeWorkload(w), flopsPerToken: flopsPerToken(w), tokensPerCall: units, rates, calls });
  log(`  wasm ${fmtRate(rates.wasm)} tokens/s, js ${fmtRate(rates.js)} tokens/s${rates.hand ? `, hand-written js ${fmtRate(rates.hand)} tokens/s` : ""}`);
}

// ---------------------------------------------------------------- TensorFlow.js

/**
 * tf.js on the same workloads, one backend after the other (switching backends moves every
 * tensor, so its blocks cannot interleave with bptt's). Weights come from a bptt model of the
 * same seed; the first loss (training) or the next-token probabilities (generation) must agree
 * with bptt's before timing. tf.js's cpu backend needs seconds per W3 step, so the quick run
 * times W1 and W5 only; timing: ≥ 2 warm-up calls, 5 blocks of ≥ blockSeconds (≥ 1 call).
 */
const tfPlan: TimingPlan = { ...plan, warmupSeconds: Math.min(plan.warmupSeconds, 0.5), warmupCalls: 5, minWarmupCalls: 2, repetitions: 5 };
const TF_GENERATE_LENGTH = 100;
const tfBackends: TfBackendName[] = ["cpu", "wasm"];
interface TfRow {
  id: string;
  rates: Partial<Record<TfBackendName, Spread>>;
  notes: Partial<Record<TfBackendName, string>>;
}
const tfRows: TfRow[] = [];
const tfChecks: { id: string; backend: TfBackendName; what: string; difference: number; ok: boolean }[] = [];
log("TensorFlow.js …");
const tfSetup = await loadTf();
for (const w of workloads) {
  const row: TfRow = { id: w.id, rates: {}, notes: {} };
  tfRows.push(row);
  for (const b of tfBackends) {
    if (w.kind === "missing") {
      row.notes[b] = w.reason;
      continue;
    }
    if (tfSetup.tf === null || tfSetup.unavailable[b] !== null) {
      row.notes[b] = `unavailable: ${tfSetup.unavailable[b]}`;
      continue;
    }
    if (quick && w.id !== "W1" && w.kind === "train") {
      row.notes[b] = "full run only";
      continue;
    }
    if (w.kind === "train" && gatesOf(w) !== 1) {
      row.notes[b] = "not compared (bench/tfjs.ts builds a SimpleRNN)";
      continue;
    }
    const tf = tfSetup.tf;
    await tf.setBackend(b);
    const model = makeModel(w, "wasm");
    let r: TfRunner;
    let units: number;
    if (w.kind === "train") {
      const batches = makeBatches(w);
      r = tfTrainingRunner(tf, model, batches, 0.01);
      units = w.T * w.B;
      const mine = model.forward(batches[0]).loss, theirs = r.firstLoss();
      const difference = Math.abs(mine - theirs) / Math.abs(mine);
      tfChecks.push({ id: w.id, backend: b, what: "first loss", difference, ok: difference < RELATIVE_TOLERANCE });
    } else {
      const g = tfGenerationRunner(tf, model, TF_GENERATE_LENGTH, SAMPLE_SEED);
      r = g;
      units = TF_GENERATE_LENGTH;
      const tokens = Array.from({ length: 20 }, (_, t) => (t * 7) % w.V);
      const theirs = g.probabilities(tokens);
      model.resetState(1);
      let worst = 0;
      tokens.forEach((token, t) => {
        const p = model.stepProbabilities(token, 1);
        for (let v = 0; v < w.V; v++) worst = Math.max(worst, Math.abs(p[v] - theirs[t][v]));
      });
      tfChecks.push({ id: w.id, backend: b, what: "max |Δp| over 20 steps", difference: worst, ok: worst < PROBABILITY_TOLERANCE });
    }
    const check = tfChecks[tfChecks.length - 1];
    log(`check ${w.id} tf.js-${b} ${check.what} vs bptt: difference ${check.difference.toExponential(2)} ${check.ok ? "ok" : "FAILED"}`);
    if (!check.ok) {
      console.error(`bench: tf.js (${b}) and bptt disagree on ${w.id} ${check.what} (difference ${check.difference.toExponential(2)}); not timing a different computation`);
      process.exit(1);
    }
    const { calls } = warmUp(r.call, tfPlan);
    const samples: number[] = [];
    for (let rep = 0; rep < tfPlan.repetitions; rep++) {
      samples.push(timeBlock(r.call, calls, units));
      peakSamples.push(probe.sample());
    }
    r.dispose();
    model.dispose();
    row.rates[b] = spread(samples);
    log(`  ${w.id} tf.js-${b} ${fmtRate(row.rates[b]!)} tokens/s`);
  }
}

// ---------------------------------------------------------------- memory

log("memory …");
interface MemoryRow {
  id: string;
  inUse: number;
  reserved: number;
  minimum: ReturnType<typeof minimumBytes>;
}
const memoryRows: MemoryRow[] = [];
for (const w of workloads) {
  if (w.kind !== "train") continue;
  const r = trainingRunner(w, "wasm");
  r.call();
  memoryRows.push({ id: w.id, ...modelBytes(r.model), minimum: minimumBytes(w) });
  r.dispose();
}
const heapWorkload = workloads.find((w): w is TrainingWorkload => w.id === "W1" && w.kind === "train")!;
// Rounds of 1,000 steps after a 200-step warm-up: the first rounds still include V8's one-off
// allocations (feedback vectors, optimised code); a leak would show as growth in every round.
// The JS backend's rounds take several seconds each: two, and in the full run only.
const heap = (quick ? (["wasm"] as Backend[]) : backends).map((b) => {
  const r = trainingRunner(heapWorkload, b);
  for (let i = 0; i < 200; i++) r.call();
  const rounds = Array.from({ length: b === "wasm" ? 3 : 2 }, () => heapGrowth(r.call, HEAP_STEPS));
  r.dispose();
  return { backend: b, rounds };
});

// ---------------------------------------------------------------- report

function fmtInt(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}
function sig(x: number, digits = 3): string {
  if (x >= 10 ** digits) return fmtInt(x);
  return Number(x.toPrecision(digits)).toLocaleString("en-US", { maximumFractionDigits: 6 });
}
function fmtRate(s: Spread): string {
  return `${sig(s.median)} (${sig(s.min)}–${sig(s.max)})`;
}
function signed(x: number, unit: string): string {
  return `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(1)}${unit}`;
}
function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

const peak = { gflops: spread(peakSamples) };
const peakGflops = peak.gflops.median;
const lines: string[] = [];
lines.push(`# bptt benchmark`);
lines.push("");
lines.push(`- date: ${env.date}`);
lines.push(`- CPU: ${env.cpu}`);
lines.push(`- Node ${env.node}, V8 ${env.v8}, ${env.platform}`);
lines.push(`- 1-minute load average at start ${env.loadAtStart.toFixed(2)}, at end ${loadavg()[0].toFixed(2)} (other processes share the ${cpuList.length} cores; the peak probe runs under the same conditions)`);
lines.push(`- mode: ${env.mode} — warm-up ≥ ${plan.minWarmupCalls} calls, up to ${plan.warmupCalls} calls or ${plan.warmupSeconds} s; ${plan.repetitions} timed blocks of ≥ ${plan.blockSeconds} s per backend, Wasm and JS blocks interleaved`);
lines.push(`- peak probe (f32x4 mul+add in registers, 12 accumulators; ${peakSamples.length} blocks spread over the run, one per timing round): **${peakGflops.toFixed(1)} GFLOP/s** median (min–max ${peak.gflops.min.toFixed(1)}–${peak.gflops.max.toFixed(1)}); "% peak" divides by the median`);
lines.push(`- checked before timing: Wasm and JS agree on the first loss and first gradient norm (relative difference < 1e-4) and on next-token probabilities (< 1e-5): ` +
  checks.map((c) => `${c.id} ${c.difference.toExponential(1)}`).join(", "));
lines.push("");
lines.push("Tokens/s: median (min–max) over the timed blocks. GFLOP/s and % of peak from the median. FLOP/token counts matrix products only, a multiply–add = 2 FLOPs:");
lines.push("training 6·H·(H+V) (forward W_hh h, W_hy h; backward dW_hh, W_hhᵀδ, dW_hy, W_hyᵀdy; the one-hot W_ih x is a gather, 0 FLOPs); for the LSTM (W4, four gate blocks) 6·H·(4H+V); generation 2·H·(H+V) — see bench/flops.ts.");
lines.push("");
lines.push("| workload | setup | FLOP/token | Wasm tokens/s | Wasm GFLOP/s | Wasm % peak | JS tokens/s | JS GFLOP/s | JS % peak | Wasm/JS | hand-written JS tokens/s | JS / hand-written |");
lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  if (r.missing !== undefined) {
    lines.push(`| ${r.id} | ${r.description} | — | ${r.missing} | — | — | — | — | — | — | — | — |`);
    continue;
  }
  const f = r.flopsPerToken!, rw = r.rates!.wasm, rj = r.rates!.js;
  const gw = (rw.median * f) / 1e9, gj = (rj.median * f) / 1e9;
  lines.push(`| ${r.id} | ${r.description} | ${fmtInt(f)} | ${fmtRate(rw)} | ${sig(gw)} | ${sig((100 * gw) / peakGflops)} % | ${fmtRate(rj)} | ${sig(gj)} | ${sig((100 * gj) / peakGflops)} % | ${(rw.median / rj.median).toFixed(1)}× | ${r.rates!.hand ? fmtRate(r.rates!.hand) : "— (training only)"} | ${r.rates!.hand ? `${(rj.median / r.rates!.hand.median).toFixed(2)}×` : "—"} |`);
}
lines.push("");
lines.push("Hand-written JS: bench/handwritten.ts, a plain Float32Array trainer for exactly this model (one array per tensor, per-token loops as one writes them by hand), " +
  "timed in the same interleaved rounds; it agrees with bptt on the first loss and the loss after one SGD step (" + handChecks.map((c) => `${c.id} ${c.difference.toExponential(1)}`).join(", ") + "). " +
  "It is the yardstick for the pure-TS backend being a fair baseline.");
lines.push("");
lines.push("### Against TensorFlow.js");
lines.push("");
lines.push(`TensorFlow.js ${tfSetup.version} on the same model, data and SGD (bench/tfjs.ts): its \`cpu\` backend and \`@tensorflow/tfjs-backend-wasm\` (${tfSetup.wasmFeatures}), ` +
  "timed one backend after the other; a training call is `optimizer.minimize` (forward on the tape, autodiff backward, SGD update) + `dataSync()` of the loss, a generation call " +
  `${TF_GENERATE_LENGTH} tokens of step + softmax + \`dataSync()\` + bptt's sampler. Weights copied from bptt; checked first: ` +
  tfChecks.map((c) => `${c.id} ${c.backend} ${c.difference.toExponential(1)}`).join(", ") + ". " +
  "On the wasm backend the one-hot input is a one-hot matMul (it has no gradient kernel for gather), extra work bptt does not do. " +
  `Median (min–max) of ${tfPlan.repetitions} blocks${quick ? "; the quick run times W1 and W5 only" : ""}.`);
lines.push("");
lines.push("| workload | tf.js cpu tokens/s | tf.js cpu % peak | tf.js wasm tokens/s | tf.js wasm % peak | bptt Wasm / tf.js wasm | bptt Wasm / tf.js cpu | bptt JS / tf.js wasm |");
lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const t of tfRows) {
  const r = rows.find((x) => x.id === t.id)!;
  const cell = (b: TfBackendName) => t.rates[b] ? fmtRate(t.rates[b]!) : t.notes[b] ?? "—";
  const pct = (b: TfBackendName) => t.rates[b] && r.flopsPerToken ? `${sig((100 * t.rates[b]!.median * r.flopsPerToken) / 1e9 / peakGflops)} %` : "—";
  const ratio = (x: Spread | undefined, y: Spread | undefined) => x && y ? `${sig(x.median / y.median)}×` : "—";
  lines.push(`| ${t.id} | ${cell("cpu")} | ${pct("cpu")} | ${cell("wasm")} | ${pct("wasm")} | ${ratio(r.rates?.wasm, t.rates.wasm)} | ${ratio(r.rates?.wasm, t.rates.cpu)} | ${ratio(r.rates?.js, t.rates.wasm)} |`);
}
lines.push("");
lines.push("FLOP/token against the issue's reference figures: " +
  rows.filter((r) => r.flopsPerToken !== undefined && referenceFlopsPerToken[r.id] !== undefined)
    .map((r) => `${r.id} ${fmtInt(r.flopsPerToken!)} vs ≈ ${fmtInt(referenceFlopsPerToken[r.id])} (${((100 * (r.flopsPerToken! - referenceFlopsPerToken[r.id])) / referenceFlopsPerToken[r.id]).toFixed(1)} %)`).join(", ") + ".");
lines.push("");
lines.push("## Memory");
lines.push("");
lines.push("Wasm arena in use (`model.memoryBytes`, after one training step) against the theoretical minimum of one window of full BPTT with plain SGD:");
lines.push("4 bytes × [ 2·P (parameters + gradients) + 0 (SGD state) + (T+1)·B·H (h_0…h_T) + T·B·V (logits → ∂E/∂logits in place) + 2·T·B (ids) + B·H (running δ) ], P = 2·V·H + H·H + 2·H + V.");
lines.push("");
lines.push("| workload | parameters | gradients | optimizer | activations | minimum | Wasm in use | in use / minimum | Wasm memory reserved |");
lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const m of memoryRows) {
  const n = m.minimum;
  lines.push(`| ${m.id} | ${kib(n.parameters)} | ${kib(n.gradients)} | ${kib(n.optimizer)} | ${kib(n.activations)} | ${kib(n.total)} | ${kib(m.inUse)} | ${(m.inUse / n.total).toFixed(2)}× | ${kib(m.reserved)} |`);
}
lines.push("");
for (const h of heap) {
  const gc = h.rounds[0].gcAvailable ? "full GC before and after each round" : "no --expose-gc, so no GC between rounds: an upper bound";
  lines.push(`- JS heap growth (\`heapUsed\`) of W1 training on the ${h.backend} backend, consecutive rounds of ${fmtInt(HEAP_STEPS)} steps after 200 warm-up steps (${gc}): ` +
    h.rounds.map((g) => `${signed(g.growth / 1024, " KiB")} (${signed(g.growth / g.steps, " B/step")})`).join(", ") +
    `; heapUsed ${kib(h.rounds[0].before)} → ${kib(h.rounds[h.rounds.length - 1].after)}`);
}
const report = lines.join("\n") + "\n";
process.stdout.write("\n" + report);
if (write) {
  const out = join(dirname(fileURLToPath(import.meta.url)), "..", "bench", "RESULTS.md");
  writeFileSync(out, report.replace("# bptt benchmark", "# bptt benchmark results\n\nProduced by `npm run bench` (full run); `npm run bench -- --quick` prints a shorter run without writing this file."));
  log(`wrote ${out}`);
}
