import { generate } from "../generate.js";
import { loadCheckpoint } from "../io/checkpoint.js";
import { loadModel } from "../io/model-file.js";
import { decodeSafetensors } from "../io/safetensors.js";
import { invalid } from "../errors.js";
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
  const { model, tokenizer } = isCheckpoint(bytes) ? loadCheckpoint(bytes, { backend, schedule: () => 0 }) : loadModel(bytes, { backend });
  if (!tokenizer) throw invalid(`${positional[0]} has no vocabulary in its metadata; it was not written by bptt train`);
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

/** Whether safetensors bytes are a bptt checkpoint (a malformed file is left to the model reader to report). */
function isCheckpoint(bytes: Uint8Array): boolean {
  try {
    return decodeSafetensors(bytes).metadata.format === "bptt-checkpoint";
  } catch {
    return false;
  }
}
