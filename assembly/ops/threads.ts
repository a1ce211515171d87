// Threads: in the threaded build every thread of the pool runs the same kernel call with the same
// arguments at once (src/backends/wasm/pool.ts), and each computes its own share of the outputs
// (SPMD). Globals are per instance, so each thread's instance knows its own index.
//
// Bit-identical at every thread count: work is cut into blocks of whole units (blocks of 4 rows
// for the packed products, 16 floats for elementwise kernels); thread t of n takes blocks
// ⌊b·t/n⌋ … ⌊b·(t+1)/n⌋ − 1 and the last thread also takes the n % unit tail. Every output element
// is then computed by exactly one thread, on the same code path and in the same order as with one
// thread. Phases that read what other threads wrote are separated by `barrier`.
//
// The single-threaded build compiles the same kernels with threadCount fixed at 1: barrier is empty.
import { barrierCount, barrierGeneration } from "./scratch";

/** This thread's index in the pool (0 is the caller's thread) and the number taking part in the current call. */
let threadIndex: i32 = 0;
let threadCount: i32 = 1;
/** Whether this thread may block in memory.atomic.wait32 (a browser's main thread may not). */
let threadCanBlock: i32 = 0;
/** First byte of the scratch regions of threads 1 … count − 1, placed by the host for the call (ops/scratch.ts). */
let poolScratch: usize = 0;

/**
 * Set by the host before each kernel call on every thread: index < count; scratch: (count − 1) ·
 * threadScratchBytes() bytes that hold nothing the host keeps (thread 0 and the single-threaded
 * build use the static region below heapBase and ignore it).
 */
export function setThread(index: i32, count: i32, canBlock: i32, scratch: usize): void {
  threadIndex = index;
  threadCount = ASC_FEATURE_THREADS ? count : 1;
  threadCanBlock = canBlock;
  poolScratch = scratch;
}

// @ts-ignore: decorator
@inline export function myThread(): i32 { return ASC_FEATURE_THREADS ? threadIndex : 0; }
// @ts-ignore: decorator
@inline export function threads(): i32 { return ASC_FEATURE_THREADS ? threadCount : 1; }
// @ts-ignore: decorator
@inline export function threadScratch(): usize { return poolScratch; }

/**
 * First index of thread t's share of n items cut in blocks of `unit` among nt threads: shares
 * start on block boundaries and shareStart(n, unit, nt, nt) = n (the last share takes the tail).
 */
// @ts-ignore: decorator
@inline export function shareStart(n: i32, unit: i32, nt: i32, t: i32): i32 {
  if (t >= nt) return n;
  const blocks = n / unit;
  return <i32>((<i64>blocks * t) / nt) * unit;
}

/** Polls of the barrier's word before a thread that may block sleeps. */
const BARRIER_SPINS: i32 = 1 << 20;

/**
 * Waits until all nt threads of the call have arrived (a sense-counting barrier on two words of the
 * control region). Spins first; threads that may block then sleep in memory.atomic.wait32.
 */
export function barrier(nt: i32): void {
  if (!ASC_FEATURE_THREADS || nt <= 1) return;
  const count = barrierCount(), generation = barrierGeneration();
  const seen = atomic.load<i32>(generation);
  if (atomic.add<i32>(count, 1) == nt - 1) {
    atomic.store<i32>(count, 0);
    atomic.add<i32>(generation, 1);
    atomic.notify(generation, nt);
    return;
  }
  // a long spin (about a millisecond): on virtual cores a wake from wait costs about as much
  for (let spin = 0; spin < BARRIER_SPINS; spin++) if (atomic.load<i32>(generation) != seen) return;
  if (threadCanBlock) {
    while (atomic.load<i32>(generation) == seen) atomic.wait<i32>(generation, seen, 1_000_000);
  } else {
    while (atomic.load<i32>(generation) == seen) { /* spin: this thread may not block */ }
  }
}
