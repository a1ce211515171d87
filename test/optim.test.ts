/**
 * The optimizers against torch.optim: every run in fixtures/optim_golden.json (written by
 * fixtures/make_optim_fixtures.py in float64: SGD, Adagrad, RMSprop, Adam and AdamW with their
 * defaults and hyperparameter variants, each without and with clip_grad_norm_, the defaults also
 * with clip_grad_value_), on every backend.
 *
 * For each run the model gets PyTorch's initial parameters (float32-exact), the Trainer takes the
 * run's options, and 5 steps on the recorded batch must reproduce the summed loss before each step
 * and every parameter after each step.
 *
 * Tolerance, elementwise: |ours − torch| ≤ RTOL·|torch| + ATOL. The kernels compute in float32
 * (unit roundoff 6e-8) and PyTorch in float64; the gradients of a 2-layer BPTT pass land some tens
 * of roundoffs off, and an adaptive optimizer divides by a root of the gradient's square, which
 * passes those relative errors through into the update (an update of lr·sign-like size carries an
 * absolute error of about lr·1e-6). Over 5 steps the parameters stay within 2e-5 absolute and 1e-4
 * relative, at least 15× the largest error measured (|Δ| ≤ 1.2e-6, RMSprop on Wasm); a missing
 * bias correction, a wrong decay factor or a wrong update order is off by 1e-3 or more.
 *
 * The reported "max relative error" per optimizer is max |ours − torch| / max(|torch|, ATOL/RTOL)
 * over the 5 steps' parameters (and losses) of all its runs. Set OPTIM_ERRORS=<file> to have the
 * measured errors per backend and optimizer written as JSON.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { Trainer, type TrainerOptions } from "../src/index.js";
import { backendKinds } from "./helpers/backends.js";
import { modelOn } from "./helpers/models.js";

const RTOL = 1e-4;
const ATOL = 2e-5;
const LOSS_RTOL = 1e-5;

interface Run {
  name: string;
  torch: { optimizer: string; kwargs: Record<string, unknown> };
  options: TrainerOptions;
  lossSums: number[];
  parameters: Record<string, number[]>[];
}

interface Fixture {
  torch: string;
  model: { input: "tokens"; inputSize: number; hiddenSize: number; outputSize: number; numLayers: number; nonlinearity: "tanh"; loss: "cross-entropy" };
  batch: { batchSize: number; seqLen: number; inputs: number[]; targets: number[] };
  initialParameters: Record<string, number[]>;
  steps: number;
  runs: Run[];
}

const fixture = JSON.parse(readFileSync(new URL("./fixtures/optim_golden.json", import.meta.url), "utf8")) as Fixture;

/** Worst error per backend and optimizer: { kind: { optimizer: { parameters, loss } } }. */
const measured: Record<string, Record<string, { parameters: number; loss: number }>> = {};
afterAll(() => {
  if (process.env.OPTIM_ERRORS) writeFileSync(process.env.OPTIM_ERRORS, JSON.stringify(measured, null, 2));
});

function record(kind: string, optimizer: string, what: "parameters" | "loss", err: number): void {
  const row = ((measured[kind] ??= {})[optimizer] ??= { parameters: 0, loss: 0 });
  row[what] = Math.max(row[what], err);
}

describe("optimizer fixtures", () => {
  it("cover every optimizer, with and without clipping, and the variants the issue names", () => {
    const names = fixture.runs.map((r) => r.name);
    for (const optimizer of ["sgd", "adagrad", "rmsprop", "adam", "adamw"]) {
      expect(fixture.runs.filter((r) => r.options.optimizer === optimizer && r.options.clipNorm === undefined).length).toBeGreaterThan(0);
      expect(fixture.runs.filter((r) => r.options.optimizer === optimizer && r.options.clipNorm !== undefined).length).toBeGreaterThan(0);
      expect(fixture.runs.filter((r) => r.options.optimizer === optimizer && r.options.clipValue !== undefined).length).toBeGreaterThan(0);
    }
    // every option of every optimizer, read from one bag
    const has = (pred: (o: Record<string, any>) => boolean) => fixture.runs.some((r) => pred(r.options));
    expect(has((o) => o.nesterov === true)).toBe(true);
    expect(has((o) => (o.weightDecay ?? 0) > 0)).toBe(true);
    expect(has((o) => o.amsgrad === true)).toBe(true);
    expect(has((o) => o.centered === true && (o.momentum ?? 0) > 0)).toBe(true);
    expect(has((o) => (o.lrDecay ?? 0) > 0)).toBe(true);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe.each(backendKinds)("torch.optim on %s", (kind) => {
  it.each(fixture.runs.map((r) => [r.name, r] as const))("%s: 5 steps match within rtol 1e-4 + atol 2e-5", (_, run) => {
    const model = modelOn(kind, fixture.model);
    for (const [name, values] of Object.entries(fixture.initialParameters)) model.setParameter(name, values);
    const trainer = new Trainer(model, run.options);
    const optimizer = run.options.optimizer!;
    for (let s = 0; s < fixture.steps; s++) {
      const result = trainer.step(fixture.batch);
      const expectedLoss = run.lossSums[s];
      const lossErr = Math.abs(result.lossSum - expectedLoss) / Math.abs(expectedLoss);
      record(kind, optimizer, "loss", lossErr);
      expect(lossErr, `step ${s + 1} loss ${result.lossSum} vs ${expectedLoss}`).toBeLessThanOrEqual(LOSS_RTOL);
      for (const [name, expected] of Object.entries(run.parameters[s])) {
        const ours = model.getParameter(name);
        expect(ours.length).toBe(expected.length);
        for (let i = 0; i < expected.length; i++) {
          const diff = Math.abs(ours[i] - expected[i]);
          record(kind, optimizer, "parameters", diff / Math.max(Math.abs(expected[i]), ATOL / RTOL));
          if (!(diff <= RTOL * Math.abs(expected[i]) + ATOL)) {
            expect.fail(`step ${s + 1} ${name}[${i}]: ${ours[i]} vs torch ${expected[i]} (|Δ| ${diff.toExponential(2)})`);
          }
        }
      }
    }
    model.dispose();
  });
});

// ---- the Trainer around the optimizers ----

const everyOptimizer: TrainerOptions[] = [
  { optimizer: "sgd", learningRate: 0.01, momentum: 0.9, nesterov: true },
  { optimizer: "adagrad", lrDecay: 0.01, initialAccumulatorValue: 0.1 },
  { optimizer: "rmsprop", momentum: 0.5, centered: true },
  { optimizer: "adam", amsgrad: true, weightDecay: 0.01 },
  { optimizer: "adamw", amsgrad: true },
];

describe.each(backendKinds)("Trainer optimizers on %s", (kind) => {
  const dense = { input: "dense", inputSize: 3, hiddenSize: 5, outputSize: 2, loss: "mse", seed: 7 } as const;
  const batchFor = (s: number) => ({
    batchSize: 2, seqLen: 3,
    inputs: Array.from({ length: 18 }, (_, k) => Math.sin(k * 1.3 + s)),
    targets: Array.from({ length: 12 }, (_, k) => Math.cos(k * 0.7 + s)),
  });

  it.each(everyOptimizer.map((o) => [o.optimizer, o] as const))("%s: a NonFiniteError leaves the weights and the optimizer state untouched", (_, options) => {
    const model = modelOn(kind, dense), twin = modelOn(kind, dense);
    const trainer = new Trainer(model, options), twinTrainer = new Trainer(twin, options);
    for (const s of [1, 2]) {
      trainer.step(batchFor(s));
      twinTrainer.step(batchFor(s));
    }
    const { arena } = model.internals();
    const stateBlocks = { sgd: 1, adagrad: 1, rmsprop: 3, adam: 3, adamw: 3 }[options.optimizer!];
    const names = ["momentum_buffer", "sum", "square_avg", "grad_avg", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"].filter((n) => arena.has(`optim.${n}`));
    expect(names.length).toBe(stateBlocks);
    const state = () => {
      const f = arena.f32();
      return names.map((n) => f.slice(arena.block(`optim.${n}`) >> 2, (arena.block(`optim.${n}`) >> 2) + model.layout.span));
    };
    const head = model.getParameter("head.weight");
    model.setParameter("head.weight", head.map(() => 1e30)); // y ≈ 1e30: finite loss in f64, the gradient overflows float32
    const weights = model.parameters().map((p) => p.data.slice()), before = state();
    expect(() => trainer.step(batchFor(3))).toThrow(/training step 3/);
    expect(trainer.stepCount).toBe(2);
    model.parameters().forEach((p, k) => expect(new Uint32Array(p.data.slice().buffer), p.name).toEqual(new Uint32Array(weights[k].buffer)));
    state().forEach((s, k) => expect(new Uint32Array(s.buffer), names[k]).toEqual(new Uint32Array(before[k].buffer)));
    // restored, the model continues exactly as its twin: the step count and every state block were kept
    model.setParameter("head.weight", head);
    for (const s of [3, 4]) expect(trainer.step(batchFor(s)).lossSum).toBe(twinTrainer.step(batchFor(s)).lossSum);
    for (const p of twin.parameters()) expect(new Uint32Array(model.getParameter(p.name).buffer), p.name).toEqual(new Uint32Array(p.data.slice().buffer));
    model.dispose();
    twin.dispose();
  });

  it("each optimizer allocates exactly its state blocks, named after PyTorch's state keys", () => {
    const expected: [TrainerOptions, string[]][] = [
      [{ learningRate: 0.1 }, []],
      [{ learningRate: 0.1, momentum: 0.9 }, ["momentum_buffer"]],
      [{ optimizer: "adagrad" }, ["sum"]],
      [{ optimizer: "rmsprop" }, ["square_avg"]],
      [{ optimizer: "rmsprop", momentum: 0.9, centered: true }, ["square_avg", "momentum_buffer", "grad_avg"]],
      [{ optimizer: "adam" }, ["exp_avg", "exp_avg_sq"]],
      [{ optimizer: "adamw", amsgrad: true }, ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]],
    ];
    const all = ["momentum_buffer", "sum", "square_avg", "grad_avg", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"];
    for (const [options, states] of expected) {
      const model = modelOn(kind, dense);
      new Trainer(model, options);
      const { arena } = model.internals();
      expect(all.filter((n) => arena.has(`optim.${n}`)), JSON.stringify(options)).toEqual(all.filter((n) => states.includes(n)));
      if (options.optimizer === "adagrad") expect(arena.f32()[arena.block("optim.sum") >> 2]).toBe(0);
      model.dispose();
    }
  });
});

describe("Trainer optimizer options", () => {
  it("fills in PyTorch's defaults", () => {
    const model = modelOn("js", { inputSize: 3, hiddenSize: 4 });
    const settings = (o: TrainerOptions) => {
      const { schedule: _, clipNorm: __, clipValue: ___, ...rest } = new Trainer(model, o).options;
      return rest;
    };
    expect(settings({ learningRate: 0.1 })).toEqual({ optimizer: "sgd", learningRate: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, reduction: "sum" });
    expect(settings({ optimizer: "adagrad" })).toEqual({ optimizer: "adagrad", learningRate: 0.01, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, reduction: "sum" });
    expect(settings({ optimizer: "rmsprop" })).toEqual({ optimizer: "rmsprop", learningRate: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, reduction: "sum" });
    expect(settings({ optimizer: "adam" })).toEqual({ optimizer: "adam", learningRate: 0.001, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, reduction: "sum" });
    expect(settings({ optimizer: "adamw" })).toEqual({ optimizer: "adamw", learningRate: 0.001, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: false, reduction: "sum" });
    model.dispose();
  });

  it.each([
    ["optimizer lbfgs", { optimizer: "lbfgs" }, /^optimizer must be one of "sgd", "adagrad", "rmsprop", "adam", "adamw"; got "lbfgs"$/],
    ["sgd without learningRate", { optimizer: "sgd" }, /^learningRate must be a finite number in \(0, ∞\); got undefined$/],
    ["momentum for adam", { optimizer: "adam", momentum: 0.9 }, /^momentum is not an option of the adam optimizer; its options are learningRate, betas, eps, weightDecay, amsgrad$/],
    ["betas for sgd", { learningRate: 0.1, betas: [0.9, 0.99] }, /^betas is not an option of the sgd optimizer; its options are learningRate, momentum, dampening, weightDecay, nesterov$/],
    ["a typo", { optimizer: "adam", learning_rate: 0.1 }, /^unknown trainer option "learning_rate"; the options are optimizer, /],
    ["betas[1] 1", { optimizer: "adam", betas: [0.9, 1] }, /^betas\[1\] must be a finite number in \[0, 1\); got 1$/],
    ["betas of one", { optimizer: "adamw", betas: [0.9] }, /^betas must be a pair \[beta1, beta2\]; got array of length 1$/],
    ["eps -1", { optimizer: "adam", eps: -1 }, /^eps must be a finite number in \[0, ∞\); got -1$/],
    ["alpha 1.5", { optimizer: "rmsprop", alpha: 1.5 }, /^alpha must be a finite number in \[0, 1\]; got 1\.5$/],
    ["centered 1", { optimizer: "rmsprop", centered: 1 }, /^centered must be a boolean; got 1$/],
    ["amsgrad 'yes'", { optimizer: "adamw", amsgrad: "yes" }, /^amsgrad must be a boolean; got "yes"$/],
    ["lrDecay -0.1", { optimizer: "adagrad", lrDecay: -0.1 }, /^lrDecay must be a finite number in \[0, ∞\); got -0\.1$/],
    ["initialAccumulatorValue NaN", { optimizer: "adagrad", initialAccumulatorValue: NaN }, /^initialAccumulatorValue must be a finite number in \[0, ∞\); got NaN$/],
    ["weightDecay -1 for adamw", { optimizer: "adamw", weightDecay: -1 }, /^weightDecay must be a finite number in \[0, ∞\); got -1$/],
    ["nesterov without momentum", { learningRate: 0.1, nesterov: true }, /^nesterov needs momentum > 0 and dampening = 0$/],
  ] as const)("%s is an INVALID_ARGUMENT naming the option, and allocates nothing", (_, options, message) => {
    const model = modelOn("js", { inputSize: 3, hiddenSize: 4 });
    const bytes = model.memoryBytes;
    let error: unknown;
    try { new Trainer(model, options as unknown as TrainerOptions); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toBe("INVALID_ARGUMENT");
    expect((error as Error).message).toMatch(message);
    expect(model.memoryBytes).toBe(bytes);
    model.dispose();
  });
});
