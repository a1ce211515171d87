/**
 * A file's model configuration checked before any model exists: at most maxParameters parameters
 * and no more layers than the file has tensors, so that building its layout (one object per tensor)
 * is cheap; the caller then checks every tensor's name and shape against that layout, which the
 * file's bytes back. A small file that claims a huge model is a FORMAT error found in microseconds,
 * not after allocating it.
 */
import { BpttError, describe, invalid } from "../errors.js";
import type { ParameterLayout } from "../layout.js";
import { parameterCountOf } from "../limits.js";
import { resolveOptions, type RNNConfig, type RNNOptions } from "../model.js";
import { gruCell } from "../cells/gru.js";
import { lstmCell } from "../cells/lstm.js";
import { rnnCell } from "../cells/rnn.js";

function cellGates(cell: unknown): number | null {
  if (cell === undefined || cell === "rnn") return rnnCell.gates;
  return cell === "lstm" ? lstmCell.gates : cell === "gru" ? gruCell.gates : null;
}

/** The default of `maxParameters`: 2^28 float32 parameters (1 GiB, and as much again for the gradients). */
export const DEFAULT_MAX_PARAMETERS = 2 ** 28;

export function checkMaxParameters(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_PARAMETERS;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) throw invalid(`maxParameters must be a positive integer; got ${describe(value)}`);
  return value;
}

/**
 * `options` completed (as `new RNN` would) and its parameter layout, once it is clear that the
 * layout is cheap to build: at most `maxParameters` parameters and no more layers than tensors. `fromFile`: the configuration came from the file, so an invalid
 * one is a FORMAT error made by `fail` (else the caller's INVALID_ARGUMENT error stands).
 */
export function checkFileConfig(
  options: RNNOptions, tensors: Map<string, { shape: number[] }>, maxParameters: number, fromFile: boolean, fail: (message: string) => BpttError,
): { config: RNNConfig; layout: ParameterLayout } {
  const o = options as unknown as Record<string, unknown>;
  const gates = cellGates(o.cell);
  const numbers = ["inputSize", "hiddenSize", "numLayers", "outputSize"].map((k) => o[k] ?? (k === "numLayers" ? 1 : k === "outputSize" ? o.inputSize : undefined));
  if (gates !== null && numbers.every((n) => typeof n === "number" && Number.isSafeInteger(n) && n >= 1)) {
    const [inputSize, hiddenSize, numLayers, outputSize] = numbers as number[];
    if (numLayers > tensors.size) throw fail(`numLayers is ${numLayers} but the file holds only ${tensors.size} tensors (each layer has at least 2)`);
    const embeddingSize = typeof o.embeddingSize === "number" && o.embeddingSize > 0 ? o.embeddingSize : 0;
    const projSize = typeof o.projSize === "number" && o.projSize > 0 ? o.projSize : 0;
    const count = parameterCountOf({ gates, inputSize, hiddenSize, numLayers, outputSize, bias: o.bias !== false, embeddingSize, projSize, bidirectional: o.bidirectional === true });
    if (count > maxParameters) throw fail(`the configuration describes a model of ${count.toLocaleString("en-US")} parameters, more than options.maxParameters (${maxParameters.toLocaleString("en-US")})`);
  }
  try {
    return resolveOptions(options);
  } catch (error) {
    if (fromFile && error instanceof BpttError && error.code === "INVALID_ARGUMENT") throw fail(`__metadata__.config is invalid: ${error.message}`);
    throw error;
  }
}
