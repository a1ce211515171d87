/**
 * The fresh process of the exact-resume test (bundled by esbuild and run by `node`): for each job,
 * load its checkpoint, restore the data source (position and PRNG), train the remaining steps, and
 * report the losses and the weights' bit patterns as JSON on stdout.
 *
 *   node resume-child.mjs <jobs.json>
 *   jobs.json: [{ job: index into resumeJobs, checkpoint: path, backend: "js" | "wasm", wasm?: path, steps }]
 */
import { readFileSync } from "node:fs";
import { loadCheckpoint } from "../../src/io.js";
import "../../src/js.js";
import { resumeJobs, schedule, sourceFor, train, weightBits } from "./resume-task.js";

interface ChildJob { job: number; checkpoint: string; backend: "js" | "wasm"; wasm?: string; steps: number }

const jobs = JSON.parse(readFileSync(process.argv[2], "utf8")) as ChildJob[];
const results = jobs.map(({ job, checkpoint, backend, wasm, steps }) => {
  const wasmModule = wasm === undefined ? undefined : new WebAssembly.Module(readFileSync(wasm));
  const { model, trainer, data, random } = loadCheckpoint(readFileSync(checkpoint), { backend, wasmModule, schedule });
  const source = sourceFor(resumeJobs[job].data);
  source.seek(data as { cursors: number[] });
  source.random.setState(random!.getState());
  const stepCount = trainer.stepCount;
  const losses = train(trainer, source, steps);
  const result = { stepCountAtLoad: stepCount, losses, weights: weightBits(model), backend: model.backendName };
  model.dispose();
  return result;
});
process.stdout.write(JSON.stringify(results));
