/**
 * bptt eval MODEL FILE: the loss of a saved model (or checkpoint) on a text file, in nats and bits
 * per character, scored by `evaluate` from bptt/train: a line model (its vocabulary has the line
 * boundary) reads FILE one example per line, any other reads it as running text in parallel streams
 * that carry every state of the cell (h, and c for an LSTM) from window to window.
 */
import { BpttError, invalid } from "../errors.js";
import { loadCheckpoint } from "../io/checkpoint.js";
import { loadModel } from "../io/model-file.js";
import { helpText, parseArgs, type FlagSpec } from "./args.js";
import { choiceFlag, intFlag, readInputFile } from "./checks.js";
import { BOUNDARY } from "./corpus.js";
import { fileKind } from "./sample.js";
import { cellName, scoreSequences } from "./scoring.js";

export const evalFlags: Record<string, FlagSpec> = {
  format: { type: "string", default: "auto", help: '"lines": one example per line; "text": running text; "auto": lines for a model trained on lines (its vocabulary has the line boundary), else text' },
  batch: { type: "number", default: 32, help: "examples per batch (lines) or parallel streams (text; fewer for a short text)" },
  backend: { type: "string", default: "wasm", help: '"wasm" or "js"' },
  help: { type: "boolean", help: "show this help" },
};

export const evalUsage = `Usage: bptt eval <model.safetensors> <file> [options]

Prints the loss of a model saved by \`bptt train\` (or a checkpoint) on a text file: nats and bits
per character, over every character after the first of each line (lines) or of each stream (text).`;

export function evalCommand(argv: string[], log: (line: string) => void = console.log): void {
  const { positional, flags } = parseArgs(argv, evalFlags);
  if (flags.help) return log(helpText(evalUsage, evalFlags));
  if (positional.length !== 2) throw invalid(`bptt eval needs a model file and a text file; got ${positional.length} argument${positional.length === 1 ? "" : "s"}. ${evalUsage}`);
  const [modelFile, textFile] = positional;
  const format = choiceFlag("format", flags.format, ["auto", "lines", "text"] as const);
  const batchSize = intFlag("batch", flags.batch, 1);
  const backend = choiceFlag("backend", flags.backend, ["wasm", "js"] as const);
  const bytes = readInputFile("the model", modelFile);
  const text = readInputFile("the text", textFile).toString("utf8");
  const kind = fileKind(bytes);
  if (kind === "other") throw invalid(`${modelFile} has no bptt configuration (it was not written by bptt); bptt eval needs the vocabulary saved with the model`);
  const { model, tokenizer } = kind === "checkpoint" ? loadCheckpoint(bytes, { backend, schedule: () => 0 }) : loadModel(bytes, { backend });
  try {
    if (tokenizer === undefined) throw invalid(`${modelFile} has no vocabulary in its metadata; bptt eval scores characters and needs it`);
    const lineModel = tokenizer.chars.includes(BOUNDARY);
    const asLines = format === "lines" || (format === "auto" && lineModel);
    if (asLines && !lineModel) throw invalid(`--format lines needs a model trained on lines (its vocabulary has no line boundary); this one was trained on running text`);
    const encode = (s: string) => {
      try {
        return tokenizer.encode(s);
      } catch (error) {
        throw error instanceof BpttError ? invalid(`${textFile}: ${error.message}`) : error;
      }
    };
    const sequences = asLines
      ? text.split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l.length > 0).map((l) => encode(BOUNDARY + l + BOUNDARY))
      : [encode(text)];
    if (sequences.length === 0 || (!asLines && sequences[0].length < 2)) throw invalid(`${textFile} has no character to predict`);
    const r = scoreSequences(model, asLines ? "lines" : "text", sequences, batchSize);
    const { numLayers, hiddenSize } = model.config;
    log(`${textFile}: ${r.count.toLocaleString("en-US")} characters scored (${asLines ? `${sequences.length} lines` : "running text"}) by a ${numLayers}-layer ${cellName(model)} (H = ${hiddenSize})`);
    log(`loss per character: ${r.meanLoss.toFixed(4)} nats, ${r.bitsPerToken!.toFixed(4)} bits`);
  } finally {
    model.dispose();
  }
}
