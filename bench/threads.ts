/**
 * Thread counts for the Wasm contenders. bptt's threaded build is set with
 * `await init({ threads: n })` (n ≥ 1 or "auto"; it returns the count in use and applies to every
 * Wasm model at its next kernel call) and stopped with `shutdown()`. Until the library has that
 * API, `init` takes a module or bytes and rejects an options object: then only one thread is
 * timed and the report says why.
 */
import { availableParallelism } from "node:os";
import * as bptt from "../src/index.js";

type ThreadedInit = (options: { threads: number | "auto" }) => Promise<unknown>;
const api = bptt as unknown as { init: ThreadedInit; shutdown?: () => unknown };

export interface ThreadSupport {
  /** Thread counts to time: 1, 2 and all cores, without repeats (just [1] without threads). */
  counts: number[];
  /** Why only one thread is timed, when that is so. */
  note: string | null;
}

/** Whether `init({ threads })` exists, and the counts to time. */
export async function threadSupport(): Promise<ThreadSupport> {
  let inUse: unknown;
  try {
    inUse = await api.init({ threads: 1 });
  } catch (e) {
    return { counts: [1], note: `this bptt has no threads: init({ threads }) threw (${(e as Error).message.slice(0, 60)} …)` };
  }
  if (typeof inUse !== "number") return { counts: [1], note: "this bptt has no threads (init({ threads }) returned no count)" };
  let all: unknown;
  try {
    all = await api.init({ threads: "auto" });
  } finally {
    await api.init({ threads: 1 });
  }
  const cores = typeof all === "number" ? all : availableParallelism();
  return { counts: [...new Set([1, 2, cores])].sort((a, b) => a - b), note: null };
}

/** Make every Wasm model use `n` threads from its next kernel call (no-op at 1 without thread support). */
export async function useThreads(n: number, support: ThreadSupport): Promise<void> {
  if (support.note !== null) {
    if (n !== 1) throw new Error(`bench: ${n} threads asked for, but ${support.note}`);
    return;
  }
  const got = await api.init({ threads: n });
  if (got !== n) throw new Error(`bench: init({ threads: ${n} }) gave ${String(got)} threads`);
}

/** End the worker threads (when the library has them), so the bench's process can exit. */
export async function endThreads(): Promise<void> {
  if (typeof api.shutdown === "function") await api.shutdown();
}
