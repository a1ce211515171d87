import type { CellSpec } from "./cells/cell.js";
import { align4 } from "./limits.js";

/** One named parameter tensor inside the parameter block. `offset` is in floats from the block start. */
export interface TensorSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly offset: number;
}

export interface LayerSlots {
  readonly inputSize: number;
  readonly weightIh: TensorSlot;
  readonly weightHh: TensorSlot;
  /** null when the layers have no biases (PyTorch's bias=False). */
  readonly biasIh: TensorSlot | null;
  readonly biasHh: TensorSlot | null;
  /** weight_hr_l{k} (P, H) of an LSTM with projections, else null. */
  readonly weightHr: TensorSlot | null;
}

export interface ParameterLayout {
  /** embedding.weight (V, E) before the first layer, or null without an embedding. */
  readonly embedding: TensorSlot | null;
  /** D: 2 for a bidirectional model, else 1. */
  readonly directions: number;
  /** L·D layer directions, layer-major: layer k's forward direction at k·D, its reverse (suffix _reverse) at k·D + 1. */
  readonly layers: readonly LayerSlots[];
  readonly headWeight: TensorSlot;
  readonly headBias: TensorSlot;
  /** Every tensor in PyTorch state_dict order. */
  readonly tensors: readonly TensorSlot[];
  /** Floats of the whole block, including the zero padding that keeps each tensor 16-byte aligned. */
  readonly span: number;
}

/**
 * The parameter block, in PyTorch's state_dict order: embedding.weight (V, E) when `embeddingSize`
 * E > 0 (layer 0 then reads E features), for each layer k weight_ih_l{k} (G·H, I_k),
 * weight_hh_l{k} (G·H, H), bias_ih_l{k} (G·H), bias_hh_l{k} (G·H) (unless `bias` is false), and with
 * `projSize` P > 0 (LSTM) weight_hr_l{k} (P, H), where h has P units: weight_hh and the next layer's
 * weight_ih read P columns; then head.weight (O, H or P), head.bias (O). `bidirectional`: each layer's
 * tensors are followed by the same set with the suffix _reverse, and layer k > 0 and the head read the
 * concatenated 2H (or 2P) outputs, as nn.RNN/LSTM/GRU(bidirectional=True).
 * Gradients and optimizer state use the same layout in blocks of their own.
 */
export function parameterLayout(cell: CellSpec, inputSize: number, hiddenSize: number, numLayers: number, outputSize: number, bias = true,
  embeddingSize = 0, projSize = 0, bidirectional = false): ParameterLayout {
  const tensors: TensorSlot[] = [];
  let span = 0;
  const add = (name: string, shape: number[]): TensorSlot => {
    const size = shape.reduce((a, b) => a * b, 1);
    const slot = { name, shape, size, offset: span };
    span += align4(size);
    tensors.push(slot);
    return slot;
  };
  const G = cell.gates, H = hiddenSize, R = projSize > 0 ? projSize : H; // the width of h
  const D = bidirectional ? 2 : 1, out = D * R; // what the next layer and the head read
  const embedding = embeddingSize > 0 ? add("embedding.weight", [inputSize, embeddingSize]) : null;
  const layers: LayerSlots[] = [];
  for (let k = 0; k < numLayers; k++) {
    const I = k > 0 ? out : embeddingSize > 0 ? embeddingSize : inputSize;
    for (const suffix of bidirectional ? ["", "_reverse"] : [""]) {
      layers.push({
        inputSize: I,
        weightIh: add(`rnn.weight_ih_l${k}${suffix}`, [G * H, I]),
        weightHh: add(`rnn.weight_hh_l${k}${suffix}`, [G * H, R]),
        biasIh: bias ? add(`rnn.bias_ih_l${k}${suffix}`, [G * H]) : null,
        biasHh: bias ? add(`rnn.bias_hh_l${k}${suffix}`, [G * H]) : null,
        weightHr: projSize > 0 ? add(`rnn.weight_hr_l${k}${suffix}`, [projSize, H]) : null,
      });
    }
  }
  const headWeight = add("head.weight", [outputSize, out]);
  const headBias = add("head.bias", [outputSize]);
  return { embedding, directions: D, layers, headWeight, headBias, tensors, span };
}
