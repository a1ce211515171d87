/**
 * The library without an embedded WebAssembly module: the API of the main entry (`bptt`), for hosts
 * that hand the module to `init(module | bytes)` themselves (`bptt/core`, and the workerd entry).
 * The pure-TypeScript backend is in `bptt/js`; files (safetensors, model files, checkpoints) in `bptt/io`;
 * finite-difference gradient checks in `bptt/gradcheck`.
 */
export { RNN, type RNNOptions, type RNNConfig, type ForwardOptions, type ForwardResult, type NamedTensor } from "./model.js";
export { Trainer, type TrainerOptions, type TrainerBaseOptions, type PlainTrainerOptions, type TrainerSettings, type StepOptions, type StepResult } from "./trainer.js";
export {
  optimizerNames, type OptimizerName, type OptimizerOptions, type OptimizerSettings, type SgdOptions, type AdagradOptions, type RmspropOptions, type AdamOptions,
} from "./optimizers.js";
export { type Batch, IGNORE_INDEX } from "./batch.js";
export { generate, type GenerateOptions } from "./generate.js";
export { BpttError, NonFiniteError, type BpttErrorCode } from "./errors.js";
export { Random } from "./random.js";
export { init, relaxedSimdInUse, shutdown, type InitOptions } from "./backends/wasm/loader.js";
export type { Backend, Kernels } from "./backend.js";
export type { InitScheme } from "./init.js";
export { CharTokenizer, type CharTokenizerJSON } from "./text/tokenizer.js";
