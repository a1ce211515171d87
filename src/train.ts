/**
 * `bptt/train`: the training loop and what feeds it, outside the main entry so that a page that only
 * runs or steps a model does not download it. `fit` (budgets, validation, early stopping, callbacks,
 * abort, history), `evaluate` (loss and bits per token over a data set, state carried across
 * windows), learning-rate schedule presets, and the data helpers: token streams, padded and shuffled
 * example batches, and the targets of next-token, many-to-one and every-step tasks.
 */
import { fit } from "./fit.js";
import { provideFitLoop } from "./trainer.js";

provideFitLoop(fit); // trainer.fit(data, options) is this fit
export { fit, type FitOptions, type FitStep, type FitEvaluation, type FitHistory, type StopReason } from "./fit.js";
export { evaluate, type EvaluateResult } from "./evaluate.js";
export {
  LearningRateSchedule, resolveSchedule, scheduleNames, type ScheduleName, type ScheduleOptions, type ScheduleState,
  type ConstantSchedule, type DecaySchedule, type StepDecaySchedule, type PlateauSchedule,
} from "./schedules.js";
export { batchSource, type BatchSource } from "./data/source.js";
export { TokenStreams, type TokenStreamOptions } from "./data/streams.js";
export { ExampleBatches, type ExampleBatchOptions } from "./data/batching.js";
export { nextTokenExample, lastStepExample, everyStepExample, type Example, type FeatureOptions } from "./data/examples.js";
