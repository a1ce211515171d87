import { expect } from "vitest";
import { Trainer, type Batch, type RNN } from "../../src/index.js";

/** A recorded torch.optim.SGD run (make_rnn_fixtures.py, make_gated_fixtures.py): momentum, clip_grad_norm_, summed loss. */
export interface SgdTrajectory {
  steps: number;
  learningRate: number;
  momentum: number;
  clipNorm: number;
  /** Loss sum before each step, of the batch with the weights at that point. */
  lossSums: number[];
  /** ‖∇ loss sum‖₂ before clipping, as clip_grad_norm_ returns it. */
  gradNorms: number[];
  finalParameters: Record<string, number[]>;
}

/** How a golden suite compares one quantity with PyTorch's (its tolerance and error statistics). */
export type Compare = (quantity: string, label: string, actual: ArrayLike<number>, expected: ArrayLike<number>) => void;

/**
 * Replays a recorded SGD trajectory through the Trainer on `batch` (the same batch every step) and
 * compares each step's loss sum (and, given `count`, the mean loss per target), gradient norm and
 * clipping, and the parameters after the last step.
 */
export function replaySgdTrajectory(model: RNN, batch: Batch, trajectory: SgdTrajectory, compare: Compare, count?: number): void {
  const trainer = new Trainer(model, { learningRate: trajectory.learningRate, momentum: trajectory.momentum, clipNorm: trajectory.clipNorm });
  for (let s = 0; s < trajectory.steps; s++) {
    const r = trainer.step(batch);
    compare("trajectory lossSum", `step ${s + 1} lossSum`, [r.lossSum], [trajectory.lossSums[s]]);
    if (count !== undefined) compare("trajectory lossSum", `step ${s + 1} loss (mean per target)`, [r.loss], [trajectory.lossSums[s] / count]);
    compare("trajectory gradNorm", `step ${s + 1} gradNorm`, [r.gradNorm], [trajectory.gradNorms[s]]);
    expect(r.clipped, `step ${s + 1} clipped`).toBe(trajectory.gradNorms[s] > trajectory.clipNorm);
  }
  for (const [name, values] of Object.entries(trajectory.finalParameters)) {
    compare("trajectory weights", `${name} after ${trajectory.steps} steps`, model.getParameter(name), values);
  }
}
