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
 * weight_ih read P columns; then head.weight (O, H or P), head.bias (O). Gradients and optimizer state use the same layout in blocks of their own.
 */
export function parameterLayout(cell: CellSpec, inputSize: number, hiddenSize: number, numLayers: number, outputSize: number, bias = true,
  embeddingSize = 0, projSize = 0): ParameterLayout {
  const tensors: TensorSlot[] = [];
  let span = 0;
  const add = (name: string, shape: number[]): TensorSlot => {
    const size = shape.reduce((a, b) => a * b, 1);
    const slot = { name, shape, size, offset: span };
    span += align4(size);
    tensors.push(slot);
    return slot;
  };
  const G = cell.gates, H = hiddenSize, out = projSize > 0 ? projSize : H; // the width of h: what the next layer and the head read
  const embedding = embeddingSize > 0 ? add("embedding.weight", [inputSize, embeddingSize]) : null;
  const layers: LayerSlots[] = [];
  for (let k = 0; k < numLayers; k++) {
    const I = k > 0 ? out : embeddingSize > 0 ? embeddingSize : inputSize;
    layers.push({
      inputSize: I,
      weightIh: add(`rnn.weight_ih_l${k}`, [G * H, I]),
      weightHh: add(`rnn.weight_hh_l${k}`, [G * H, out]),
      biasIh: bias ? add(`rnn.bias_ih_l${k}`, [G * H]) : null,
      biasHh: bias ? add(`rnn.bias_hh_l${k}`, [G * H]) : null,
      weightHr: projSize > 0 ? add(`rnn.weight_hr_l${k}`, [projSize, H]) : null,
    });
  }
  const headWeight = add("head.weight", [outputSize, out]);
  const headBias = add("head.bias", [outputSize]);
  return { embedding, layers, headWeight, headBias, tensors, span };
}
