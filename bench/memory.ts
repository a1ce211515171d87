/**
 * Memory figures of a training workload: the bytes the model's arena uses against the
 * theoretical minimum of one training window, and the JS heap's growth over many steps.
 */
import type { RNN } from "../src/index.js";
import { gatesOf, trainerSettings, type TrainingWorkload } from "./workloads.js";

export interface MinimumBytes {
  parameters: number;
  gradients: number;
  optimizer: number;
  activations: number;
  total: number;
}

/**
 * Theoretical minimum for one window of full BPTT (float32 = 4 bytes, int32 ids = 4):
 *   P           = H·V + H·H + 2·H + V·H + V        (W_ih, W_hh, b_ih, b_hh, W_hy, b_y)
 *   parameters  = 4·P
 *   gradients   = 4·P
 *   optimizer   = 0 for plain SGD (no state), 8·P for Adam (exp_avg and exp_avg_sq)
 *   activations = 4·( (T+1)·B·H                     (h_0 … h_T: tanh' = 1 − h² needs them all)
 *                   + T·B·V                         (logits, turned into ∂E/∂logits in place)
 *                   + 2·T·B                         (input and target ids)
 *                   + B·H )                         (the running δ of BPTT)
 * A bidirectional layer (D = 2) doubles the layer's parameters, h and δ, and the head reads 2H; an
 * embedding of width E adds its V·E table, makes the layer's input E wide, and keeps its (T,B,E) output.
 */
export function minimumBytes(w: TrainingWorkload): MinimumBytes {
  const { V, H, T, B } = w;
  const G = gatesOf(w), D = w.bidirectional ? 2 : 1, E = w.embedding ?? 0, I = E > 0 ? E : V;
  const P = V * E + D * (G * H * I + G * H * H + 2 * G * H) + V * D * H + V;
  const parameters = 4 * P, gradients = 4 * P, optimizer = trainerSettings(w).optimizer === "adam" ? 8 * P : 0;
  // vanilla: h_0 … h_T; LSTM: also the four gates and c_t of every step, and c_0
  const cache = G === 1 ? (T + 1) * B * H : T * B * (G * H + 2 * H) + 2 * B * H;
  const activations = 4 * (D * cache + T * B * V + 2 * T * B + D * B * H + T * B * E);
  return { parameters, gradients, optimizer, activations, total: parameters + gradients + optimizer + activations };
}

export interface HeapGrowth {
  steps: number;
  before: number;
  after: number;
  /** after − before, bytes. */
  growth: number;
  gcAvailable: boolean;
}

function collect(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return false;
  gc();
  gc();
  return true;
}

/** heapUsed before and after `steps` calls, each after a full GC when node runs with --expose-gc. */
export function heapGrowth(call: () => void, steps: number): HeapGrowth {
  const gcAvailable = collect();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < steps; i++) call();
  collect();
  const after = process.memoryUsage().heapUsed;
  return { steps, before, after, growth: after - before, gcAvailable };
}

/** The model's arena in use and the backend memory's total size. */
export function modelBytes(model: RNN): { inUse: number; reserved: number } {
  return { inUse: model.memoryBytes, reserved: model.internals().backend.buffer.byteLength };
}
