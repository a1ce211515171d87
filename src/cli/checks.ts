/**
 * The command line's checks, made before any work starts: every flag's range, every input file
 * readable and every output path writable, each failure a BpttError naming the flag or the file in
 * the command line's words (flags, not API option names).
 */
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { BpttError, invalid } from "../errors.js";

/** An integer flag in [min, max]. */
export function intFlag(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw invalid(`--${name} must be ${range}; got ${String(value)}`);
  }
  return value;
}

/** A number flag in [min, max], or (min, max] when `aboveMin`, or [min, max) when `belowMax`. */
export function numberFlag(name: string, value: unknown, min: number, max: number, bounds: { aboveMin?: boolean; belowMax?: boolean } = {}): number {
  const ok = typeof value === "number" && Number.isFinite(value) && (bounds.aboveMin ? value > min : value >= min) && (bounds.belowMax ? value < max : value <= max);
  if (!ok) {
    const range = `${bounds.aboveMin ? "(" : "["}${min}, ${max === Infinity ? "∞" : max}${bounds.belowMax || max === Infinity ? ")" : "]"}`;
    throw invalid(`--${name} must be a number in ${range}; got ${String(value)}`);
  }
  return value as number;
}

export function choiceFlag<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw invalid(`--${name} must be ${allowed.map((a) => JSON.stringify(a)).join(", ").replace(/, ([^,]*)$/, " or $1")}; got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/**
 * A file to be written later (by `--flag`): its directory exists and is writable, and the path is
 * not a directory. Checked before training, so that a run is not lost to a typo in a path.
 */
export function checkOutputFile(flag: string, path: string): void {
  if (path === "") throw invalid(`--${flag} needs a file name`);
  const full = resolve(path), dir = dirname(full);
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch {
    throw invalid(`--${flag} ${path}: the directory ${dir} does not exist`);
  }
  if (!dirStat.isDirectory()) throw invalid(`--${flag} ${path}: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw invalid(`--${flag} ${path}: the directory ${dir} is not writable`);
  }
  try {
    if (statSync(full).isDirectory()) throw invalid(`--${flag} ${path} is a directory; give a file name`);
  } catch (error) {
    if (error instanceof BpttError) throw error;
    // no such file yet: it will be created
  }
}

/** The bytes of an input file, or a BpttError saying in a line why it cannot be read (no stack trace). */
export function readInputFile(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" || code === "EPERM" ? "permission denied" : (error as Error).message;
    throw invalid(`cannot read ${what} ${path}: ${why}`);
  }
}
