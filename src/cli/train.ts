import { BigramModel } from "../baseline/bigram.js";
import { loadNames, splitHoldout } from "../data/names.js";
import { checkFinite, invalid } from "../errors.js";
import { init } from "../backends/wasm/loader.js";
import { generate } from "../generate.js";
import { loadCheckpoint, saveCheckpoint } from "../io/checkpoint.js";
import { saveModel } from "../io/model-file.js";
import type { OptimizerName } from "../optimizers.js";
import { RNN, type RNNOptions } from "../model.js";
import { Trainer } from "../trainer.js";
import { parseArgs, helpText, type FlagSpec } from "./args.js";
import { writeFileAtomic } from "./files.js";
import { checkOutputFile, choiceFlag, intFlag, numberFlag, readInputFile } from "./checks.js";
import { MAX_LAYERS } from "../limits.js";
import { optimizerNames } from "../optimizers.js";
import { BatchSource, linesCorpus, textCorpus, textCorpusWithHeldOut, type Corpus } from "./corpus.js";
import { runSchedule, scheduleFlag } from "./schedule.js";
import { cellName, scoreSequences } from "./scoring.js";
import { initSchemes, type InitScheme } from "../init.js";
import { scheduleNames, type LearningRateSchedule, type ScheduleOptions, type ScheduleState } from "../schedules.js";

/**
 * --format auto reads a file as lines (independent examples, each trained by full BPTT) only when it
 * looks like a list — names, words, identifiers: every line at most AUTO_LINE_LIMIT characters and at
 * least AUTO_LIST_SHARE of them without whitespace. Anything else (prose, code, logs) is running text,
 * whose context crosses line ends.
 */
const AUTO_LINE_LIMIT = 1000;
const AUTO_LIST_SHARE = 0.8;

/** The default --schedule, chosen by measurement (see the README). */
const DEFAULT_SCHEDULE = "plateau";
/** The default --forget-bias of --cell lstm, chosen by measurement (see the README). */
const DEFAULT_FORGET_BIAS = "none";

export const trainFlags: Record<string, FlagSpec> = {
  format: { type: "string", default: "auto", help: `"lines": one example per line; "text": running text cut into windows; "auto": lines for a list (at least ${AUTO_LIST_SHARE * 100} % of the lines without whitespace, none over ${AUTO_LINE_LIMIT} characters), else text` },
  hidden: { type: "number", default: 128, help: "hidden units per layer" },
  layers: { type: "number", default: 1, help: "stacked recurrent layers" },
  embedding: { type: "number", default: 0, help: "an nn.Embedding of this width before the first layer (0: one-hot characters)" },
  dropout: { type: "number", default: 0, help: "dropout between layers in training, p in [0, 1) (as nn.LSTM's dropout)" },
  cell: { type: "string", default: "rnn", help: '"rnn" (vanilla), "lstm" or "gru"' },
  nonlinearity: { type: "string", default: "tanh", help: '"tanh" or "relu" (--cell rnn)' },
  init: { type: "string", default: "pytorch", help: `weight initialisation: ${initSchemes.map((s) => JSON.stringify(s)).join(", ")} (see the README)` },
  "forget-bias": { type: "string", default: DEFAULT_FORGET_BIAS, help: '--cell lstm: set the forget gate\'s input bias b_if to this number after initialisation; "none" keeps the initialisation\'s' },
  batch: { type: "number", default: 32, help: "sequences per batch" },
  "seq-len": { type: "number", default: 64, help: "window length (bpttSteps) for --format text" },
  optimizer: { type: "string", default: "adam", help: '"sgd", "adagrad", "rmsprop", "adam" or "adamw" (torch.optim semantics)' },
  lr: { type: "number", default: 0, help: "learning rate (of the mean loss per character); 0: 2e-3 for adam and adamw, 0.1 for sgd, PyTorch's default for the others" },
  schedule: { type: "string", default: DEFAULT_SCHEDULE, help: `learning-rate schedule: ${scheduleNames.map((n) => JSON.stringify(n)).join(", ")} ("linear" and "cosine" span --steps; "plateau" halves the rate after two validation checks without improvement; "constant" when the default meets --validation 0 or --eval-steps 0), or a preset's options as JSON` },
  momentum: { type: "number", default: 0.9, help: "momentum of sgd (the other optimizers keep their defaults)" },
  "clip-norm": { type: "number", default: 1, help: "clip gradients by global norm" },
  seconds: { type: "number", default: 60, help: "training time budget (it decides only when to stop, never the learning rate)" },
  steps: { type: "number", default: 0, help: "stop after this many steps (0: time budget only)" },
  "held-out": { type: "number", default: 0.1, help: "fraction held out for evaluation (not with --held-out-file)" },
  "held-out-file": { type: "string", default: "", help: "evaluate on this file (read like the training file) instead of holding out a part of the training data" },
  validation: { type: "number", default: 0.05, help: "fraction of the training data kept aside to pick the best weights (early stopping; 0: off)" },
  "max-eval": { type: "number", default: 200000, help: "at most this many characters each for the held-out and the validation data (lines or text)" },
  "eval-steps": { type: "number", default: 250, help: "evaluate on the validation data every this many steps" },
  patience: { type: "number", default: 4, help: "stop when this many validation checks in a row have not improved on the best (0: never)" },
  seed: { type: "number", default: 1, help: "seed for initialisation, data order and sampling" },
  backend: { type: "string", default: "wasm", help: '"wasm" or "js"' },
  threads: { type: "string", default: "auto", help: 'threads per kernel call (wasm): a number ≥ 1, or "auto" for every core' },
  out: { type: "string", default: "model.safetensors", help: "where to write the trained model" },
  "stop-at": { type: "number", default: 0, help: "end this session after that step (0: at --steps); the schedule still spans --steps" },
  checkpoint: { type: "string", default: "", help: "write a checkpoint (weights, optimizer state, step, data position) here when training ends" },
  "allow-binary": { type: "boolean", help: "train on a file that looks binary (NUL bytes or invalid UTF-8)" },
  resume: { type: "boolean", help: "continue the run saved in --checkpoint (same file, --format, --seed, --held-out, --batch, --seq-len)" },
  samples: { type: "number", default: 20, help: "samples to print after training" },
  temperature: { type: "number", default: 0.8, help: "sampling temperature" },
  help: { type: "boolean", help: "show this help" },
};

export const trainUsage = `Usage: bptt train [file] [options]

Trains a character-level RNN on a text file (default: the bundled English first names),
prints progress, samples, the held-out loss next to a bigram baseline, and saves the model.
The weights saved are those with the lowest loss on a validation split carved from the training
data (--validation), checked every --eval-steps steps; training stops early when --patience checks
in a row have not improved on the best. A --resume carries the schedule's and the early stopping's
state and the best weights seen before the stop.

The learning rate depends on the step alone (--schedule), never on time: a run stopped (by
--seconds, --stop-at or Ctrl-C) with --checkpoint and continued with --resume (--steps counts the
steps of all sessions) ends exactly where an uninterrupted run would.`;

/** Set by the CLI's first Ctrl-C: the session stops after its current step and saves what it has. */
export interface Interrupt {
  requested: boolean;
}

/** --threads: "auto" or an integer ≥ 1. */
function threadsFlag(value: string): number | "auto" {
  if (value === "auto") return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw invalid(`--threads must be a whole number ≥ 1 or "auto"; got ${JSON.stringify(value)}`);
  return n;
}

/** --forget-bias: "none" (null: the initialisation's bias) or a finite number. */
function forgetBiasFlag(value: string): number | null {
  if (value === "none") return null;
  const n = value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(n)) throw invalid(`--forget-bias must be a number or "none"; got ${JSON.stringify(value)}`);
  return n;
}

/** bptt train, start to end, synchronously (on one thread: init({ threads }) is asynchronous). */
export function train(argv: string[], log: (line: string) => void = console.log): void {
  for (const _ of trainingSession(argv, log, { requested: false }));
}

/**
 * bptt train yielding to the event loop every 50 ms, so that a SIGINT handler can set `interrupt`:
 * then the current step ends, the checkpoint and the model are saved, and the promise resolves.
 */
export async function trainUntilInterrupted(argv: string[], log: (line: string) => void, interrupt: Interrupt): Promise<void> {
  const { flags } = parseArgs(argv, trainFlags);
  if (!flags.help && flags.backend === "wasm") {
    const inUse = await init({ threads: threadsFlag(flags.threads as string) });
    log(`using ${inUse} thread${inUse === 1 ? "" : "s"} per kernel call (--threads ${flags.threads})`);
  }
  let lastYield = performance.now();
  for (const _ of trainingSession(argv, log, interrupt)) {
    if (performance.now() - lastYield < 50) continue;
    await new Promise((resolve) => setImmediate(resolve));
    lastYield = performance.now();
  }
}

/** The best validation check so far: its loss, step and weights (in parameters() order; null before the first check). */
interface Best {
  loss: number;
  step: number;
  weights: Float32Array[] | null;
}

/** The best check of a checkpoint's data ({ loss, step } or null) with the weights the checkpoint kept beside the trainer's. */
function restoreBest(saved: unknown, weights: Float32Array[] | undefined): Best {
  if (saved === null) return { loss: Infinity, step: 0, weights: null };
  const s = saved as { loss?: unknown; step?: unknown };
  const ok = typeof s === "object" && typeof s.loss === "number" && Number.isFinite(s.loss) && Number.isInteger(s.step) && (s.step as number) >= 0;
  if (!ok || weights === undefined) throw invalid(`the checkpoint's best validation check must be { loss, step } with its weights saved beside; got ${JSON.stringify(saved)}`);
  return { loss: s.loss as number, step: s.step as number, weights };
}

/** Early stopping's state: the best validation loss so far and the checks since it (JSON in a checkpoint, Infinity as null). */
interface Stopping {
  bestLoss: number;
  waited: number;
}

/** The training session as a generator that yields after every step. */
function* trainingSession(argv: string[], log: (line: string) => void, interrupt: Interrupt): Generator<void, void, void> {
  const { positional, flags, given } = parseArgs(argv, trainFlags);
  if (flags.help) return void log(helpText(trainUsage, trainFlags));
  const scheduleOptions = checkTrainFlags(positional, flags, given);
  const seed = flags.seed as number;
  const maxEval = flags["max-eval"] as number;
  const loaded = loadCorpus(positional[0], flags.format as string, flags["held-out"] as number, flags["held-out-file"] as string, seed, maxEval, flags["allow-binary"] as boolean, log);
  const corpus = splitValidation(loaded, flags.validation as number, maxEval);
  const V = corpus.tokenizer.vocabSize;
  const budget = (flags.seconds as number) * 1000, maxSteps = flags.steps as number;
  // the rate of step t (1-based) is the schedule's: a function of t alone, so that a resumed run is exact
  let schedule: LearningRateSchedule | null = null;
  const rate = (step: number) => schedule!.rate(step);
  const stopping: Stopping = { bestLoss: Infinity, waited: 0 };
  const source = new BatchSource(corpus.train, corpus.kind, flags.batch as number, flags["seq-len"] as number, seed);
  const checkpoint = flags.checkpoint as string;
  let model: RNN, trainer: Trainer;
  let resumedBest: Best | null = null;
  if (flags.resume) {
    const loaded = loadCheckpoint(readInputFile("the checkpoint", checkpoint), { backend: flags.backend as "wasm" | "js", schedule: rate });
    const position = loaded.data as { cursors: number[]; schedule?: unknown; stopping?: unknown; best?: unknown; run?: Record<string, unknown> } | undefined;
    try {
      if (position?.run !== undefined) checkSameRun(checkpoint, position.run, flags);
      if (loaded.tokenizer === undefined || JSON.stringify(loaded.tokenizer.toJSON()) !== JSON.stringify(corpus.tokenizer.toJSON()) || position === undefined || loaded.random === undefined) {
        throw invalid(`${checkpoint} was not written by bptt train on this data; resume with the same file, --format and --held-out`);
      }
      source.seek(position);
      schedule = runSchedule(scheduleOptions, loaded.trainer.options.learningRate, maxSteps);
      if (position.schedule !== undefined) schedule.setState(restoreScheduleState(position.schedule));
      if (position.stopping !== undefined) Object.assign(stopping, restoreStopping(position.stopping));
      if (position.best !== undefined) resumedBest = restoreBest(position.best, loaded.bestWeights);
      source.random.setState(loaded.random.getState());
    } catch (error) {
      loaded.model.dispose();
      throw error;
    }
    ({ model, trainer } = loaded);
    log(`resumed ${checkpoint} at step ${trainer.stepCount} (${trainer.options.optimizer}, learning rate ${trainer.options.learningRate})`);
  } else {
    model = new RNN({
      inputSize: V, hiddenSize: flags.hidden as number, numLayers: flags.layers as number, init: flags.init as InitScheme,
      embeddingSize: flags.embedding as number, dropout: flags.dropout as number,
      seed, backend: flags.backend as "wasm" | "js", ...cellOptions(flags.cell as string, flags.nonlinearity as string, flags["forget-bias"] as string),
    });
    const optimizer = flags.optimizer as OptimizerName;
    const lr = flags.lr as number;
    try {
      trainer = new Trainer(model, {
        optimizer, learningRate: lr !== 0 ? lr : optimizer === "sgd" ? 0.1 : optimizer === "adam" || optimizer === "adamw" ? 2e-3 : undefined, momentum: optimizer === "sgd" ? flags.momentum as number : undefined,
        clipNorm: flags["clip-norm"] as number, reduction: "mean", schedule: rate,
      } as ConstructorParameters<typeof Trainer>[1]); // the optimizer is known at run time only: the Trainer checks its options
      schedule = runSchedule(scheduleOptions, trainer.options.learningRate, maxSteps);
    } catch (error) {
      model.dispose();
      throw error;
    }
  }
  const what = positional[0] ?? "bundled English first names";
  const kind = cellName(model);
  log(`training a ${model.config.numLayers}-layer ${kind} (H = ${model.config.hiddenSize}, vocabulary ${V}, ${model.parameterCount} parameters, ${model.backendName} backend) on ${what}: ${corpus.train.length === 1 ? corpus.train[0].length + " characters" : corpus.train.length + " examples"}`);

  const started = performance.now();
  const first = trainer.stepCount;
  let tokens = 0, step = first, smooth = 0, lastPrint = 0, validationMs = 0, stoppedEarly = false;
  const tty = typeof process !== "undefined" && process.stderr.isTTY;
  const stopAt = flags["stop-at"] as number;
  const evalSteps = flags["eval-steps"] as number, patience = flags.patience as number;
  // the best validation check so far, carried by the checkpoint: a resumed run keeps the same model a straight run would
  const best: Best = resumedBest ?? { loss: Infinity, step: 0, weights: null };
  /** Score the validation data; true when early stopping ends the run. */
  const validate = (): boolean => {
    if (corpus.validation.length === 0) return false;
    const from = performance.now();
    const loss = scoreSequences(model, corpus.kind, corpus.validation, flags.batch as number).meanLoss;
    validationMs += performance.now() - from;
    if (loss < best.loss) {
      best.loss = loss;
      best.step = step;
      best.weights = model.parameters().map((p) => p.data.slice());
    }
    schedule!.observe(loss);
    if (loss < stopping.bestLoss) {
      stopping.bestLoss = loss;
      stopping.waited = 0;
    } else stopping.waited++;
    return patience > 0 && stopping.waited >= patience;
  };
  while (!interrupt.requested && performance.now() - started < budget && (maxSteps === 0 || step < maxSteps) && (stopAt <= 0 || step < stopAt)) {
    const r = trainer.step(source.next(), { carryState: source.continuous });
    step++;
    tokens += r.tokens;
    smooth = step === first + 1 ? r.loss : 0.98 * smooth + 0.02 * r.loss;
    if (evalSteps > 0 && step % evalSteps === 0 && validate()) {
      stoppedEarly = true;
      log(`stopping early at step ${step}: ${patience} validation check${patience === 1 ? "" : "s"} in a row without improvement (--patience ${patience})`);
      break;
    }
    const elapsed = performance.now() - started;
    if (elapsed - lastPrint > (tty ? 250 : 5000)) {
      lastPrint = elapsed;
      const line = `step ${step}  loss ${smooth.toFixed(3)}  ${trainingRate(tokens, elapsed - validationMs)} tokens/s  ${(elapsed / 1000).toFixed(0)} s`;
      if (tty) process.stderr.write(`\r${line}   `);
      else log(line);
    }
    yield;
  }
  const seconds = (performance.now() - started) / 1000, trainingSeconds = seconds - validationMs / 1000;
  if (tty) process.stderr.write("\n");
  log(`trained ${step - first} steps${first > 0 ? ` (${step} in all)` : ""}, ${tokens.toLocaleString("en-US")} tokens in ${trainingSeconds.toFixed(1)} s (${trainingRate(tokens, trainingSeconds * 1000)} tokens/s; validation took ${(validationMs / 1000).toFixed(1)} s more)`);
  // the checkpoint continues the run as it is; the model written (and evaluated below) has the best weights
  if (checkpoint !== "") {
    const data = {
      ...source.position(), schedule: savedScheduleState(schedule!.getState()), stopping: savedStopping(stopping), run: runFlags(flags),
      best: best.weights === null ? null : { loss: best.loss, step: best.step },
    };
    writeFileAtomic(checkpoint, saveCheckpoint(trainer, { data, random: source.random, tokenizer: corpus.tokenizer, bestWeights: best.weights ?? undefined }));
    log(`wrote ${checkpoint} (step ${trainer.stepCount}; continue with --resume)`);
  }
  if (!stoppedEarly) validate();
  if (best.weights !== null) {
    const params = model.parameters();
    best.weights.forEach((w, i) => params[i].data.set(w));
    log(`validation loss per character: best ${best.loss.toFixed(4)} nats (${(best.loss / Math.LN2).toFixed(3)} bits) at step ${best.step}${best.step === step ? " (the last)" : ` of ${step}`}; the model keeps those weights`);
  }
  if (interrupt.requested) {
    // interrupted: keep what was trained, skip the samples and the held-out comparison
    const out = flags.out as string;
    writeFileAtomic(out, saveModel(model, { tokenizer: corpus.tokenizer, metadata: { corpus: what } }));
    log(`interrupted at step ${step}: wrote ${out}${checkpoint !== "" ? ` and ${checkpoint}` : ""}`);
    model.dispose();
    return;
  }

  const samples = sampleLines(model, corpus, flags.samples as number, flags.temperature as number, seed);
  if (samples.length > 0) {
    log(`\n${samples.length} samples at temperature ${flags.temperature}:`);
    log(samples.join(corpus.kind === "lines" ? ", " : "\n---\n"));
  }

  const metadata: Record<string, string> = { corpus: what };
  if (heldOutTransitions(corpus) > 0) {
    const rnnLoss = heldOutLoss(model, corpus, flags.batch as number);
    const bigram = new BigramModel(V, 1);
    bigram.fit(corpus.train); // the data the RNN was trained on
    const bigramLoss = bigram.meanNegLogLikelihood(corpus.heldOut);
    const nats = (x: number) => `${x.toFixed(4)} nats (${(x / Math.LN2).toFixed(3)} bits)`;
    log(`\nheld-out loss per character${flags["held-out-file"] !== "" ? ` (${flags["held-out-file"]})` : ""}: ${kind} ${nats(rnnLoss)}  bigram (add-1) ${nats(bigramLoss)}  (${kind} ${rnnLoss < bigramLoss ? "better" : "worse"} by ${Math.abs(bigramLoss - rnnLoss).toFixed(4)} nats)`);
    metadata.held_out_loss = rnnLoss.toFixed(6);
    metadata.bigram_loss = bigramLoss.toFixed(6);
  } else {
    log("\nno held-out data to evaluate on (the corpus is too small for --held-out); skipping the held-out comparison");
  }

  const out = flags.out as string;
  writeFileAtomic(out, saveModel(model, { tokenizer: corpus.tokenizer, metadata }));
  log(`wrote ${out}`);

  model.dispose();
}

/** Tokens per second of training time, as printed. */
function trainingRate(tokens: number, ms: number): string {
  return ms > 0 ? Math.round(tokens / (ms / 1000)).toLocaleString("en-US") : "–";
}

/**
 * Every flag's range and every file path, before the corpus is read or a step is taken: a run is
 * never lost to a flag or a path that could only fail at its end. Returns the schedule's options.
 */
function checkTrainFlags(positional: string[], flags: Record<string, number | string | boolean>, given: Set<string>): ScheduleOptions {
  threadsFlag(flags.threads as string);
  if (positional.length > 1) throw invalid(`bptt train takes at most one training file; got ${positional.length}: ${positional.join(" ")}`);
  choiceFlag("format", flags.format, ["lines", "text", "auto"] as const);
  intFlag("hidden", flags.hidden, 1);
  intFlag("layers", flags.layers, 1, MAX_LAYERS);
  intFlag("embedding", flags.embedding, 0);
  numberFlag("dropout", flags.dropout, 0, 1, { belowMax: true });
  const cell = choiceFlag("cell", flags.cell, ["rnn", "lstm", "gru"] as const);
  choiceFlag("nonlinearity", flags.nonlinearity, ["tanh", "relu"] as const);
  if (cell !== "rnn" && given.has("nonlinearity") && flags.nonlinearity !== "tanh") throw invalid(`--nonlinearity is for --cell rnn; --cell ${cell} has fixed gate functions`);
  choiceFlag("init", flags.init, initSchemes);
  forgetBiasFlag(flags["forget-bias"] as string);
  if (cell !== "lstm" && given.has("forget-bias")) throw invalid(`--forget-bias is for --cell lstm; got --cell ${cell}`);
  intFlag("batch", flags.batch, 1);
  intFlag("seq-len", flags["seq-len"], 1);
  choiceFlag("optimizer", flags.optimizer, optimizerNames);
  numberFlag("lr", flags.lr, 0, Infinity);
  numberFlag("momentum", flags.momentum, 0, 1);
  numberFlag("clip-norm", flags["clip-norm"], 0, Infinity, { aboveMin: true });
  numberFlag("seconds", flags.seconds, 0, Infinity, { aboveMin: true });
  const steps = intFlag("steps", flags.steps, 0);
  intFlag("stop-at", flags["stop-at"], 0);
  const evalSteps = intFlag("eval-steps", flags["eval-steps"], 0);
  intFlag("patience", flags.patience, 0);
  numberFlag("held-out", flags["held-out"], 0, 1, { belowMax: true });
  if (flags["held-out-file"] !== "" && given.has("held-out")) throw invalid("--held-out and --held-out-file are exclusive: the held-out data is either a part of the training data or a file");
  const validation = numberFlag("validation", flags.validation, 0, 0.5);
  intFlag("max-eval", flags["max-eval"], 1);
  intFlag("seed", flags.seed, 0, 0xffffffff);
  choiceFlag("backend", flags.backend, ["wasm", "js"] as const);
  intFlag("samples", flags.samples, 0);
  numberFlag("temperature", flags.temperature, 0, Infinity, { aboveMin: true });
  const validates = validation > 0 && evalSteps > 0;
  // the default watches the validation loss; a run without validation has a constant rate instead
  if (!given.has("schedule") && !validates) flags.schedule = "constant";
  const schedule = scheduleFlag(flags.schedule as string, steps, validates);
  checkOutputFile("out", flags.out as string);
  const checkpoint = flags.checkpoint as string;
  if (flags.resume && checkpoint === "") throw invalid("--resume needs --checkpoint <file>, the checkpoint to continue from");
  if (checkpoint !== "") checkOutputFile("checkpoint", checkpoint);
  return schedule;
}

/** The flags a resumed run must repeat: they define the model, the optimizer, the data and its order. */
const RUN_FLAGS = ["format", "hidden", "layers", "embedding", "dropout", "cell", "nonlinearity", "init", "forget-bias", "batch", "seq-len", "optimizer", "lr", "schedule", "momentum", "clip-norm", "held-out", "validation", "max-eval", "seed"];

function runFlags(flags: Record<string, number | string | boolean>): Record<string, number | string | boolean> {
  return Object.fromEntries(RUN_FLAGS.map((name) => [name, flags[name]]));
}

/** Refuse a --resume whose run-defining flags differ from the checkpoint's run, listing every difference. */
function checkSameRun(checkpoint: string, run: Record<string, unknown>, flags: Record<string, number | string | boolean>): void {
  const differences = RUN_FLAGS.filter((name) => name in run && run[name] !== flags[name]);
  if (differences.length === 0) return;
  const list = differences.map((name) => `--${name} ${JSON.stringify(flags[name])} (the run: ${JSON.stringify(run[name])})`).join(", ");
  throw invalid(`--resume continues the run in ${checkpoint} with the same flags, but this command has ${list}`);
}

/** A schedule's state as JSON: a best loss of Infinity (no check yet) as null, which JSON.stringify would make of it anyway. */
function savedScheduleState(state: ScheduleState): Omit<ScheduleState, "best"> & { best: number | null } {
  return { ...state, best: Number.isFinite(state.best) ? state.best : null };
}

/** The schedule state of a checkpoint: null is "no check yet" (Infinity), so that no first check after a resume counts as no improvement. */
function restoreScheduleState(saved: unknown): ScheduleState {
  const s = saved as Partial<Record<keyof ScheduleState, unknown>> | null;
  if (s === null || typeof s !== "object") throw invalid(`the checkpoint's schedule state must be { learningRate, best, badObservations, cooldownLeft }; got ${JSON.stringify(saved)}`);
  return { ...(s as ScheduleState), best: s.best === null ? Infinity : (s.best as number) };
}

function savedStopping(s: Stopping): { bestLoss: number | null; waited: number } {
  return { bestLoss: Number.isFinite(s.bestLoss) ? s.bestLoss : null, waited: s.waited };
}

function restoreStopping(saved: unknown): Stopping {
  const s = saved as { bestLoss?: unknown; waited?: unknown } | null;
  const ok = s !== null && typeof s === "object" && (s.bestLoss === null || (typeof s.bestLoss === "number" && Number.isFinite(s.bestLoss))) && Number.isInteger(s.waited) && (s.waited as number) >= 0;
  if (!ok) throw invalid(`the checkpoint's early-stopping state must be { bestLoss: number | null, waited ≥ 0 }; got ${JSON.stringify(saved)}`);
  return { bestLoss: s.bestLoss === null ? Infinity : (s.bestLoss as number), waited: s.waited as number };
}

/** The model options of --cell, --nonlinearity and --forget-bias. */
function cellOptions(cell: string, nonlinearity: string, forgetBias: string): Pick<RNNOptions, "cell" | "nonlinearity" | "forgetBias"> {
  if (cell === "rnn") return { cell, nonlinearity: nonlinearity as "tanh" | "relu" };
  if (nonlinearity !== "tanh") throw invalid(`--nonlinearity is for --cell rnn; --cell ${cell} has fixed gate functions`);
  if (cell === "lstm") return { cell, forgetBias: forgetBiasFlag(forgetBias) ?? undefined };
  if (cell === "gru") return { cell };
  throw invalid(`--cell must be "rnn", "lstm" or "gru"; got ${JSON.stringify(cell)}`);
}

/**
 * Keep the last `fraction` of the (already shuffled) training examples, or of the training text,
 * aside for validation: at most `maxChars` characters, since it is evaluated every --eval-steps.
 */
function splitValidation(corpus: Corpus, fraction: number, maxChars: number): Corpus & { validation: Int32Array[] } {
  checkFinite("--validation", fraction, 0, 0.5);
  if (fraction === 0) return { ...corpus, validation: [] };
  if (corpus.kind === "lines") {
    let n = 0;
    for (let chars = 0; n < Math.round(corpus.train.length * fraction); n++) {
      chars += corpus.train[corpus.train.length - 1 - n].length;
      if (chars > maxChars) break;
    }
    if (n === 0 || n >= corpus.train.length) return { ...corpus, validation: [] };
    return { ...corpus, train: corpus.train.slice(0, -n), validation: corpus.train.slice(-n) };
  }
  const ids = corpus.train[0], cut = ids.length - Math.min(Math.floor(ids.length * fraction), maxChars);
  if (cut < 2 || ids.length - cut < 2) return { ...corpus, validation: [] };
  return { ...corpus, train: [ids.subarray(0, cut)], validation: [ids.subarray(cut)] };
}

/** NUL bytes, or more than 1 % of the characters not valid UTF-8 (decoded as U+FFFD). */
function looksBinary(text: string): boolean {
  if (text.includes("\u0000")) return true;
  let invalid = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0xfffd) invalid++;
  return invalid > text.length / 100;
}

/**
 * The training data and the held-out data: a fraction `heldOut` of the training data, or, with
 * `heldOutFile`, that file read as the training data is (lines or running text; the vocabulary
 * covers both, as it does for a held-out fraction).
 */
function loadCorpus(file: string | undefined, format: string, heldOut: number, heldOutFile: string, seed: number, maxHeldOut: number, allowBinary: boolean, log: (line: string) => void): Corpus {
  if (format !== "lines" && format !== "text" && format !== "auto") throw invalid(`--format must be "lines", "text" or "auto"; got ${JSON.stringify(format)}`);
  let heldOutText: string | undefined;
  if (heldOutFile !== "") {
    heldOutText = readInputFile("the held-out text", heldOutFile).toString("utf8");
    if (heldOutText.trim() === "") throw invalid(`the held-out text ${heldOutFile} is empty`);
    if (!allowBinary && looksBinary(heldOutText)) throw invalid(`${heldOutFile} looks like a binary file (NUL bytes or invalid UTF-8), not text; --allow-binary reads it anyway`);
  }
  const lines = (split: { train: string[]; heldOut: string[] }) => {
    // evaluate at most maxHeldOut characters of the held-out lines (the rest stay out of training too)
    let kept = 0;
    for (let chars = 0; kept < split.heldOut.length && chars + split.heldOut[kept].length <= maxHeldOut; kept++) chars += split.heldOut[kept].length;
    return linesCorpus(split.train, split.heldOut.slice(0, Math.max(kept, Math.min(1, split.heldOut.length))));
  };
  const splitLines = (items: string[]) => (heldOutText === undefined ? splitHoldout(items, heldOut, seed) : { train: items, heldOut: nonEmptyLines(heldOutText) });
  const text = (all: string) => (heldOutText === undefined ? textCorpus(all, heldOut, maxHeldOut) : textCorpusWithHeldOut(all, heldOutText, maxHeldOut));
  if (file === undefined) {
    // the bundled names: every held-out name is scored (the cap is for files)
    const split = splitLines(loadNames());
    return heldOutText === undefined ? linesCorpus(split.train, split.heldOut) : lines(split);
  }
  const all = readInputFile("the training text", file).toString("utf8");
  if (all.trim() === "") throw invalid(`the training text ${file} is empty`);
  if (!allowBinary && looksBinary(all)) throw invalid(`${file} looks like a binary file (NUL bytes or invalid UTF-8), not text; --allow-binary trains on it anyway`);
  if (format === "text") return text(all);
  const items = nonEmptyLines(all);
  if (format === "auto") {
    const longest = items.reduce((n, l) => Math.max(n, l.length), 0);
    const words = items.reduce((n, l) => n + (/\s/.test(l) ? 0 : 1), 0);
    const why = items.length < 2 ? `${items.length} non-empty line(s)`
      : longest > AUTO_LINE_LIMIT ? `its longest line has ${longest} characters`
      : words < AUTO_LIST_SHARE * items.length ? `${Math.round((100 * (items.length - words)) / items.length)} % of its lines have spaces: prose, not a list`
      : "";
    if (why !== "") {
      log(`--format auto: reading ${file} as running text (${why}); --format lines makes each line an example`);
      return text(all);
    }
    log(`--format auto: reading ${file} as a list, one example per line; --format text reads it as running text`);
  }
  if (items.length < 2) throw invalid(`${file} has ${items.length} non-empty line(s); --format lines needs at least 2`);
  return lines(splitLines(items));
}

function nonEmptyLines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l.length > 0);
}

/** Characters to predict in the held-out data. */
function heldOutTransitions(corpus: Corpus): number {
  return corpus.heldOut.reduce((n, seq) => n + Math.max(0, seq.length - 1), 0);
}

/** Mean negative log-likelihood per character of the held-out data (no update; text read as streams that carry every state). */
export function heldOutLoss(model: RNN, corpus: Corpus, batchSize: number): number {
  return scoreSequences(model, corpus.kind, corpus.heldOut, batchSize).meanLoss;
}

export function sampleLines(model: RNN, corpus: Corpus, count: number, temperature: number, seed: number): string[] {
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    if (corpus.kind === "lines") {
      const ids = generate(model, { prompt: [corpus.boundaryId], length: 40, temperature, seed: seed + k, stopToken: corpus.boundaryId });
      out.push(corpus.tokenizer.decode(ids.filter((id) => id !== corpus.boundaryId)));
    } else {
      const start = corpus.train[0][k % corpus.train[0].length];
      out.push(corpus.tokenizer.decode([start, ...generate(model, { prompt: [start], length: 200, temperature, seed: seed + k })]));
    }
  }
  return out;
}
