import { invalid } from "../errors.js";

/** A flag's spec: its kind and default. */
export type FlagSpec = { type: "number"; default: number; help: string } | { type: "string"; default: string; help: string } | { type: "boolean"; help: string };

export interface Parsed {
  positional: string[];
  flags: Record<string, number | string | boolean>;
}

/** Parse `--name value`, `--name=value` and boolean `--name` against a spec; unknown flags are errors. */
export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): Parsed {
  const flags: Record<string, number | string | boolean> = {};
  for (const [name, s] of Object.entries(spec)) flags[name] = s.type === "boolean" ? false : s.default;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw invalid(`unknown option --${name}; see --help`);
    if (s.type === "boolean") {
      flags[name] = true;
      continue;
    }
    const raw = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (raw === undefined) throw invalid(`--${name} needs a value`);
    if (s.type === "number") {
      const value = Number(raw);
      if (!Number.isFinite(value)) throw invalid(`--${name} must be a number; got ${JSON.stringify(raw)}`);
      flags[name] = value;
    } else flags[name] = raw;
  }
  return { positional, flags };
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
