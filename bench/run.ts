/**
 * `npm run bench [-- --quick]`: throughput of training (forward + full BPTT + the optimizer) and
 * generation on the Wasm and the pure-TS backends and against PyTorch and NumPy, measured in one run against a register-only SIMD peak
 * probe, plus memory figures. Prints Markdown; the full run also writes bench/RESULTS.md.
 *
 * Options: --quick (short blocks, fewer workloads for the slow contenders), --no-write, --only=W1,W6,…
 *
 * Order: environment → backend agreement checks (exit 1 on disagreement) → peak probe → bptt's
 * thread counts (bench/threads.ts) → the Python peers (bench/peers.ts: PyTorch at 1 and all
 * threads, hand-written NumPy; skipped with a note when not installed) → per workload: every
 * contender checked against bptt, warmed up, then timed in rounds of one block each (Wasm at each
 * thread count, JS, hand-written JS, the peers), so that load from other processes hits all alike
 * → TensorFlow.js (cpu and wasm backends), after checking its first loss against bptt's
 * (bench/tfjs.ts) → memory report.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PROBABILITY_TOLERANCE, RELATIVE_TOLERANCE, checkGeneration, checkTraining, type CheckResult } from "./check.js";
import { bpttContender, handContender, handwrittenFits, pythonContender, type Contender } from "./contenders.js";
import { referenceFlopsPerToken } from "./flops.js";
import { heapGrowth, minimumBytes, modelBytes } from "./memory.js";
import { handwrittenTrainer } from "./handwritten.js";
import { peakProbe } from "./peak.js";
import { peerContender, startPeers, type PeerContender, type PeerInfo, type PeerName, type Peers } from "./peers.js";
import { loadTf, tfGenerationRunner, tfTrainingRunner, type TfBackendName, type TfRunner } from "./tfjs.js";
import { spread, timeBlock, warmUp, type Spread, type TimingPlan } from "./stats.js";
import { endThreads, threadSupport, useThreads } from "./threads.js";
import {
  SAMPLE_SEED, describeWorkload, flopsPerToken, gatesOf, makeBatches, makeModel, makeTrainer, tokensPerCall, trainerSettings, trainingRunner, workloads as allWorkloads,
  type Backend, type GenerationWorkload, type TrainingWorkload,
} from "./workloads.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
const write = !quick && only === undefined && !args.includes("--no-write");
for (const a of args) {
  if (!["--quick", "--no-write"].includes(a) && !a.startsWith("--only=")) {
    console.error(`bench: unknown option ${a}; expected --quick, --no-write and/or --only=W1,W6,…`);
    process.exit(2);
  }
}
const unknown = only?.filter((id) => !allWorkloads.some((w) => w.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(`bench: --only names ${unknown.join(", ")}; the workloads are ${allWorkloads.map((w) => w.id).join(", ")}`);
  process.exit(2);
}
/** The workloads of this run: all, or those --only names. */
const workloads = only === undefined ? allWorkloads : allWorkloads.filter((w) => only.includes(w.id));

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
  cpu: `${cpuList[0]?.model ?? "unknown CPU"} (${cpuList.length} logical cores)`,
  node: process.versions.node,
  v8: process.versions.v8,
  platform: `${process.platform} ${process.arch}`,
  mode: quick ? "--quick" : "full",
  /** 1-minute load average when the run started: above ~1 on this 2-core machine, other processes compete for the core. */
  loadAtStart: loadavg()[0],
};

/**
 * With other processes holding cores, a multi-threaded run waits at every barrier for a thread the
 * OS has descheduled: PyTorch's two-thread steps were measured 4–80× slower than its one-thread
 * steps on this 2-core machine at load 3–5, and 1.3× faster than them a minute earlier. Say so
 * instead of presenting it as a result.
 */
const busyCores = env.loadAtStart > cpuList.length - 1;
const BUSY_NOTE = `the load average at start (${env.loadAtStart.toFixed(2)}) says other processes hold some of the ${cpuList.length} cores: the columns with more than one thread measure that contention, not the code`;
if (busyCores) log(`WARNING: ${BUSY_NOTE}`);

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

// ---------------------------------------------------------------- memory of the one-thread build

type ArenaBytes = ReturnType<typeof modelBytes>;
/** Arena bytes of every training workload's Wasm model after one step, by workload id. */
function arenaBytes(): Map<string, ArenaBytes> {
  const out = new Map<string, ArenaBytes>();
  for (const w of workloads) {
    if (w.kind !== "train") continue;
    const r = trainingRunner(w, "wasm");
    r.call();
    out.set(w.id, modelBytes(r.model));
    r.dispose();
  }
  return out;
}
// before anything asks for threads: models created afterwards use the threaded build
const singleMemory = arenaBytes();

// ---------------------------------------------------------------- threads and peers

/** Whether the Python process runs on no optimised BLAS (Debian's reference libblas, say). */
function referenceBlas(info: PeerInfo): boolean {
  return !info.libraries.some((l) => /openblas|mkl|blis|atlas|flexiblas/i.test(l));
}
const REFERENCE_BLAS_NOTE = "no optimised BLAS (OpenBLAS, MKL, BLIS) is loaded in the Python process: NumPy and PyTorch run 5–25× slower than they can, and their columns understate them (on Debian: apt-get install libopenblas0-openmp)";

const threads = await threadSupport();
log(threads.note === null ? `bptt threads: timing ${threads.counts.join(", ")}` : `bptt threads: one only (${threads.note})`);
const maxThreads = Math.max(...threads.counts);
const cores = availableParallelism();
/** Thread counts of PyTorch: one, and every core. NumPy runs with one (the issue's yardstick). */
const torchThreads = [...new Set([1, cores])];

const started = await startPeers();
const peers: Peers | null = typeof started === "string" ? null : started;
const peerNote = typeof started === "string" ? started : peers!.info.torch === undefined ? `PyTorch skipped: ${peers!.info.torchMissing}` : null;
if (peers === null) log(`peers skipped: ${peerNote}`);
else {
  const i = peers.info;
  log(`peers: Python ${i.python}, NumPy ${i.numpy}${i.torch ? `, PyTorch ${i.torch} (BLAS_INFO=${i.torchBlas}, CPU ${i.torchCpu})` : ` (${peerNote})`}; BLAS in use: ${i.libraries.join(", ") || "none found"}`);
  if (referenceBlas(i)) log(`peers: WARNING: ${REFERENCE_BLAS_NOTE}`);
}

// ---------------------------------------------------------------- hand-written check

// the hand-written trainer must compute what bptt computes: first loss and the loss after one step
const handChecks: { id: string; difference: number }[] = [];
for (const w of workloads) {
  if (w.kind === "missing" || !handwrittenFits(w)) continue;
  const batches = makeBatches(w, 2);
  const mine = makeModel(w, "wasm"), source = makeModel(w, "js");
  const hand = handwrittenTrainer(source, trainerSettings(w), w.T, w.B);
  source.dispose();
  const trainer = makeTrainer(w, mine);
  const a = [hand.step(batches[0]), hand.loss(batches[1])], b = [trainer.step(batches[0]).lossSum, mine.forward(batches[1]).loss];
  mine.dispose();
  const difference = Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.abs(b[i])));
  handChecks.push({ id: w.id, difference });
  log(`check ${w.id} hand-written JS vs bptt, first loss and loss after one step: difference ${difference.toExponential(2)} ${difference < RELATIVE_TOLERANCE ? "ok" : "FAILED"}`);
  if (!(difference < RELATIVE_TOLERANCE)) {
    console.error(`bench: the hand-written trainer disagrees with bptt on ${w.id}; not timing it`);
    process.exit(1);
  }
}

// ---------------------------------------------------------------- peers' check

interface PeerCheck {
  id: string;
  peer: PeerName;
  what: string;
  difference: number;
}
const peerChecks: PeerCheck[] = [];

/**
 * Set a Python peer up on a workload with the weights of bptt's model of the same seed, and check
 * it against bptt before timing: training, the summed loss of batch 0 and of batch 1 after one
 * step (optimizer, clipping and reduction included); generation, next-token probabilities.
 */
async function checkedPeer(p: Peers, peer: PeerName, w: TrainingWorkload | GenerationWorkload): Promise<PeerContender> {
  const model = makeModel(w, "wasm");
  const batches = w.kind === "train" ? makeBatches(w) : [];
  try {
    const c = await peerContender(p, peer, w, model, batches);
    let check: PeerCheck;
    if (w.kind === "train") {
      const first = model.forward(batches[0]).loss;
      makeTrainer(w, model).step(batches[0]);
      const second = model.forward(batches[1]).loss;
      const difference = Math.max(Math.abs(c.firstLoss! - first) / Math.abs(first), Math.abs(c.secondLoss! - second) / Math.abs(second));
      check = { id: w.id, peer, what: "first loss and loss after one step", difference };
    } else {
      model.resetState(1);
      let worst = 0;
      c.probabilities!.forEach((theirs, t) => {
        const p = model.stepProbabilities((7 * t) % w.V, 1);
        for (let v = 0; v < w.V; v++) worst = Math.max(worst, Math.abs(p[v] - theirs[v]));
      });
      check = { id: w.id, peer, what: "max |Δp| over 20 steps", difference: worst };
    }
    peerChecks.push(check);
    const tolerance = w.kind === "train" ? RELATIVE_TOLERANCE : PROBABILITY_TOLERANCE;
    const ok = check.difference < tolerance;
    log(`check ${w.id} ${peer} ${check.what} vs bptt: difference ${check.difference.toExponential(2)} (< ${tolerance}) ${ok ? "ok" : "FAILED"}`);
    if (!ok) {
      console.error(`bench: ${peer} and bptt disagree on ${w.id} ${check.what} (difference ${check.difference.toExponential(2)}); not timing a different computation`);
      process.exit(1);
    }
    return c;
  } finally {
    model.dispose();
  }
}

// ---------------------------------------------------------------- throughput

interface Row {
  id: string;
  description: string;
  missing?: string;
  flopsPerToken?: number;
  tokensPerCall?: number;
  /** By contender key (bench/contenders.ts): "wasm×1", "wasm×2", "js", "hand", "torch×1", "numpy×1", … */
  rates?: Record<string, Spread>;
  /** Why a contender has no figure on this row. */
  notes: Record<string, string>;
}

/** The JS backend and the hand-written trainer need about a second per call on the T·B = 2048 char-LM workloads: full run only. */
const jsInQuick = (w: TrainingWorkload | GenerationWorkload) => w.kind !== "train" || w.T * w.B < 2048;

const rows: Row[] = [];
for (const w of workloads) {
  if (w.kind === "missing") {
    rows.push({ id: w.id, description: w.description, missing: w.reason, notes: {} });
    continue;
  }
  log(`${w.id} (${describeWorkload(w)}) …`);
  const notes: Record<string, string> = {};
  const contenders: Contender[] = threads.counts.map((n) => bpttContender(w, "wasm", n, threads));
  if (!quick || jsInQuick(w)) contenders.push(bpttContender(w, "js", 1, threads));
  else notes.js = "full run only";
  if (!handwrittenFits(w)) notes.hand = w.kind === "generate" ? "training only" : "vanilla RNN only";
  else if (!quick || jsInQuick(w)) contenders.push(handContender(w));
  else notes.hand = "full run only";
  const peerSetups: PeerContender[] = [];
  for (const peer of ["torch", "numpy"] as PeerName[]) {
    if (peers === null || !peers.available.includes(peer)) {
      notes[peer] = peers === null ? "skipped" : "not installed";
      continue;
    }
    if (peer === "numpy" && w.kind === "train" && (w.bidirectional || w.embedding)) {
      notes[peer] = "unidirectional, one-hot only";
      continue;
    }
    const c = await checkedPeer(peers, peer, w);
    peerSetups.push(c);
    for (const n of peer === "torch" ? torchThreads : [1]) contenders.push(pythonContender(peer, c, n, w));
  }
  for (const c of contenders) await c.warmUp(plan);
  const samples = new Map<string, number[]>(contenders.map((c) => [c.key, []]));
  // each round starts one contender later, so that none always follows the same one (a peer's
  // threads may still spin for a moment after its block)
  for (let rep = 0; rep < plan.repetitions; rep++) {
    for (let n = 0; n < contenders.length; n++) {
      const c = contenders[(rep + n) % contenders.length];
      samples.get(c.key)!.push(await c.block());
    }
    peakSamples.push(probe.sample());
  }
  await useThreads(1, threads);
  for (const c of contenders) await c.dispose();
  for (const c of peerSetups) await c.dispose();
  const rates = Object.fromEntries([...samples].map(([k, v]) => [k, spread(v)]));
  rows.push({ id: w.id, description: describeWorkload(w), flopsPerToken: flopsPerToken(w), tokensPerCall: tokensPerCall(w), rates, notes });
  log("  " + Object.entries(rates).map(([k, r]) => `${k} ${fmtRate(r)}`).join(", ") + " tokens/s");
}
peers?.close();

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
    if (w.kind === "train" && (gatesOf(w) !== 1 || w.bidirectional || w.embedding)) {
      row.notes[b] = "not compared (bench/tfjs.ts builds a unidirectional SimpleRNN on one-hot input)";
      continue;
    }
    if (w.kind === "train" && (trainerSettings(w).optimizer !== "sgd" || trainerSettings(w).clipNorm !== undefined)) {
      row.notes[b] = "not compared (bench/tfjs.ts trains with plain SGD)";
      continue;
    }
    if (quick && w.id !== "W1" && w.kind === "train") {
      row.notes[b] = "full run only";
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
// the threaded build (shared memory, scratch per thread) is what models created after init({ threads }) use
const threadedMemory = new Map<string, ArenaBytes>();
if (threads.note === null && maxThreads > 1) {
  await useThreads(maxThreads, threads);
  for (const [id, bytes] of arenaBytes()) threadedMemory.set(id, bytes);
  await useThreads(1, threads);
}
const heapWorkload = allWorkloads.find((w): w is TrainingWorkload => w.id === "W1" && w.kind === "train")!;
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
if (busyCores) lines.push(`- **${BUSY_NOTE}**`);
lines.push(`- mode: ${env.mode} — warm-up ≥ ${plan.minWarmupCalls} calls, up to ${plan.warmupCalls} calls or ${plan.warmupSeconds} s; ${plan.repetitions} timed blocks of ≥ ${plan.blockSeconds} s per contender, every contender's blocks interleaved in rounds (bptt Wasm at each thread count, JS, hand-written JS, PyTorch, NumPy)`);
lines.push(`- bptt threads: ${threads.note === null ? `timed at ${threads.counts.join(", ")} (\`await init({ threads })\` before each block)` : `1 only — ${threads.note}`}`);
lines.push(`- peak probe (f32x4 mul+add in registers, 12 accumulators, one thread; ${peakSamples.length} blocks spread over the run, one per timing round): **${peakGflops.toFixed(1)} GFLOP/s** median (min–max ${peak.gflops.min.toFixed(1)}–${peak.gflops.max.toFixed(1)}); "% peak" divides by the median`);
lines.push(`- checked before timing: Wasm and JS agree on the first loss and first gradient norm (relative difference < 1e-4) and on next-token probabilities (< 1e-5): ` +
  checks.map((c) => `${c.id} ${c.difference.toExponential(1)}`).join(", "));
lines.push("");
lines.push("Tokens/s: median (min–max) over the timed blocks. GFLOP/s and % of peak from the median. FLOP/token counts matrix products only, a multiply–add = 2 FLOPs:");
lines.push("training 6·H·(H+V) (forward W_hh h, W_hy h; backward dW_hh, W_hhᵀδ, dW_hy, W_hyᵀdy; the one-hot W_ih x is a gather, 0 FLOPs); for the LSTM (W4, W6: four gate blocks) 6·H·(4H+V); generation 2·H·(H+V) — see bench/flops.ts.");
lines.push("");
const wasmKeys = threads.counts.map((n) => `wasm×${n}`);
const threadsLabel = (n: number) => `${n} thread${n === 1 ? "" : "s"}`;
const extraThreads = threads.counts.slice(1);
lines.push(`| workload | setup | FLOP/token | Wasm ${threadsLabel(1)} tokens/s | GFLOP/s | % peak | ${extraThreads.map((n) => `Wasm ${threadsLabel(n)} tokens/s | ÷ 1 thread | `).join("")}JS tokens/s | Wasm/JS | hand-written JS tokens/s | JS / hand-written |`);
lines.push(`| --- | --- | ---: | ---: | ---: | ---: | ${extraThreads.map(() => "---: | ---: | ").join("")}---: | ---: | ---: | ---: |`);
for (const r of rows) {
  if (r.missing !== undefined) {
    lines.push(`| ${r.id} | ${r.description} | — | ${r.missing} | — | — | ${extraThreads.map(() => "— | — | ").join("")}— | — | — | — |`);
    continue;
  }
  const f = r.flopsPerToken!, rates = r.rates!, rw = rates[wasmKeys[0]], rj = rates.js, hand = rates.hand;
  const gw = (rw.median * f) / 1e9;
  const threaded = extraThreads.map((n) => `${fmtRate(rates[`wasm×${n}`])} | ${(rates[`wasm×${n}`].median / rw.median).toFixed(2)}× | `).join("");
  lines.push(`| ${r.id} | ${r.description} | ${fmtInt(f)} | ${fmtRate(rw)} | ${sig(gw)} | ${sig((100 * gw) / peakGflops)} % | ${threaded}` +
    `${rj ? fmtRate(rj) : `— (${r.notes.js})`} | ${rj ? `${(rw.median / rj.median).toFixed(1)}×` : "—"} | ${hand ? fmtRate(hand) : `— (${r.notes.hand})`} | ${hand && rj ? `${(rj.median / hand.median).toFixed(2)}×` : "—"} |`);
}
lines.push("");
lines.push("Hand-written JS: bench/handwritten.ts, the best plain Float32Array trainer we could write for exactly this model (vanilla RNN; SGD, or Adam with clipping), " +
  "timed in the same interleaved rounds; it agrees with bptt on the first loss and the loss after one step (" + handChecks.map((c) => `${c.id} ${c.difference.toExponential(1)}`).join(", ") + "). " +
  "It is the yardstick for the pure-TS backend being a fair baseline.");
lines.push("");
lines.push("### Against PyTorch and NumPy");
lines.push("");
if (peers === null) {
  lines.push(`Skipped: ${peerNote}.`);
} else {
  const i = peers.info;
  const torchCols = peers.available.includes("torch") ? torchThreads : [];
  lines.push(`bench/peers.py in one persistent Python ${i.python} process, its blocks interleaved with bptt's in the same rounds (timed inside Python). ` +
    `${i.torch ? `PyTorch ${i.torch} CPU (BLAS_INFO=${i.torchBlas}, CPU capability ${i.torchCpu}): nn.RNN / nn.LSTM + nn.Linear on a one-hot input (built before timing), F.cross_entropy, torch.optim.SGD or Adam, clip_grad_norm_ where the workload clips; generation under no_grad with torch.multinomial. ` : `${peerNote}. `}` +
    `NumPy ${i.numpy}: hand-written BPTT (float32; input side of all steps as one gather, one product per step each way, head and weight gradients as whole-window products), ` +
    `${i.openblasThreadControl || i.torch !== undefined ? "one thread" : "**its BLAS thread count could not be set: it may use every core**"}. ` +
    `BLAS libraries loaded in the Python process: ${i.libraries.map((l) => l.split("/").slice(-2).join("/")).join(", ") || "none found"}${referenceBlas(i) ? ` — **${REFERENCE_BLAS_NOTE}**` : ""}. ` +
    "Each peer gets bptt's initial weights and batches and must agree with bptt on the summed loss of the first batch and, after one step, of the second (relative < 1e-4), or on next-token probabilities (< 1e-5), before it is timed: " +
    peerChecks.map((c) => `${c.id} ${c.peer} ${c.difference.toExponential(1)}`).join(", ") + ".");
  lines.push("");
  const bestKey = wasmKeys[wasmKeys.length - 1];
  lines.push(`| workload | ${torchCols.map((n) => `PyTorch ${threadsLabel(n)} | `).join("")}NumPy 1 thread | ${torchCols.map((n) => `bptt ${threadsLabel(n === 1 ? 1 : maxThreads)} ÷ PyTorch ${threadsLabel(n)} | `).join("")}bptt 1 thread ÷ NumPy |`);
  lines.push(`| --- | ${torchCols.map(() => "---: | ").join("")}---: | ${torchCols.map(() => "---: | ").join("")}---: |`);
  for (const r of rows) {
    if (r.missing !== undefined) continue;
    const rates = r.rates!, mine1 = rates[wasmKeys[0]], mineAll = rates[bestKey];
    const ratio = (x: Spread, y: Spread | undefined) => (y ? `${sig(x.median / y.median)}×` : "—");
    lines.push(`| ${r.id} | ${torchCols.map((n) => `${rates[`torch×${n}`] ? fmtRate(rates[`torch×${n}`]) : r.notes.torch ?? "—"} | `).join("")}${rates["numpy×1"] ? fmtRate(rates["numpy×1"]) : r.notes.numpy ?? "—"} | ` +
      `${torchCols.map((n) => `${ratio(n === 1 ? mine1 : mineAll, rates[`torch×${n}`])} | `).join("")}${ratio(mine1, rates["numpy×1"])} |`);
  }
}
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
  lines.push(`| ${t.id} | ${cell("cpu")} | ${pct("cpu")} | ${cell("wasm")} | ${pct("wasm")} | ${ratio(r.rates?.["wasm×1"], t.rates.wasm)} | ${ratio(r.rates?.["wasm×1"], t.rates.cpu)} | ${ratio(r.rates?.js, t.rates.wasm)} |`);
}
lines.push("");
lines.push("FLOP/token against the issue's reference figures: " +
  rows.filter((r) => r.flopsPerToken !== undefined && referenceFlopsPerToken[r.id] !== undefined)
    .map((r) => `${r.id} ${fmtInt(r.flopsPerToken!)} vs ≈ ${fmtInt(referenceFlopsPerToken[r.id])} (${((100 * (r.flopsPerToken! - referenceFlopsPerToken[r.id])) / referenceFlopsPerToken[r.id]).toFixed(1)} %)`).join(", ") + ".");
lines.push("");
lines.push("## Memory");
lines.push("");
lines.push("Wasm arena in use (`model.memoryBytes`, after one training step, one-thread build) against the theoretical minimum of one window of full BPTT (W1–W5 plain SGD, W6–W7 Adam):");
lines.push("4 bytes × [ 2·P (parameters + gradients) + (0 for SGD, 2·P for Adam) + (T+1)·B·H (h_0…h_T) + T·B·V (logits → ∂E/∂logits in place) + 2·T·B (ids) + B·H (running δ) ], P = 2·V·H + H·H + 2·H + V.");
lines.push("");
const threadedHead = threadedMemory.size > 0 ? ` threaded build at ${maxThreads} threads: in use | threaded − one-thread |` : "";
lines.push(`| workload | parameters | gradients | optimizer | activations | minimum | Wasm in use | in use / minimum | Wasm memory reserved |${threadedHead}`);
lines.push(`| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${threadedMemory.size > 0 ? " ---: | ---: |" : ""}`);
for (const [id, m] of singleMemory) {
  const n = minimumBytes(workloads.find((w): w is TrainingWorkload => w.id === id)!);
  const t = threadedMemory.get(id);
  lines.push(`| ${id} | ${kib(n.parameters)} | ${kib(n.gradients)} | ${kib(n.optimizer)} | ${kib(n.activations)} | ${kib(n.total)} | ${kib(m.inUse)} | ${(m.inUse / n.total).toFixed(2)}× | ${kib(m.reserved)} |` +
    (t ? ` ${kib(t.inUse)} | ${signed((t.inUse - m.inUse) / 1024, " KiB")} |` : ""));
}
if (threadedMemory.size > 0) lines.push("", `The one-thread figures come from models made before the bench first called \`init({ threads })\`; the threaded ones from models made while ${maxThreads} threads were set (they use the threaded build's shared memory).`);
lines.push("");
for (const h of heap) {
  const gc = h.rounds[0].gcAvailable ? "full GC before and after each round" : "no --expose-gc, so no GC between rounds: an upper bound";
  lines.push(`- JS heap growth (\`heapUsed\`) of W1 training on the ${h.backend} backend, consecutive rounds of ${fmtInt(HEAP_STEPS)} steps after 200 warm-up steps (${gc}): ` +
    h.rounds.map((g) => `${signed(g.growth / 1024, " KiB")} (${signed(g.growth / g.steps, " B/step")})`).join(", ") +
    `; heapUsed ${kib(h.rounds[0].before)} → ${kib(h.rounds[h.rounds.length - 1].after)}`);
}
const report = lines.join("\n") + "\n";
process.stdout.write("\n" + report);
await endThreads();
if (write) {
  const out = join(dirname(fileURLToPath(import.meta.url)), "..", "bench", "RESULTS.md");
  writeFileSync(out, report.replace("# bptt benchmark", "# bptt benchmark results\n\nProduced by `npm run bench` (full run); `npm run bench -- --quick` prints a shorter run without writing this file."));
  log(`wrote ${out}`);
}
