/**
 * One training example = one row of a batch: a sequence of `steps` inputs and its targets. The three
 * ways of giving a sequence its targets:
 *
 *   nextTokenExample([a, b, c, d])        inputs a b c, targets b c d            (language models)
 *   lastStepExample(inputs, y)            a target at the last step only          (many-to-one: classify or regress a sequence)
 *   everyStepExample(inputs, targets)     a target at every step                  (sequence labelling)
 *
 * Class targets are ids, IGNORE_INDEX (−100) where a step has none; vector targets (MSE) are
 * steps × outputs floats with a mask (0 where a step has none). `ExampleBatches` pads and stacks them.
 */
import { IGNORE_INDEX } from "../batch.js";
import { checkPositiveInt, describe, invalid } from "../errors.js";

export interface Example {
  /** steps ids, or steps × features floats (dense input). */
  inputs: ArrayLike<number>;
  /** steps class ids (IGNORE_INDEX: none), or steps × outputs floats (MSE). */
  targets: ArrayLike<number>;
  /** Optional steps of 0/1: 0 means the step has no target. */
  mask?: ArrayLike<number>;
  /** Number of time steps; default inputs.length (one id per step). Needed for dense inputs. */
  steps?: number;
}

export interface FeatureOptions {
  /** Floats per input step: the model's inputSize for dense input; 1 (default) for token ids. */
  features?: number;
}

/** Next-token prediction: inputs sequence[0 .. n − 2], targets sequence[1 .. n − 1] (n ≥ 2 ids). */
export function nextTokenExample(sequence: ArrayLike<number>): Example {
  const ids = checkNumbers("sequence", sequence);
  if (ids.length < 2) throw invalid(`sequence has length ${ids.length}; expected at least 2 ids (one input, one target)`);
  const inputs = new Int32Array(ids.length - 1), targets = new Int32Array(ids.length - 1);
  for (let t = 0; t < ids.length - 1; t++) {
    inputs[t] = ids[t];
    targets[t] = ids[t + 1];
  }
  return { inputs, targets };
}

/**
 * Many-to-one: one target at the last step. A number is a class id (the other steps get IGNORE_INDEX);
 * an array is a vector of outputs (MSE: the other steps get zeros and mask 0).
 */
export function lastStepExample(inputs: ArrayLike<number>, target: number | ArrayLike<number>, options: FeatureOptions = {}): Example {
  const steps = stepsOf(inputs, options);
  if (typeof target === "number") {
    if (!Number.isInteger(target) || target < 0) throw invalid(`target is ${describe(target)}; expected a class id (an integer ≥ 0) or an array of outputs`);
    const targets = new Int32Array(steps).fill(IGNORE_INDEX);
    targets[steps - 1] = target;
    return { inputs, targets, steps };
  }
  const vector = checkNumbers("target", target);
  if (vector.length === 0) throw invalid("target is an empty array; expected a class id or at least one output");
  const O = vector.length;
  const targets = new Float64Array(steps * O), mask = new Uint8Array(steps);
  for (let o = 0; o < O; o++) targets[(steps - 1) * O + o] = vector[o];
  mask[steps - 1] = 1;
  return { inputs, targets, mask, steps };
}

/** Sequence labelling: a target at every step (steps ids, or steps × outputs floats). */
export function everyStepExample(inputs: ArrayLike<number>, targets: ArrayLike<number>, options: FeatureOptions = {}): Example {
  const steps = stepsOf(inputs, options);
  const values = checkNumbers("targets", targets);
  if (values.length === 0 || values.length % steps !== 0) {
    throw invalid(`targets has length ${values.length}; expected steps × outputs, a positive multiple of steps = ${steps}`);
  }
  return { inputs, targets, steps };
}

function stepsOf(inputs: ArrayLike<number>, options: FeatureOptions): number {
  const values = checkNumbers("inputs", inputs);
  if (options === null || typeof options !== "object") throw invalid(`options must be an object { features }; got ${describe(options)}`);
  const features = checkPositiveInt("options.features", options.features ?? 1);
  if (values.length === 0 || values.length % features !== 0) {
    throw invalid(`inputs has length ${values.length}; expected steps × features, a positive multiple of features = ${features}`);
  }
  return values.length / features;
}

function checkNumbers(name: string, values: unknown): ArrayLike<number> {
  if (values === null || typeof values !== "object" || typeof (values as ArrayLike<number>).length !== "number") {
    throw invalid(`${name} must be an array or typed array of numbers; got ${describe(values)}`);
  }
  const array = values as ArrayLike<number>;
  for (let k = 0; k < array.length; k++) {
    if (typeof array[k] !== "number" || !Number.isFinite(array[k])) throw invalid(`${name}[${k}] is ${describe(array[k])}; expected a finite number`);
  }
  return array;
}
