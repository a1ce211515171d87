/**
 * The command line's flags, parsed by Node's `util.parseArgs`: `--name value`, `--name=value` and
 * boolean `--name`. parseArgs runs non-strict (in strict mode it refuses `--seconds -1` as
 * "ambiguous", where we want to say what range --seconds takes), so its tokens are checked here:
 * an unknown flag, a value missing or given to a boolean flag, and a number that is not one are
 * errors that name the flag.
 */
import { parseArgs as parseNodeArgs } from "node:util";
import { invalid } from "../errors.js";

/** A flag's spec: its kind and default. */
export type FlagSpec = { type: "number"; default: number; help: string } | { type: "string"; default: string; help: string } | { type: "boolean"; help: string };

export interface Parsed {
  positional: string[];
  flags: Record<string, number | string | boolean>;
  /** The flags the command line gave (the others hold their defaults). */
  given: Set<string>;
}

/** Parse `argv` against `spec`; every flag gets its default; unknown flags are errors. */
export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): Parsed {
  const options = Object.fromEntries(Object.entries(spec).map(([name, s]) => [name, { type: s.type === "boolean" ? ("boolean" as const) : ("string" as const) }]));
  const { tokens } = parseNodeArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const flags: Record<string, number | string | boolean> = {};
  for (const [name, s] of Object.entries(spec)) flags[name] = s.type === "boolean" ? false : s.default;
  const positional: string[] = [];
  const given = new Set<string>();
  for (const token of tokens) {
    if (token.kind === "positional") {
      positional.push(token.value);
      continue;
    }
    if (token.kind !== "option") continue; // "--": what follows comes as positionals
    const s = Object.hasOwn(spec, token.name) ? spec[token.name] : undefined;
    if (s === undefined) throw invalid(`unknown option ${token.rawName}; see --help`);
    given.add(token.name);
    if (s.type === "boolean") {
      if (token.value !== undefined) throw invalid(`--${token.name} takes no value; got ${token.rawName}=${token.value}`);
      flags[token.name] = true;
      continue;
    }
    const raw = token.value;
    if (raw === undefined) throw invalid(`--${token.name} needs a value`);
    if (s.type === "number") {
      const value = raw.trim() === "" ? NaN : Number(raw);
      if (!Number.isFinite(value)) throw invalid(`--${token.name} must be a number; got ${JSON.stringify(raw)}`);
      flags[token.name] = value;
    } else flags[token.name] = raw;
  }
  return { positional, flags, given };
}

export function helpText(usage: string, spec: Record<string, FlagSpec>): string {
  const lines = [usage, "", "Options:"];
  for (const [name, s] of Object.entries(spec)) {
    const value = s.type === "boolean" ? "" : ` <${s.type}>`;
    const def = s.type === "boolean" ? "" : ` (default ${JSON.stringify(s.default)})`;
    lines.push(`  --${(name + value).padEnd(22)} ${s.help}${def}`);
  }
  return lines.join("\n");
}
