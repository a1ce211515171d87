/** bptt train's --embedding and --dropout: the model they build, what it saves, and their bad values. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../src/io.js";
import { sample } from "../src/cli/sample.js";
import { train } from "../src/cli/train.js";
import { expectError } from "./helpers/errors.js";

const dir = mkdtempSync(join(tmpdir(), "bptt-cli-features-"));

function run(command: (argv: string[], log: (line: string) => void) => void, argv: string[]): string[] {
  const lines: string[] = [];
  command(argv, (line) => lines.push(line));
  return lines;
}

describe("bptt train --embedding --dropout", () => {
  it("trains a model with an nn.Embedding and dropout between its layers, saved with both, that sample loads back", () => {
    const out = join(dir, "features.safetensors");
    const log = run(train, ["--cell", "gru", "--layers", "2", "--embedding", "8", "--dropout", "0.25", "--steps", "20", "--hidden", "16", "--samples", "1", "--out", out]).join("\n");
    expect(log).toContain("training a 2-layer GRU (H = 16");
    const { model } = loadModel(readFileSync(out), { backend: "js" });
    expect(model.config.embeddingSize).toBe(8);
    expect(model.config.dropout).toBe(0.25);
    expect(model.parameters()[0]).toMatchObject({ name: "embedding.weight", shape: [model.config.inputSize, 8] });
    model.dispose();
    expect(run(sample, [out, "--count", "2"])).toHaveLength(2);
  });

  it("refuses values out of range, naming the flag", () => {
    expectError(() => run(train, ["--dropout", "1", "--steps", "1"]), "INVALID_ARGUMENT", "--dropout");
    expectError(() => run(train, ["--dropout", "-0.1", "--steps", "1"]), "INVALID_ARGUMENT", "--dropout");
    expectError(() => run(train, ["--embedding", "2.5", "--steps", "1"]), "INVALID_ARGUMENT", "--embedding must be an integer ≥ 0");
    expect(run(train, ["--help"]).join("\n")).toMatch(/--embedding[\s\S]*--dropout/);
  });
});
