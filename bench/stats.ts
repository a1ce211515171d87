/** Order statistics, a monotonic clock, and warm-up/block timing for the benchmark. */

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new Error("spread() needs at least one sample");
  const s = samples.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

/** Seconds since an arbitrary origin, from the high-resolution clock. */
export function seconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

export interface TimingPlan {
  /** Warm-up: run until this many seconds have passed or `warmupCalls` calls were made, whichever comes first … */
  warmupSeconds: number;
  warmupCalls: number;
  /** … but never fewer than this many calls (V8 runs first calls in its baseline tier). */
  minWarmupCalls: number;
  /** Timed repetitions; the median and the min–max are reported. */
  repetitions: number;
  /** Each repetition runs enough calls to last at least this long (s). */
  blockSeconds: number;
}

/**
 * Warm `call` up and return how many calls make one timed block of at least
 * `plan.blockSeconds`, sized from the last (warmest) warm-up call.
 */
export function warmUp(call: () => void, plan: TimingPlan): { calls: number; warmupCalls: number } {
  const start = seconds();
  let warmupCalls = 0, last = 0;
  for (;;) {
    const t0 = seconds();
    call();
    last = seconds() - t0;
    warmupCalls++;
    if (warmupCalls < plan.minWarmupCalls) continue;
    if (warmupCalls >= plan.warmupCalls || seconds() - start >= plan.warmupSeconds) break;
  }
  return { calls: Math.max(1, Math.ceil(plan.blockSeconds / Math.max(last, 1e-7))), warmupCalls };
}

/** Time one block of `calls` calls; returns units (tokens) per second. */
export function timeBlock(call: () => void, calls: number, unitsPerCall: number): number {
  const t0 = seconds();
  for (let i = 0; i < calls; i++) call();
  return (calls * unitsPerCall) / (seconds() - t0);
}
