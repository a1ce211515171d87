/**
 * Two backends with the same tensors at the same byte offsets: the pure-TS reference and a Wasm
 * build under test. After a kernel runs on both, `check` compares every tensor placed (inputs must
 * come back unchanged, outputs within their stated tolerance) and the guard floats after each one
 * (a SIMD tail writing past the end of a row lands there).
 */
import { expect } from "vitest";
import type { Backend, Ptr } from "../../src/backend.js";
import { JsBackend } from "../../src/backends/js/index.js";
import { makeBackend, type BackendKind } from "./backends.js";

const GUARD_FLOATS = 4;
const SENTINEL = -7777.25;

interface Placed { name: string; ptr: Ptr; n: number; int: boolean; tol: number }

/** max_i |a − b| / (1 + |b|); NaN on both sides counts as equal, on one side as ∞. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i]))) continue;
    const e = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return worst;
}

export class BackendPair {
  readonly ref: Backend = new JsBackend();
  readonly dut: Backend;
  /** Largest error seen per label prefix (the kernel name), for reports. */
  readonly worst = new Map<string, number>();
  private readonly base: number;
  private next = 0;
  private placed: Placed[] = [];

  /** `onError(kernel, error)` also receives every comparison's error (for reports across pairs). */
  constructor(readonly kind: BackendKind, private readonly onError?: (kernel: string, error: number) => void) {
    this.dut = makeBackend(kind);
    this.base = Math.ceil(Math.max(this.ref.heapBase, this.dut.heapBase) / 16) * 16;
    this.reset();
  }

  /** Forget every tensor; the memory is reused from the start. */
  reset(): void {
    this.next = this.base;
    this.placed = [];
  }

  /** Copy `data` into both memories, `misalign` bytes (0, 4, 8, 12) past 16-byte alignment; `tol` = 0 means it must not change. */
  put(name: string, data: Float32Array | Int32Array, tol = 0, misalign = 0): Ptr {
    const ptr = this.next + misalign;
    const bytes = data.length * 4;
    this.next = Math.ceil((ptr + bytes + GUARD_FLOATS * 4) / 16) * 16;
    for (const b of [this.ref, this.dut]) {
      b.reserve(this.next);
      new Float32Array(b.buffer, ptr + bytes, GUARD_FLOATS).fill(SENTINEL);
      if (data instanceof Int32Array) new Int32Array(b.buffer, ptr, data.length).set(data);
      else new Float32Array(b.buffer, ptr, data.length).set(data);
    }
    this.placed.push({ name, ptr, n: data.length, int: data instanceof Int32Array, tol });
    return ptr;
  }

  /** A tensor of n zeros. */
  zeros(name: string, n: number, tol = 0, misalign = 0): Ptr {
    return this.put(name, new Float32Array(n), tol, misalign);
  }

  /** A copy of a tensor from one side. */
  get(ptr: Ptr, n: number, side: "ref" | "dut" = "dut"): Float32Array {
    return new Float32Array(this[side].buffer, ptr, n).slice();
  }

  /** Run a kernel call on both backends; both results. */
  run<R>(call: (b: Backend) => R): [ref: R, dut: R] {
    return [call(this.ref), call(this.dut)];
  }

  /** Give the device the reference's bits of a tensor (so the next kernel starts from identical inputs). */
  sync(ptr: Ptr, n: number): void {
    new Float32Array(this.dut.buffer, ptr, n).set(new Float32Array(this.ref.buffer, ptr, n));
  }

  check(label: string): void {
    for (const t of this.placed) {
      const what = `${label}: ${t.name}`;
      if (t.tol === Infinity) {
        // kernel scratch: its contents are the kernel's own business; only the guard floats are checked
      } else if (t.int) {
        expect(Array.from(new Int32Array(this.dut.buffer, t.ptr, t.n)), what).toEqual(Array.from(new Int32Array(this.ref.buffer, t.ptr, t.n)));
      } else {
        const err = relativeError(new Float32Array(this.dut.buffer, t.ptr, t.n), new Float32Array(this.ref.buffer, t.ptr, t.n));
        const key = label.split(" ")[0];
        this.worst.set(key, Math.max(this.worst.get(key) ?? 0, err));
        this.onError?.(key, err);
        if (!(err <= t.tol)) expect.fail(`${what}: max |wasm − js| / (1 + |js|) = ${err} > ${t.tol}`);
      }
      const guard = Array.from(new Float32Array(this.dut.buffer, t.ptr + t.n * 4, GUARD_FLOATS));
      expect(guard, `${what}: the guard floats after it were overwritten`).toEqual(new Array(GUARD_FLOATS).fill(SENTINEL));
    }
  }
}
