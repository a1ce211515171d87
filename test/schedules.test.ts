/**
 * Learning-rate schedule presets against PyTorch's schedulers (test/fixtures/schedules_golden.json,
 * written by test/fixtures/make_schedule_fixtures.py with torch.optim.lr_scheduler) and against
 * values derived by hand; bad options throw before anything is built.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { LearningRateSchedule, type ScheduleOptions } from "../src/schedules.js";
import { expectError } from "./helpers/errors.js";

interface Golden {
  pure: { spec: ScheduleOptions; base: number; rates: number[] }[];
  plateau: { spec: ScheduleOptions; base: number; metrics: number[]; rates: number[] }[];
}
const golden = JSON.parse(readFileSync(new URL("./fixtures/schedules_golden.json", import.meta.url), "utf8")) as Golden;

/** Relative difference, so that rates of 1e-7 and 0.5 are held to the same standard (PyTorch's chainable forms round differently). */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b), 1e-300);

describe("schedules: the rates PyTorch's schedulers give, step by step", () => {
  test.each(golden.pure.map((g) => [JSON.stringify(g.spec), g] as const))("%s", (_, g) => {
    const s = new LearningRateSchedule(g.spec, g.base);
    const ours = g.rates.map((_, k) => s.rate(k + 1));
    ours.forEach((r, k) => expect(close(r, g.rates[k]), `step ${k + 1}: ${r} vs PyTorch ${g.rates[k]}`).toBe(true));
  });

  test.each(golden.plateau.map((g) => [JSON.stringify(g.spec), g] as const))("%s, fed one metric per step", (_, g) => {
    const s = new LearningRateSchedule(g.spec, g.base);
    const ours = [s.rate(1)];
    for (const [k, m] of g.metrics.entries()) {
      s.observe(m);
      ours.push(s.rate(k + 2));
    }
    expect(ours).toHaveLength(g.rates.length);
    ours.forEach((r, k) => expect(close(r, g.rates[k]), `after ${k} observations: ${r} vs PyTorch ${g.rates[k]}`).toBe(true));
  });

  test("the fixtures cover every preset, warm-up, and a reduction of the plateau", () => {
    expect(new Set(golden.pure.map((g) => g.spec.name))).toEqual(new Set(["constant", "linear", "cosine", "step"]));
    expect(golden.pure.some((g) => g.spec.name === "cosine" && (g.spec.warmupSteps ?? 0) > 1)).toBe(true);
    expect(golden.plateau.every((g) => g.rates.at(-1)! < g.base)).toBe(true);
  });
});

describe("schedules: hand-derived values", () => {
  test("cosine, N = 4, no warm-up: b·(1 + cos(π·(t − 1)/4))/2", () => {
    const s = new LearningRateSchedule({ name: "cosine", totalSteps: 4 }, 1);
    expect([1, 2, 3, 4].map((t) => s.rate(t))).toEqual([1, (1 + Math.SQRT1_2) / 2, 0.5, (1 - Math.SQRT1_2) / 2].map((v) => expect.closeTo(v, 15)));
    expect(s.rate(5)).toBe(0); // past N it stays at f·b = 0
    expect(s.rate(50)).toBe(0);
  });

  test("linear with 2 warm-up steps over N = 6, final factor 0.5: 0.5b, b, then b·(1 − 0.5·s/4)", () => {
    const s = new LearningRateSchedule({ name: "linear", totalSteps: 6, warmupSteps: 2, finalFactor: 0.5 }, 0.4);
    expect([1, 2, 3, 4, 5, 6, 7].map((t) => s.rate(t))).toEqual([0.2, 0.4, 0.4, 0.35, 0.3, 0.25, 0.2].map((v) => expect.closeTo(v, 15)));
  });

  test("a preset by name alone takes its defaults; totalSteps may come from the caller", () => {
    expect(new LearningRateSchedule("constant", 0.3).rate(1000)).toBe(0.3);
    const s = new LearningRateSchedule("linear", 1, 10);
    expect(s.options).toEqual({ name: "linear", totalSteps: 10, warmupSteps: 0, finalFactor: 0 });
    expect(s.rate(10)).toBeCloseTo(0.1, 15);
    expect(new LearningRateSchedule({ name: "plateau" }, 1).options).toEqual({
      name: "plateau", factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: "rel", cooldown: 0, minLearningRate: 0, eps: 1e-8,
    });
  });

  test("plateau: patience 1 halves after the second observation without improvement; its state round-trips", () => {
    const s = new LearningRateSchedule({ name: "plateau", patience: 1, factor: 0.5 }, 0.8);
    s.observe(1); // best
    s.observe(1); // 1 bad
    expect(s.rate(3)).toBe(0.8);
    const state = s.getState();
    s.observe(1); // 2 bad > patience: halve
    expect(s.rate(4)).toBe(0.4);
    const t = new LearningRateSchedule({ name: "plateau", patience: 1, factor: 0.5 }, 0.8);
    t.setState(state);
    t.observe(1);
    expect(t.rate(4)).toBe(0.4);
    expect(t.getState()).toEqual(s.getState());
  });

  test("step, constant and the decays ignore observed metrics", () => {
    const s = new LearningRateSchedule({ name: "step", stepSize: 2, gamma: 0.5 }, 1);
    for (let k = 0; k < 5; k++) s.observe(1);
    expect([1, 2, 3, 4, 5].map((t) => s.rate(t))).toEqual([1, 1, 0.5, 0.5, 0.25]);
    expect(s.observesMetric).toBe(false);
  });
});

describe("schedules: bad options throw, naming the option", () => {
  test.each([
    [{ name: "exponential" }, "schedule.name must be one of"],
    [{ name: "cosine" }, "schedule.totalSteps is missing"],
    [{ name: "linear", totalSteps: 5, warmupSteps: 5 }, "expected more than warmupSteps = 5"],
    [{ name: "cosine", totalSteps: 5, finalFactor: 2 }, "schedule.finalFactor must be a finite number in [0, 1]"],
    [{ name: "step" }, "schedule.stepSize is missing"],
    [{ name: "step", stepSize: 0 }, "schedule.stepSize must be a positive integer"],
    [{ name: "plateau", factor: 1 }, "schedule.factor must be below 1"],
    [{ name: "plateau", patience: 1.5 }, "schedule.patience must be a non-negative integer"],
    [{ name: "constant", totalSteps: 10 }, "schedule.totalSteps is not an option of the \"constant\" schedule"],
    [{ name: "step", stepSize: 2, warmupSteps: 1 }, "schedule.warmupSteps is not an option of the \"step\" schedule"],
  ])("%j", (options, message) => {
    expectError(() => new LearningRateSchedule(options as ScheduleOptions, 0.1), "INVALID_ARGUMENT", message);
  });

  test("a base rate ≤ 0, a step below 1 and a non-finite metric", () => {
    expectError(() => new LearningRateSchedule("constant", 0), "INVALID_ARGUMENT", "baseLearningRate must be a finite number in (0, ∞)");
    const s = new LearningRateSchedule("constant", 0.1);
    expectError(() => s.rate(0), "INVALID_ARGUMENT", "step must be a positive integer (1-based); got 0");
    expectError(() => s.observe(NaN), "INVALID_ARGUMENT", "metric must be a finite number");
  });
});
