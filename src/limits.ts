/**
 * How much memory each backend can address, and the sizes of a configuration computed in float64
 * before anything is allocated: a size that does not fit is an error naming the option and the
 * bytes, never a number that wrapped at 32 bits.
 */
import type { BackendKind } from "./backends/index.js";
import { invalid } from "./errors.js";

/** Wasm32 memory: 65,536 pages of 64 KiB. */
export const WASM_MAX_BYTES = 2 ** 32;
/** The js backend: its kernels turn byte offsets into float indices with `ptr >> 2`, signed 32-bit. */
export const JS_MAX_BYTES = 2 ** 31;
/**
 * Layers a model may stack. Each layer costs host objects (its tensor slots and its kernel
 * arguments for a window and a stream, about 2 kB) whatever its size, so a hostile
 * `numLayers: 2 ** 28` would exhaust the JS heap before any arena byte is counted.
 */
export const MAX_LAYERS = 65_536;

export function memoryLimit(kind: BackendKind): number {
  return kind === "js" ? JS_MAX_BYTES : WASM_MAX_BYTES;
}

/** "the wasm backend's 4 GiB": the limit of a backend in words. */
export function limitText(kind: BackendKind): string {
  return `the ${kind} backend's ${kind === "js" ? "2 GiB" : "4 GiB"}`;
}

/** "8,589,934,656 bytes" */
export function bytesText(bytes: number): string {
  return `${Math.round(bytes).toLocaleString("en-US")} bytes`;
}

/** `bytes` rounded up to a multiple of 16, in float64 (`(b + 15) & ~15` wraps at 2^31). */
export function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/** `floats` rounded up to a multiple of 4, in float64. */
export function align4(floats: number): number {
  return Math.ceil(floats / 4) * 4;
}

export interface SizeOptions {
  gates: number;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  outputSize: number;
  bias: boolean;
  /** E: the embedding's width (0 or absent: no embedding, layer 0 reads inputSize). */
  embeddingSize?: number;
  /** P: LSTM projections (0 or absent: none); h then has P units. */
  projSize?: number;
  /** Two directions per layer, each with its own tensors; layer k > 0 and the head read 2H (or 2P). */
  bidirectional?: boolean;
}

/** Floats of the parameter block (each tensor padded to 4 floats) in closed form: no layout is built. */
export function parameterSpan(s: SizeOptions): number {
  const { gates: G, inputSize: V, hiddenSize: H, numLayers: L, outputSize: O, bias } = s;
  const E = s.embeddingSize ?? 0, I = E > 0 ? E : V, P = s.projSize ?? 0, R = P > 0 ? P : H, D = s.bidirectional ? 2 : 1;
  const biases = (bias ? 2 * align4(G * H) : 0) + align4(P * H);
  const first = align4(G * H * I) + align4(G * H * R) + biases;
  const upper = align4(G * H * D * R) + align4(G * H * R) + biases;
  return align4(V * E) + D * first + (L - 1) * D * upper + align4(O * D * R) + align4(O);
}

/** Parameters of a configuration (no padding), in float64. */
export function parameterCountOf(s: SizeOptions): number {
  const { gates: G, inputSize: V, hiddenSize: H, numLayers: L, outputSize: O, bias } = s;
  const E = s.embeddingSize ?? 0, I = E > 0 ? E : V, P = s.projSize ?? 0, R = P > 0 ? P : H, D = s.bidirectional ? 2 : 1;
  const biases = (bias ? 2 * G * H : 0) + P * H;
  return V * E + D * (G * H * I + G * H * R + biases) + (L - 1) * D * (G * H * D * R + G * H * R + biases) + O * D * R + O;
}

/**
 * Throw when a configuration's parameters and gradients (two blocks of the parameter span) do not
 * fit the backend's memory, or it stacks more than MAX_LAYERS layers; the message names the option
 * that weighs most and the bytes needed. `fixedBytes` is what the arena holds besides them.
 */
export function checkModelSize(s: SizeOptions, kind: BackendKind, fixedBytes: number): void {
  if (s.numLayers > MAX_LAYERS) throw invalid(`numLayers must be at most ${MAX_LAYERS.toLocaleString("en-US")}; got ${s.numLayers}`);
  const span = parameterSpan(s);
  const bytes = 2 * align16(span * 4) + fixedBytes;
  if (bytes <= memoryLimit(kind)) return;
  const { gates: G, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O } = s;
  // the option that weighs most: W_ih of layer 0 (or the embedding), the head, or the rest (hiddenSize, and numLayers when stacked)
  const E = s.embeddingSize ?? 0;
  const input = E > 0 ? I * E + G * H * E : G * H * I, output = O * H, rest = span - input - output;
  const culprit = input >= rest && input >= output ? (E > 0 ? "inputSize or embeddingSize" : "inputSize") : output >= rest ? "outputSize" : L > 1 ? "hiddenSize or numLayers" : "hiddenSize";
  throw invalid(`inputSize ${I}, hiddenSize ${H}, numLayers ${L} and outputSize ${O} need ${bytesText(bytes)} for the parameters and their gradients: more than ${limitText(kind)}; reduce ${culprit}`);
}
