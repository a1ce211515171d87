/**
 * Everything the bench times, behind one shape, so that one loop can interleave them in short
 * rounds: bptt on a backend at a thread count, the hand-written Float32Array trainer, and the
 * Python peers (PyTorch, NumPy) at a thread count. `warmUp` sizes a block; `block` times one and
 * returns tokens per second.
 */
import { handwrittenRunner } from "./handwritten.js";
import type { Peers, PeerName } from "./peers.js";
import { peerContender, type PeerContender } from "./peers.js";
import { timeBlock, warmUp, type TimingPlan } from "./stats.js";
import { useThreads, type ThreadSupport } from "./threads.js";
import {
  generationRunner, makeBatches, makeModel, tokensPerCall, trainerSettings, trainingRunner,
  type Backend, type GenerationWorkload, type TrainingWorkload,
} from "./workloads.js";

export interface Contender {
  /** Column key: "wasm×1", "wasm×2", "js", "hand", "torch×1", "torch×2", "numpy×1". */
  key: string;
  warmUp: (plan: TimingPlan) => Promise<void>;
  block: () => Promise<number>;
  dispose: () => Promise<void>;
}

export function contenderKey(kind: Backend | "hand" | PeerName, threads?: number): string {
  return threads === undefined ? kind : `${kind}×${threads}`;
}

/** bptt on `backend`; Wasm at `threads` threads (switched before every block, as models share the count). */
export function bpttContender(w: TrainingWorkload | GenerationWorkload, backend: Backend, threads: number, support: ThreadSupport): Contender {
  const r = w.kind === "train" ? trainingRunner(w, backend) : generationRunner(w, backend);
  const units = tokensPerCall(w);
  let calls = 1;
  const set = () => (backend === "wasm" ? useThreads(threads, support) : Promise.resolve());
  return {
    key: backend === "wasm" ? contenderKey("wasm", threads) : backend,
    warmUp: async (plan) => {
      await set();
      calls = warmUp(r.call, plan).calls;
    },
    block: async () => {
      await set();
      return timeBlock(r.call, calls, units);
    },
    dispose: async () => r.dispose(),
  };
}

/** Whether bench/handwritten.ts trains this workload: the vanilla tanh RNN. */
export function handwrittenFits(w: TrainingWorkload | GenerationWorkload): w is TrainingWorkload {
  return w.kind === "train" && (w.cell ?? "rnn") === "rnn" && !w.bidirectional && !w.embedding;
}

export function handContender(w: TrainingWorkload): Contender {
  const source = makeModel(w, "js"); // weights of the same seed, copied out
  const r = handwrittenRunner(source, makeBatches(w), trainerSettings(w));
  source.dispose();
  const units = tokensPerCall(w);
  let calls = 1;
  return {
    key: "hand",
    warmUp: async (plan) => void (calls = warmUp(r.call, plan).calls),
    block: async () => timeBlock(r.call, calls, units),
    dispose: async () => r.dispose(),
  };
}

/** A Python peer already set up (and checked) on the workload, timed at `threads` threads. */
export function pythonContender(peer: PeerName, contender: PeerContender, threads: number, w: TrainingWorkload | GenerationWorkload): Contender {
  const units = tokensPerCall(w);
  let calls = 1;
  return {
    key: contenderKey(peer, threads),
    warmUp: async (plan) => void (calls = await contender.warmUp(plan, threads)),
    block: async () => (calls * units) / (await contender.block(calls, threads)),
    dispose: async () => {},
  };
}

export { peerContender, type Peers };
