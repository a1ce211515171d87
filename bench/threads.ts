/**
 * Thread counts for the Wasm contenders: `await init({ threads: n })` sets how many threads every
 * Wasm model uses from its next kernel call and returns the count in use (1 where the host has no
 * shared memory: then only one thread is timed, and the report says why); `shutdown()` ends the
 * pool so that the bench's process can exit.
 */
import { availableParallelism } from "node:os";
import { init, shutdown } from "../src/index.js";

export interface ThreadSupport {
  /** Thread counts to time: 1, 2 and all cores, without repeats (just [1] without threads). */
  counts: number[];
  /** Why only one thread is timed, when that is so. */
  note: string | null;
}

/** Start the pool at every core once to learn what the host gives, and the counts to time. */
export async function threadSupport(): Promise<ThreadSupport> {
  const all = await init({ threads: "auto" });
  await init({ threads: 1 });
  if (all <= 1) {
    const cores = availableParallelism();
    return { counts: [1], note: cores > 1 ? `init({ threads: "auto" }) gave 1 thread on ${cores} cores (no shared memory here?)` : "one core" };
  }
  return { counts: [...new Set([1, 2, all])].sort((a, b) => a - b), note: null };
}

/** Make every Wasm model use `n` threads from its next kernel call. */
export async function useThreads(n: number, support: ThreadSupport): Promise<void> {
  if (!support.counts.includes(n)) throw new Error(`bench: ${n} threads asked for; this run times ${support.counts.join(", ")} (${support.note ?? "no note"})`);
  const got = await init({ threads: n });
  if (got !== n) throw new Error(`bench: init({ threads: ${n} }) gave ${got} threads`);
}

/** End the worker threads, so the bench's process can exit. */
export async function endThreads(): Promise<void> {
  await shutdown();
}
