/**
 * fit(trainer, data, options): equals the loop a user would write around trainer.step (state carried
 * over streams and reset at the wrap-around, the schedule's rate at each step), stops on each budget,
 * evaluates validation data where asked, stops early and puts back exactly the weights of the best
 * evaluation, stops on an AbortSignal (from a callback or a timer), and gives the same history twice
 * from the same seeds. Bad options reject before any step.
 */
import { describe, expect, test } from "vitest";
import { BpttError, NonFiniteError, Trainer, type Batch, type RNN, type TrainerOptions } from "../src/index.js";
import { ExampleBatches, LearningRateSchedule, TokenStreams, evaluate, fit, nextTokenExample, type FitHistory } from "../src/train.js";
import { modelOn, type Kind } from "./helpers/models.js";

const V = 5;
const pattern = Array.from({ length: 61 }, (_, k) => [0, 1, 2, 3, 4, 2, 1][k % 7]);
const makeModel = (kind: Kind, seed = 1) => modelOn(kind, { cell: "gru", inputSize: V, hiddenSize: 8, seed });
const weights = (model: RNN) => model.parameters().map((p) => p.data.slice());

/** Training rows map x → x + 1; validation rows half x → x + 1, half x → x + 2: its loss falls, then rises as training sharpens. */
function conflicting(): { train: Batch; validation: Batch } {
  const xs = [0, 1, 2, 3, 4, 0, 2, 4, 1, 3];
  const row = (shift: number) => xs.map((x) => (x + shift) % V);
  return {
    train: { batchSize: 2, seqLen: 10, inputs: [...xs, ...xs], targets: [...row(1), ...row(1)] },
    validation: { batchSize: 2, seqLen: 10, inputs: [...xs, ...xs], targets: [...row(1), ...row(2)] },
  };
}

async function rejects(promise: Promise<unknown>, message: string): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BpttError);
  expect((error as BpttError).code).toBe("INVALID_ARGUMENT");
  expect((error as BpttError).message).toContain(message);
}

describe.each(["js", "wasm-release"] as const)("fit (%s)", (kind) => {
  test("over token streams = the loop by hand: resetState at each wrap-around, carryState, the schedule's rate at each step", async () => {
    const streams = new TokenStreams(pattern, { batchSize: 2, seqLen: 7 }); // S = 30: windows 7, 7, 7, 7, 2
    expect(streams.batchesPerEpoch).toBe(5);
    const options: TrainerOptions = { optimizer: "adam", learningRate: 0.02, clipNorm: 1, reduction: "mean" };
    const a = makeModel(kind), b = makeModel(kind);
    const history = await fit(new Trainer(a, options), streams, { steps: 12, schedule: { name: "cosine", warmupSteps: 3 } });

    const trainer = new Trainer(b, options);
    const schedule = new LearningRateSchedule({ name: "cosine", warmupSteps: 3, totalSteps: 12 }, 0.02);
    const losses: number[] = [];
    for (let step = 1; step <= 12; step++) {
      const k = (step - 1) % 5;
      if (k === 0) trainer.resetState();
      losses.push(trainer.step(streams.batch(k, 0), { carryState: true, learningRate: schedule.rate(step) }).loss);
    }
    expect(history.loss).toEqual(losses);
    expect(weights(a)).toEqual(weights(b));
    // warm-up 0.02·t/3, then cosine over D = 9 steps: step 4 at the full rate, step 12 at 0.02·(1 + cos(8π/9))/2
    expect(history.learningRate.slice(0, 4)).toEqual([0.02 / 3, (0.02 * 2) / 3, 0.02, 0.02].map((v) => expect.closeTo(v, 15)));
    expect(history.learningRate[11]).toBeCloseTo((0.02 * (1 + Math.cos((8 * Math.PI) / 9))) / 2, 15);
    expect([history.steps, history.stoppedBy, history.epochs, history.tokens]).toEqual([12, "steps", 12 / 5, 2 * (2 * (7 + 7 + 7 + 7 + 2)) + 2 * (2 * 7)]);
    a.dispose();
    b.dispose();
  });

  test("budgets: epochs (also fractional), steps, the smaller of both, and seconds", async () => {
    const data = new ExampleBatches([[0, 1, 2], [3, 4], [1, 1, 2, 3], [4, 0], [2, 3, 4]].map(nextTokenExample), { batchSize: 2, seed: 3 });
    expect(data.batchesPerEpoch).toBe(3);
    const run = async (options: Parameters<typeof fit>[2]): Promise<FitHistory> => {
      const model = makeModel(kind);
      try {
        return await fit(new Trainer(model, { learningRate: 0.1 }), data, options);
      } finally {
        model.dispose();
      }
    };
    const pick = (h: FitHistory) => [h.steps, h.stoppedBy, h.epochs];
    expect(pick(await run({ epochs: 2 }))).toEqual([6, "epochs", 2]);
    expect(pick(await run({ epochs: 0.5 }))).toEqual([2, "epochs", 2 / 3]); // ⌈1.5⌉ steps
    expect(pick(await run({ steps: 4, epochs: 2 }))).toEqual([4, "steps", 4 / 3]);
    expect(pick(await run({ steps: 10, epochs: 1 }))).toEqual([3, "epochs", 1]);
    const timed = await run({ seconds: 0.15 });
    expect(timed.stoppedBy).toBe("seconds");
    expect(timed.seconds).toBeGreaterThanOrEqual(0.15);
    expect(timed.steps).toBeGreaterThan(3);
  });

  test("early stopping: stops after `patience` evaluations without improvement and restores the weights of the best one exactly", async () => {
    const { train, validation } = conflicting();
    const model = makeModel(kind);
    const seen: { step: number; best: boolean; weights: Float32Array[]; loss: number }[] = [];
    const history = await fit(new Trainer(model, { optimizer: "adam", learningRate: 0.05 }), [train], {
      steps: 500, validation, evaluateEvery: 2, earlyStopping: { patience: 3 },
      onEvaluate: (e) => seen.push({ step: e.step, best: e.best, weights: weights(model), loss: e.meanLoss }),
    });
    expect(history.stoppedBy).toBe("early-stopping");
    expect(history.evaluations.map((e) => e.step)).toEqual(seen.map((e) => e.step));
    expect(seen.map((e) => e.step)).toEqual(Array.from({ length: seen.length }, (_, i) => 2 * (i + 1)));
    const bestIndex = seen.map((e) => e.best).lastIndexOf(true);
    expect(bestIndex).toBeGreaterThan(0); // the validation loss fell before it rose
    expect(seen.length).toBe(bestIndex + 1 + 3);
    expect(seen.slice(bestIndex + 1).every((e) => e.loss >= seen[bestIndex].loss)).toBe(true);
    expect([history.bestStep, history.bestLoss, history.restoredBest]).toEqual([seen[bestIndex].step, seen[bestIndex].loss, true]);
    expect(weights(model)).toEqual(seen[bestIndex].weights); // bit for bit
    expect(weights(model)).not.toEqual(seen.at(-1)!.weights);
    expect(evaluate(model, validation).meanLoss).toBe(history.bestLoss);
    model.dispose();
  });

  test("validation every N steps and after the last; a plateau schedule reads each evaluation", async () => {
    const { train, validation } = conflicting();
    const model = makeModel(kind);
    const history = await fit(new Trainer(model, { optimizer: "adam", learningRate: 0.05 }), [train], {
      steps: 30, validation, evaluateEvery: 4, schedule: { name: "plateau", patience: 0, factor: 0.5 },
    });
    expect(history.evaluations.map((e) => e.step)).toEqual([4, 8, 12, 16, 20, 24, 28, 30]);
    expect(history.restoredBest).toBe(false);
    const replay = new LearningRateSchedule({ name: "plateau", patience: 0, factor: 0.5 }, 0.05);
    const expected: number[] = [];
    for (let step = 1; step <= 30; step++) {
      expected.push(replay.rate(step));
      const e = history.evaluations.find((x) => x.step === step);
      if (e) replay.observe(e.meanLoss);
    }
    expect(history.learningRate).toEqual(expected);
    expect(Math.min(...history.learningRate)).toBeLessThan(0.05); // the validation loss did stall
    model.dispose();
  });

  test("the same seeds give the same history and weights", async () => {
    const examples = [[0, 1, 2, 3], [4, 3], [2, 2, 1], [0, 4, 1, 1, 3], [3, 0], [1, 2, 3]].map(nextTokenExample);
    const run = async () => {
      const model = makeModel(kind, 9);
      const history = await fit(new Trainer(model, { optimizer: "adamw", learningRate: 0.03, clipNorm: 1, reduction: "mean" }),
        new ExampleBatches(examples, { batchSize: 2, seed: 5 }), {
          epochs: 4, validation: new ExampleBatches(examples.slice(0, 3), { batchSize: 3, shuffle: false }), evaluateEvery: 2,
          earlyStopping: { patience: 10 }, schedule: { name: "linear", warmupSteps: 2 },
        });
      const w = weights(model);
      model.dispose();
      return { history: { ...history, seconds: 0 }, w };
    };
    const first = await run(), second = await run();
    expect(second.history).toEqual(first.history);
    expect(second.w).toEqual(first.w);
    expect(first.history.steps).toBe(12);
  });
});

describe("fit: abort", () => {
  test("aborted from onStep: stops after that step, no further evaluation; best weights still restored", async () => {
    const { train, validation } = conflicting();
    const model = makeModel("js");
    const controller = new AbortController();
    const history = await fit(new Trainer(model, { learningRate: 0.1 }), [train], {
      steps: 100, validation, evaluateEvery: 2, restoreBestWeights: true, signal: controller.signal,
      onStep: (s) => s.step === 5 && controller.abort(),
    });
    expect([history.steps, history.stoppedBy, history.evaluations.map((e) => e.step)]).toEqual([5, "aborted", [2, 4]]);
    expect(history.restoredBest).toBe(true);
    model.dispose();
  });

  test("aborted by a timer while it runs: fit yields to the event loop", async () => {
    const model = makeModel("js");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const history = await fit(new Trainer(model, { learningRate: 0.1 }), [conflicting().train], { steps: 1e9, signal: controller.signal, yieldEveryMs: 5 });
    expect(history.stoppedBy).toBe("aborted");
    expect(history.steps).toBeGreaterThan(0);
    expect(history.seconds).toBeLessThan(5);
    model.dispose();
  });

  test("a signal aborted before the start: no step, the weights unchanged", async () => {
    const model = makeModel("js");
    const before = weights(model);
    const history = await fit(new Trainer(model, { learningRate: 0.1 }), [conflicting().train], { steps: 5, signal: AbortSignal.abort() });
    expect([history.steps, history.stoppedBy]).toEqual([0, "aborted"]);
    expect(weights(model)).toEqual(before);
    model.dispose();
  });
});

describe("fit: a non-finite step", () => {
  test("rejects with the NonFiniteError, carrying the history so far, with the best evaluation's weights put back", async () => {
    // MSE: the 4th batch's targets (3e38) overflow the float32 gradient 2(ŷ − y) whatever the weights
    const batch = (scale: number, seed: number): Batch => ({
      batchSize: 2, seqLen: 3, inputs: Array.from({ length: 12 }, (_, i) => Math.sin(seed + i)), targets: Array.from({ length: 6 }, (_, i) => scale * Math.cos(seed * i)),
    });
    const model = modelOn("js", { input: "dense", inputSize: 2, hiddenSize: 4, outputSize: 1, loss: "mse", seed: 2 });
    const seen: Float32Array[][] = [];
    const validation = batch(1, 9);
    const error = await fit(new Trainer(model, { learningRate: 0.05 }), [batch(1, 1), batch(1, 2), batch(1, 3), batch(3e38, 4)], {
      steps: 100, validation, evaluateEvery: 1, restoreBestWeights: true, onEvaluate: () => seen.push(weights(model)),
    }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteError);
    const history = (error as NonFiniteError & { history: FitHistory }).history;
    expect([history.steps, history.stoppedBy, history.evaluations.length]).toEqual([3, "non-finite", 3]);
    expect(history.restoredBest).toBe(true);
    const bestIndex = history.evaluations.findIndex((e) => e.step === history.bestStep);
    expect(weights(model)).toEqual(seen[bestIndex]);
    expect(weights(model).every((w) => w.every(Number.isFinite))).toBe(true);
    model.dispose();
  });
});

describe("fit: bad options reject before any step", () => {
  const { train, validation } = conflicting();
  test.each([
    [{}, "fit needs a budget: options.steps, options.epochs or options.seconds"],
    [{ steps: 0 }, "options.steps must be a positive integer; got 0"],
    [{ epochs: -1 }, "options.epochs must be a finite number in (0, ∞)"],
    [{ steps: 5, stop: 3 }, "unknown fit option \"stop\""],
    [{ steps: 5, earlyStopping: { patience: 2 } }, "options.earlyStopping needs options.validation"],
    [{ steps: 5, validation, earlyStopping: { patience: 0 } }, "options.earlyStopping.patience must be a positive integer"],
    [{ steps: 5, restoreBestWeights: true }, "options.restoreBestWeights needs options.validation"],
    [{ steps: 5, schedule: "plateau" }, "options.schedule \"plateau\" needs options.validation"],
    [{ seconds: 5, schedule: "cosine" }, "needs totalSteps when the budget is in seconds only"],
    [{ steps: 5, schedule: { name: "cosine", totalSteps: 5, warmupSteps: 9 } }, "expected more than warmupSteps = 9"],
    [{ steps: 5, evaluateEvery: 1.5, validation }, "options.evaluateEvery must be a positive integer"],
    [{ steps: 5, onStep: 3 }, "options.onStep must be a function"],
  ])("%j", async (options, message) => {
    const model = makeModel("js");
    const before = weights(model);
    const trainer = new Trainer(model, { learningRate: 0.1 });
    await rejects(fit(trainer, [train], options as never), message);
    expect(trainer.stepCount).toBe(0);
    expect(weights(model)).toEqual(before);
    model.dispose();
  });

  test("a schedule preset with a trainer that has its own schedule function; data that is not a source", async () => {
    const model = makeModel("js");
    const trainer = new Trainer(model, { learningRate: 0.1, schedule: (t, lr) => lr / t });
    await rejects(fit(trainer, [train], { steps: 2, schedule: "constant" }), "options.schedule and the trainer's own schedule function are exclusive");
    await rejects(fit(trainer, [], { steps: 2 }), "data is an empty array");
    await rejects(fit(trainer, { batch: 1 } as never, { steps: 2 }), "data must be a batch, an array of batches or a batch source");
    model.dispose();
  });
});
