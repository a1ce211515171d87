/**
 * `bptt/io`: models and training state in files — safetensors (PyTorch's names and layouts), model
 * files with their vocabulary, and checkpoints that resume training exactly.
 */
export { saveModel, loadModel, MODEL_FORMAT_VERSION, type SaveOptions, type LoadOptions, type LoadedModel } from "./io/model-file.js";
export {
  saveCheckpoint, loadCheckpoint, CHECKPOINT_FORMAT_VERSION, type SaveCheckpointOptions, type LoadCheckpointOptions, type LoadedCheckpoint,
} from "./io/checkpoint.js";
export { encodeSafetensors, decodeSafetensors, type SafetensorsFile, type SafetensorsTensor, type SafetensorsInput } from "./io/safetensors.js";
