/**
 * Type-level tests, checked by `npm run typecheck` (tsc -p . includes test/): each line marked
 * @ts-expect-error must be a type error, or tsc fails with "Unused '@ts-expect-error' directive".
 * OptimizerOptions is a union told apart by `optimizer`: each optimizer takes only its own options.
 */
import { Trainer, type OptimizerOptions, type PlainTrainerOptions, type RNN, type TrainerOptions } from "../../src/index.js";

declare const model: RNN;

// accepted: each optimizer with its own options; SGD is the default and needs a learning rate
const accepted: TrainerOptions[] = [
  { learningRate: 0.1 },
  { optimizer: "sgd", learningRate: 0.1, momentum: 0.9, nesterov: true, clipNorm: 1 },
  { optimizer: "adagrad", lrDecay: 0.01, initialAccumulatorValue: 0.1 },
  { optimizer: "rmsprop", momentum: 0.5, centered: true, alpha: 0.9 },
  { optimizer: "adam", betas: [0.9, 0.99], amsgrad: true, reduction: "mean", schedule: (t, lr) => lr / t },
  { optimizer: "adamw", weightDecay: 0.1 },
];

// @ts-expect-error SGD without a learning rate (PyTorch's SGD has no default lr)
new Trainer(model, { optimizer: "sgd" });
// @ts-expect-error the default optimizer is SGD: a learning rate is needed
new Trainer(model, { clipNorm: 1 });
// @ts-expect-error Adam has no momentum
new Trainer(model, { optimizer: "adam", momentum: 0.9 });
// @ts-expect-error AdamW has no nesterov
new Trainer(model, { optimizer: "adamw", nesterov: true });
// @ts-expect-error SGD has no betas
new Trainer(model, { optimizer: "sgd", learningRate: 0.1, betas: [0.9, 0.999] });
// @ts-expect-error Adagrad has no alpha
const adagrad: OptimizerOptions = { optimizer: "adagrad", alpha: 0.9 };
// @ts-expect-error RMSprop has no lrDecay
const rmsprop: OptimizerOptions = { optimizer: "rmsprop", lrDecay: 0.1 };
// @ts-expect-error an unknown optimizer name
const unknown: OptimizerOptions = { optimizer: "lamb", learningRate: 0.1 };
// @ts-expect-error plain (JSON) trainer options have no schedule function
const plain: PlainTrainerOptions = { optimizer: "adam", schedule: (t: number, lr: number) => lr / t };
// @ts-expect-error plain trainer options stay discriminated: Adam has no dampening
const plainAdam: PlainTrainerOptions = { optimizer: "adam", dampening: 0.1 };

export const typeTests = [accepted, adagrad, rmsprop, unknown, plain, plainAdam];
