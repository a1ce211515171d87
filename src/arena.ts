import type { Backend, Ptr } from "./backend.js";
import { invalid } from "./errors.js";
import { align16, bytesText } from "./limits.js";

/**
 * One arena per model: an ordered list of blocks laid out back to back in the backend's memory,
 * each 16-byte aligned. A block can be resized; blocks after it move (their bytes move with them)
 * and the memory grows if needed. Everything else reads pointers from `block(name)` after a
 * resize, and typed-array views from `f32()`/`i32()`, which are re-derived whenever the memory
 * buffer changed (a grow detaches old views, and writes through them would be silently lost).
 * Sizes are float64 and checked against `maxBytes` before the memory grows: a block that would not
 * fit throws and changes nothing.
 */
export class Arena {
  readonly #names: string[] = [];
  readonly #sizes: number[] = [];
  readonly #offsets: number[] = [];
  #viewsOf: ArrayBuffer | null = null;
  #f32View = new Float32Array(0);
  #i32View = new Int32Array(0);
  #bytesView = new Uint8Array(0);

  readonly #backend: Backend;
  readonly #maxBytes: number;
  readonly #limitText: string;

  /** `maxBytes`: the most the backend's memory addresses, described as `limitText` in errors ("the wasm backend's 4 GiB"). */
  constructor(backend: Backend, maxBytes: number, limitText: string) {
    this.#backend = backend;
    this.#maxBytes = maxBytes;
    this.#limitText = limitText;
  }

  /** Bytes in use after block `name` is (re)defined to `bytes`, computed without changing anything. */
  endWith(name: string, bytes: number): number {
    const index = this.#names.indexOf(name);
    return this.end() - (index < 0 ? 0 : this.#sizes[index]) + align16(bytes);
  }

  /**
   * Throw, naming `what` and the bytes, when `extraBytes` more than in use would not fit the
   * memory: callers check a group of blocks at once before defining any of them.
   */
  checkRoom(extraBytes: number, what: string): void {
    const total = this.end() + extraBytes;
    if (Number.isFinite(total) && total <= this.#maxBytes) return;
    throw invalid(`${what} needs ${bytesText(extraBytes)} more, which would bring the model's memory to ${bytesText(total)}: more than ${this.#limitText}`);
  }

  /** Define or resize a block of `bytes`; returns true when any block moved. Contents are kept (a grown block's tail is zeroed). */
  define(name: string, bytes: number): boolean {
    const size = align16(bytes);
    this.checkRoom(this.endWith(name, bytes) - this.end(), `block "${name}"`);
    let index = this.#names.indexOf(name);
    if (index < 0) {
      index = this.#names.length;
      const offset = this.end();
      this.#names.push(name);
      this.#sizes.push(0);
      this.#offsets.push(offset);
    }
    const oldSize = this.#sizes[index];
    if (oldSize === size) return false;
    const oldOffsets = this.#offsets.slice();
    this.#sizes[index] = size;
    for (let i = index + 1; i < this.#names.length; i++) this.#offsets[i] = this.#offsets[i - 1] + this.#sizes[i - 1];
    this.#backend.reserve(this.end());
    const bytesView = this.bytes();
    // move later blocks, last first when moving up and first first when moving down (memmove per block)
    const delta = size - oldSize;
    const order = [];
    for (let i = index + 1; i < this.#names.length; i++) order.push(i);
    if (delta > 0) order.reverse();
    for (const i of order) bytesView.copyWithin(this.#offsets[i], oldOffsets[i], oldOffsets[i] + this.#sizes[i]);
    if (size > oldSize) bytesView.fill(0, this.#offsets[index] + oldSize, this.#offsets[index] + size);
    return index + 1 < this.#names.length;
  }

  /** Byte offset of a block. */
  block(name: string): Ptr {
    const index = this.#names.indexOf(name);
    if (index < 0) throw new Error(`arena has no block ${name}`);
    return this.#offsets[index];
  }

  has(name: string): boolean {
    return this.#names.includes(name);
  }

  /** Bytes in use, from the start of the memory to the end of the last block. */
  end(): number {
    const n = this.#names.length;
    return n === 0 ? align16(this.#backend.heapBase) : this.#offsets[n - 1] + this.#sizes[n - 1];
  }

  f32(): Float32Array {
    this.#refresh();
    return this.#f32View;
  }

  i32(): Int32Array {
    this.#refresh();
    return this.#i32View;
  }

  bytes(): Uint8Array {
    this.#refresh();
    return this.#bytesView;
  }

  #refresh(): void {
    const buffer = this.#backend.buffer;
    if (buffer === this.#viewsOf) return;
    this.#viewsOf = buffer;
    this.#f32View = new Float32Array(buffer);
    this.#i32View = new Int32Array(buffer);
    this.#bytesView = new Uint8Array(buffer);
  }
}

export { align16 };
