import { generate } from "../generate.js";
import { loadCheckpoint } from "../io/checkpoint.js";
import { loadModel } from "../io/model-file.js";
import { decodeSafetensors } from "../io/safetensors.js";
import { invalid } from "../errors.js";
import type { RNNOptions } from "../model.js";
import { CharTokenizer } from "../text/tokenizer.js";
import { choiceFlag, intFlag, numberFlag, readInputFile } from "./checks.js";
import { parseArgs, helpText, type FlagSpec } from "./args.js";
import { BOUNDARY } from "./corpus.js";

export const sampleFlags: Record<string, FlagSpec> = {
  count: { type: "number", default: 20, help: "how many samples" },
  length: { type: "number", default: 200, help: "maximum characters per sample" },
  temperature: { type: "number", default: 0.8, help: "softmax temperature (> 0)" },
  "top-k": { type: "number", default: 0, help: "sample among the k most likely characters (0: all)" },
  "top-p": { type: "number", default: 1, help: "sample among the most likely characters holding this share of the probability (nucleus; 1: all)" },
  prompt: { type: "string", default: "", help: "text to start from (after the boundary for line models)" },
  seed: { type: "number", default: 1, help: "sampling seed" },
  backend: { type: "string", default: "wasm", help: '"wasm" or "js"' },
  config: { type: "string", default: "", help: 'for a file without bptt metadata (e.g. saved from PyTorch): the architecture as JSON, or a JSON file, e.g. {"cell": "lstm", "inputSize": 65, "hiddenSize": 128, "vocabulary": "<the characters in id order>"}' },
  help: { type: "boolean", help: "show this help" },
};

export const sampleUsage = `Usage: bptt sample <model.safetensors> [options]

Generates text from a model (or a checkpoint) saved by \`bptt train\`.`;

export function sample(argv: string[], log: (line: string) => void = console.log): void {
  const { positional, flags } = parseArgs(argv, sampleFlags);
  if (flags.help) return log(helpText(sampleUsage, sampleFlags));
  if (positional.length !== 1) throw invalid(`bptt sample needs exactly one model file; got ${positional.length} arguments. ${sampleUsage}`);
  const count = intFlag("count", flags.count, 0);
  const length = intFlag("length", flags.length, 1);
  const temperature = numberFlag("temperature", flags.temperature, 0, Infinity, { aboveMin: true });
  const topK = intFlag("top-k", flags["top-k"], 0);
  const topP = numberFlag("top-p", flags["top-p"], 0, 1, { aboveMin: true });
  const seed = intFlag("seed", flags.seed, 0, 0xffffffff - count);
  const backend = choiceFlag("backend", flags.backend, ["wasm", "js"] as const);
  const bytes = readInputFile("the model", positional[0]);
  // a checkpoint holds the model too (and the vocabulary bptt train saved with it)
  const given = readConfig(flags.config as string);
  const kind = fileKind(bytes);
  if (kind === "other" && given === undefined) {
    throw invalid(`${positional[0]} has no bptt configuration (it was not written by bptt); describe the architecture with --config, e.g. --config '{"cell": "lstm", "inputSize": 65, "hiddenSize": 128, "vocabulary": "…"}'`);
  }
  const loaded = kind === "checkpoint" ? loadCheckpoint(bytes, { backend, schedule: () => 0 }) : loadModel(bytes, { backend, config: given?.config });
  const { model } = loaded;
  const tokenizer = given?.tokenizer ?? loaded.tokenizer;
  if (!tokenizer) {
    model.dispose();
    throw invalid(`${positional[0]} has no vocabulary in its metadata; give the characters in id order as "vocabulary" in --config`);
  }
  if (tokenizer.vocabSize !== model.config.inputSize) {
    model.dispose();
    throw invalid(`the vocabulary has ${tokenizer.vocabSize} characters but the model's inputSize is ${model.config.inputSize}`);
  }
  const lineModel = tokenizer.chars.includes(BOUNDARY);
  const boundary = lineModel ? tokenizer.encode(BOUNDARY)[0] : -1;
  const promptText = flags.prompt as string;
  const prompt = [...(lineModel ? [boundary] : []), ...tokenizer.encode(promptText)];
  if (prompt.length === 0) throw invalid("--prompt is needed for a model trained on running text (it has no boundary character)");
  for (let k = 0; k < count; k++) {
    const ids = generate(model, { prompt, length, temperature, topK, topP, seed: seed + k, stopToken: lineModel ? boundary : undefined });
    log(promptText + tokenizer.decode(ids.filter((id) => id !== boundary)));
  }
  model.dispose();
}

/** What safetensors bytes hold, by their metadata; a malformed file is "model", left to the model reader to report. */
export function fileKind(bytes: Uint8Array): "checkpoint" | "model" | "other" {
  let format: string | undefined;
  try {
    format = decodeSafetensors(bytes).metadata.format;
  } catch {
    return "model";
  }
  return format === "bptt-checkpoint" ? "checkpoint" : format === "bptt" ? "model" : "other";
}

/** --config: JSON text (starting with "{") or the name of a JSON file; its "vocabulary" (a string or an array of characters) becomes the tokenizer. */
function readConfig(text: string): { config: RNNOptions; tokenizer?: CharTokenizer } | undefined {
  if (text === "") return undefined;
  const json = text.trimStart().startsWith("{") ? text : readInputFile("the --config file", text).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw invalid(`--config is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid("--config must be a JSON object such as {\"cell\": \"lstm\", \"inputSize\": 65, \"hiddenSize\": 128}");
  const { vocabulary, ...config } = value as Record<string, unknown>;
  if (vocabulary === undefined) return { config: config as unknown as RNNOptions };
  const chars = typeof vocabulary === "string" ? [...vocabulary] : vocabulary;
  let tokenizer: CharTokenizer;
  try {
    tokenizer = CharTokenizer.fromJSON({ type: "char", chars });
  } catch (error) {
    throw invalid(`--config vocabulary must be the characters in id order, each once: ${(error as Error).message}`);
  }
  return { config: config as unknown as RNNOptions, tokenizer };
}
