/**
 * The Python peers (bench/peers.py: PyTorch CPU and hand-written NumPy) as one persistent
 * subprocess of the bench, spoken to in JSON lines, so that their timing blocks interleave with
 * bptt's in the same rounds. Weights go over as base64 float32 (bit-exact), batches as base64 int32.
 * When /usr/bin/python3 (or $BPTT_BENCH_PYTHON), NumPy or PyTorch is missing, `startPeers` says so
 * and the bench skips those columns.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { RNN } from "../src/index.js";
import type { Batch } from "../src/batch.js";
import type { TimingPlan } from "./stats.js";
import type { GenerationWorkload, TrainingWorkload } from "./workloads.js";
import { trainerSettings } from "./workloads.js";

export type PeerName = "torch" | "numpy";

export interface PeerInfo {
  python: string;
  numpy: string;
  torch?: string;
  torchMissing?: string;
  torchBlas?: string;
  torchCpu?: string;
  cores: number;
  /** BLAS / OpenMP shared libraries the Python process has mapped: the BLAS really in use. */
  libraries: string[];
  openblasThreadControl: boolean;
}

export interface Peers {
  info: PeerInfo;
  /** Peers that can run here. */
  available: PeerName[];
  /** One request, one reply (rejects on an error reply). */
  request: (message: Record<string, unknown>) => Promise<Record<string, unknown>>;
  close: () => void;
}

/** The peers' Python script: next to this file in the sources, or in bench/ when run from build/bench.mjs. */
function scriptPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, "peers.py"), join(here, "..", "bench", "peers.py")]) if (existsSync(p)) return p;
  throw new Error(`bench/peers.py not found next to ${here}`);
}

/** Start the Python peers; resolves to the reason they are skipped when they cannot run. */
export async function startPeers(): Promise<Peers | string> {
  const python = process.env.BPTT_BENCH_PYTHON ?? "/usr/bin/python3";
  if (!existsSync(python)) return `${python} not found (set BPTT_BENCH_PYTHON to a Python with numpy and torch)`;
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(python, [scriptPath()], { stdio: ["pipe", "pipe", "pipe"] });
  } catch (e) {
    return `could not start ${python}: ${(e as Error).message}`;
  }
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string | null) => void)[] = [];
  lines.on("line", (line) => waiting.shift()?.(line));
  child.on("close", () => {
    for (const w of waiting.splice(0)) w(null);
  });
  child.on("error", () => {
    for (const w of waiting.splice(0)) w(null);
  });
  const request = (message: Record<string, unknown>): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    waiting.push((line) => {
      if (line === null) return reject(new Error(`the Python peer process ended: ${stderr.trim().split("\n").slice(-3).join(" / ")}`));
      const reply = JSON.parse(line) as Record<string, unknown>;
      if (reply.ok !== true) reject(new Error(`Python peer, ${String(message.op)}: ${String(reply.error)}`));
      else resolve(reply);
    });
    child.stdin.write(JSON.stringify(message) + "\n");
  });
  let info: PeerInfo;
  try {
    info = (await request({ op: "info" })) as unknown as PeerInfo;
  } catch (e) {
    child.kill();
    return `${python} cannot run bench/peers.py (NumPy missing?): ${(e as Error).message}`;
  }
  const available: PeerName[] = info.torch !== undefined ? ["torch", "numpy"] : ["numpy"];
  return { info, available, request, close: () => child.stdin.end() };
}

function base64(a: Float32Array | Int32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
}

/** What the peer needs to know of a workload. */
function workloadMessage(w: TrainingWorkload | GenerationWorkload): Record<string, unknown> {
  if (w.kind === "generate") return { kind: "generate", V: w.V, H: w.H, length: w.length };
  const s = trainerSettings(w);
  return { kind: "train", cell: w.cell ?? "rnn", bidirectional: w.bidirectional ?? false, embedding: w.embedding ?? 0, V: w.V, H: w.H, T: w.T, B: w.B, optimizer: s.optimizer, learningRate: s.learningRate, clipNorm: s.clipNorm ?? null, reduction: s.reduction };
}

/** A peer contender on one workload, set up with `model`'s weights. */
export interface PeerContender {
  /** Training: summed loss of batch 0, and of batch 1 after one step on batch 0. */
  firstLoss?: number;
  secondLoss?: number;
  /** Generation: next-token probabilities for the tokens (7·t) mod V, t < 20, from a zero state. */
  probabilities?: number[][];
  warmUp: (plan: TimingPlan, threads: number) => Promise<number>;
  /** Seconds for `calls` calls, timed inside Python. */
  block: (calls: number, threads: number) => Promise<number>;
  dispose: () => Promise<void>;
}

let nextId = 0;

export async function peerContender(peers: Peers, peer: PeerName, w: TrainingWorkload | GenerationWorkload, model: RNN, batches: Batch[]): Promise<PeerContender> {
  const id = `${peer}-${w.id}-${nextId++}`;
  const weights = Object.fromEntries(model.parameters().map((p) => [p.name, base64(p.data)]));
  const reply = await peers.request({
    op: "setup", id, peer, workload: workloadMessage(w), weights,
    batches: w.kind === "train" ? batches.map((b) => ({ inputs: base64(Int32Array.from(b.inputs)), targets: base64(Int32Array.from(b.targets!)) })) : [],
  });
  return {
    firstLoss: reply.firstLoss as number | undefined,
    secondLoss: reply.secondLoss as number | undefined,
    probabilities: reply.probabilities as number[][] | undefined,
    warmUp: async (plan, threads) => (await peers.request({ op: "warmup", id, threads, plan })).calls as number,
    block: async (calls, threads) => (await peers.request({ op: "block", id, threads, calls })).seconds as number,
    dispose: async () => void (await peers.request({ op: "dispose", id })),
  };
}
