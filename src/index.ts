export { RNN, type RNNOptions, type RNNConfig, type ForwardResult, type NamedTensor } from "./model.js";
export { Trainer, type TrainerOptions, type TrainerSettings, type StepOptions, type StepResult } from "./trainer.js";
export { optimizerNames, type OptimizerName, type OptimizerOptions, type OptimizerSettings } from "./optimizers.js";
export { type Batch, IGNORE_INDEX } from "./batch.js";
export { generate, type GenerateOptions } from "./generate.js";
export { gradientCheck, type GradientCheckOptions, type GradientCheckResult } from "./gradcheck.js";
export { BpttError, NonFiniteError, type BpttErrorCode } from "./errors.js";
export { Random } from "./random.js";
export { init } from "./backends/wasm/loader.js";
export { JsBackend } from "./backends/js/index.js";
export type { Backend, Kernels } from "./backend.js";
export type { InitScheme } from "./init.js";
export { CharTokenizer, type CharTokenizerJSON } from "./text/tokenizer.js";
export { saveModel, loadModel, MODEL_FORMAT_VERSION, type SaveOptions, type LoadOptions, type LoadedModel } from "./io/model-file.js";
export {
  saveCheckpoint, loadCheckpoint, CHECKPOINT_FORMAT_VERSION, type SaveCheckpointOptions, type LoadCheckpointOptions, type LoadedCheckpoint,
} from "./io/checkpoint.js";
export { encodeSafetensors, decodeSafetensors, type SafetensorsFile, type SafetensorsTensor, type SafetensorsInput } from "./io/safetensors.js";
