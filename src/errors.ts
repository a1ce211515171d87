/**
 * The one error type bptt throws on bad input or a failed training step.
 * `code` is stable and machine-readable; `message` says what was expected and what came.
 */
export type BpttErrorCode =
  | "INVALID_ARGUMENT" // a value has the wrong type, range or shape
  | "INVALID_STATE" // a call came in the wrong order (e.g. backward before forward)
  | "NON_FINITE" // a loss or gradient became NaN or ±Infinity
  | "DISPOSED" // the model was disposed
  | "WASM_UNAVAILABLE" // the WebAssembly module could not be compiled or instantiated
  | "WASM_ABORT" // an assertion inside a debug Wasm kernel failed
  | "FORMAT" // a file (safetensors, checkpoint) is malformed
  | "BUSY"; // a worker is running another training job

/** Marks every BpttError, from whichever copy of this module made it. */
const brand = Symbol.for("bptt.BpttError");

export class BpttError extends Error {
  readonly code: BpttErrorCode;
  constructor(code: BpttErrorCode, message: string) {
    super(message);
    this.name = "BpttError";
    this.code = code;
  }

  /** On the prototype: what `instanceof` reads across copies of this class. */
  get [brand](): true {
    return true;
  }

  /**
   * `instanceof BpttError` also holds for an error made by another copy of this class: the page side
   * of bptt/worker (bptt/worker/client) is bundled apart from the library and carries its own.
   * Subclasses (NonFiniteError) keep the ordinary prototype test.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== BpttError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return value instanceof Error && (value as { [brand]?: true })[brand] === true;
  }
}

/** Thrown by a training step that met a NaN or infinity; the weights are left as they were before the step. */
export class NonFiniteError extends BpttError {
  /** 1-based index of the training step that failed. */
  readonly step: number;
  /** The first non-finite tensor, e.g. "loss" or "rnn.weight_hh_l0" (its gradient). */
  readonly tensor: string;
  constructor(step: number, tensor: string, detail: string) {
    super("NON_FINITE", `training step ${step}: ${detail} (first non-finite tensor: ${tensor}); the weights were left as they were before this step`);
    this.name = "NonFiniteError";
    this.step = step;
    this.tensor = tensor;
  }
}

export function invalid(message: string): BpttError {
  return new BpttError("INVALID_ARGUMENT", message);
}

/** A positive integer, or throw naming the argument. */
export function checkPositiveInt(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw invalid(`${name} must be a positive integer; got ${describe(value)}`);
  }
  return value;
}

/**
 * A finite number within [min, max] (bounds inclusive unless `exclusiveMin`; no upper bound reads "(0, ∞)").
 * Without `min`, any finite number: "must be a finite number; got NaN".
 */
export function checkFinite(name: string, value: unknown, min = -Infinity, max = Infinity, exclusiveMin = false): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max || (exclusiveMin && value === min)) {
    const range = min > -Infinity ? ` in ${exclusiveMin ? "(" : "["}${min}, ${max}]`.replace("Infinity]", "∞)") : "";
    throw invalid(`${name} must be a finite number${range}; got ${describe(value)}`);
  }
  return value;
}

/** A 32-bit seed: an integer in [0, 2^32). */
export function checkSeed(seed: unknown): number {
  if ((seed as number) >>> 0 !== seed) throw invalid(`seed must be an integer in [0, 2^32); got ${describe(seed)}`);
  return seed;
}

/** Throw on a key of `options` that is not in `known`, naming it and listing the known ones. */
export function checkKeys(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) if (!known.includes(key)) throw invalid(`unknown ${what} option ${JSON.stringify(key)}; the options are ${known.join(", ")}`);
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw invalid(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}; got ${describe(value)}`);
  }
  return value as T;
}

export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null) return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  if (Array.isArray(value)) return `array of length ${value.length}`;
  return typeof value;
}
