// The demo page: trains a character RNN on the bundled names in a worker (bptt/worker), and shows
// live the loss curve, tokens/s of WebAssembly vs pure TS, names sampled at a chosen temperature,
// and how ‖∂E/∂h_t‖ fades with distance from a loss at the last step. The settings (cell, hidden
// units, learning rate) restart training at any time. window.__demo exposes the state to the test.
import { CharTokenizer, RNN, Random, generate, init } from "/dist/index.js";
import { loadModel } from "/dist/io.js";
import { TokenStreams, evaluate } from "/dist/train.js";
import { trainInWorker } from "/dist/worker-client.js";
import { colour, runVanishingPanel } from "./vanishing.js";

const $ = (id) => document.getElementById(id);
const state = {
  step: 0, steps: 0, losses: [], samples: [], wasmTokensPerSecond: 0, jsTokensPerSecond: 0,
  heatRows: 0, heatFirst: [], validation: [], runs: 0, cell: "", done: false, error: null, vanishing: { done: false },
};
window.__demo = state;

await init(); // compile the module asynchronously: the main thread samples names and measures gradients

const names = await (await fetch("/names.json")).json();
new Random(1).shuffle(names);
const cut = Math.floor(0.9 * names.length); // the last 10 % are held out: the validation curve
const text = `\n${names.slice(0, cut).join("\n")}\n`, heldOut = `\n${names.slice(cut).join("\n")}\n`;
const tokenizer = CharTokenizer.fromText(text + heldOut);
const data = tokenizer.encode(text);
const validation = new TokenStreams(tokenizer.encode(heldOut), { batchSize: 8, seqLen: 24 });
const boundary = tokenizer.encode("\n")[0];
const T = 24;

/** The job the settings describe. */
function jobFromSettings() {
  const cell = $("cell").value;
  return {
    model: { cell, inputSize: tokenizer.vocabSize, hiddenSize: Number($("hidden").value), seed: 1 },
    trainer: { learningRate: Number($("rate").value), momentum: 0.9, clipNorm: 1, reduction: "mean" },
    data, batchSize: 32, seqLen: T, steps: 3000, seed: 1, progressEvery: 10, snapshotEvery: 3,
  };
}

// ------------------------------------------------------------------ loss curve
const lossCanvas = $("loss-chart");
function drawLoss(job) {
  const ctx = lossCanvas.getContext("2d"), W = lossCanvas.width, H = lossCanvas.height, pad = { l: 40, r: 8, t: 8, b: 22 };
  ctx.clearRect(0, 0, W, H);
  const xs = state.losses;
  if (xs.length === 0) return;
  const yMax = Math.ceil(Math.max(...xs.slice(0, 50), 3.5)), yMin = 1;
  const xOf = (i) => pad.l + (W - pad.l - pad.r) * (i / Math.max(job.steps, xs.length));
  const yOf = (v) => pad.t + (H - pad.t - pad.b) * (1 - (Math.min(Math.max(v, yMin), yMax) - yMin) / (yMax - yMin));
  ctx.strokeStyle = "#e3e6ec"; ctx.fillStyle = "#777"; ctx.font = "11px sans-serif"; ctx.lineWidth = 1;
  for (let v = yMin; v <= yMax; v += 0.5) {
    ctx.beginPath(); ctx.moveTo(pad.l, yOf(v)); ctx.lineTo(W - pad.r, yOf(v)); ctx.stroke();
    ctx.fillText(v.toFixed(1), 6, yOf(v) + 4);
  }
  ctx.fillText("step", W - 34, H - 6);
  ctx.fillText(String(Math.max(job.steps, xs.length)), W - pad.r - 30, H - 6 - 10);
  ctx.fillStyle = "rgba(59,111,216,.18)";
  for (let i = 0; i < xs.length; i++) ctx.fillRect(xOf(i), yOf(xs[i]), 1.5, 1.5);
  ctx.strokeStyle = "#3b6fd8"; ctx.lineWidth = 2; ctx.beginPath();
  let ema = xs[0];
  for (let i = 0; i < xs.length; i++) {
    ema = 0.95 * ema + 0.05 * xs[i];
    if (i === 0) ctx.moveTo(xOf(i), yOf(ema)); else ctx.lineTo(xOf(i), yOf(ema));
  }
  ctx.stroke();
  ctx.fillStyle = "#d88a3b";
  for (const v of state.validation) { ctx.beginPath(); ctx.arc(xOf(v.step), yOf(v.loss), 2.5, 0, 2 * Math.PI); ctx.fill(); }
}

// ------------------------------------------------------------------ ‖∂E/∂h_t‖ with a loss at the last step only
// Every snapshot of the model (and the untrained model first) is measured here, on the main thread:
// 16 windows of the text, one target each, at t = 24; the heat-map shows log₁₀ ‖∂E/∂h_t‖ on one
// fixed scale for every row, so fading with distance from the loss reads as darkening to the left.
const heat = $("heatmap"), rows = [], maxRows = 40, LOG_LO = -8, LOG_HI = 1;
const probe = (() => {
  const B = 16, rng = new Random(5), inputs = new Int32Array(B * T), targets = new Int32Array(B * T).fill(-100);
  for (let b = 0; b < B; b++) {
    const start = Math.floor(rng.next() * (data.length - T - 1));
    for (let t = 0; t < T; t++) inputs[b * T + t] = data[start + t];
    targets[b * T + T - 1] = data[start + T];
  }
  return { batchSize: B, seqLen: T, inputs, targets };
})();
function measureFading(model) {
  model.forward(probe);
  model.backward();
  const norms = Array.from(model.stepGradientNorms());
  rows.push(norms);
  if (rows.length > maxRows) rows.splice(1, 1); // keep the untrained model's row on top
  state.heatRows = rows.length;
  if (rows.length === 1) state.heatFirst = norms;
}
function drawHeat() {
  const ctx = heat.getContext("2d"), W = heat.width, H = heat.height;
  const axis = 16, cw = W / T, rh = (H - axis) / Math.max(rows.length, 20);
  ctx.clearRect(0, 0, W, H);
  rows.forEach((norms, r) => {
    for (let t = 0; t < T; t++) {
      ctx.fillStyle = colour((Math.log10(Math.max(norms[t], 1e-30)) - LOG_LO) / (LOG_HI - LOG_LO));
      ctx.fillRect(Math.floor(t * cw), r * rh, Math.ceil(cw), Math.ceil(rh));
    }
  });
  ctx.fillStyle = "#777"; ctx.font = "11px sans-serif";
  for (const t of [1, 6, 12, 18, 24]) ctx.fillText(`t=${t}`, (t - 1) * cw + 2, H - 3);
  const first = state.heatFirst;
  if (first.length === T) {
    $("fading").textContent = `untrained ${state.cell}: ‖∂E/∂h_t‖ ${first[T - 1].toPrecision(2)} at t = ${T}, ${first[0].toPrecision(2)} at t = 1`;
  }
}

// ------------------------------------------------------------------ samples
let sampler = null, samplerStep = -1;
function drawSamples() {
  if (sampler === null) return;
  const temperature = Number($("temperature").value);
  $("temperature-value").textContent = temperature.toFixed(2);
  const out = [];
  for (let k = 0; k < 15; k++) {
    const ids = generate(sampler, { prompt: [boundary], length: 20, temperature, seed: 1000 + k, stopToken: boundary });
    out.push(tokenizer.decode(ids.filter((id) => id !== boundary)) || "∅");
  }
  state.samples = out;
  $("samples").replaceChildren(...out.map((n) => Object.assign(document.createElement("li"), { textContent: n })));
}
$("temperature").addEventListener("input", drawSamples);
function adoptSnapshot(bytes, step) {
  sampler?.dispose();
  sampler = loadModel(bytes).model;
  samplerStep = step;
  drawSamples();
  measureFading(sampler);
  state.validation.push({ step, loss: evaluate(sampler, validation).meanLoss });
}

// ------------------------------------------------------------------ speed
function drawSpeed() {
  const w = state.wasmTokensPerSecond, j = state.jsTokensPerSecond, top = Math.max(w, j, 1);
  $("speed-wasm").textContent = w ? Math.round(w).toLocaleString("en") : "–";
  $("speed-js").textContent = j ? Math.round(j).toLocaleString("en") : "–";
  $("bar-wasm").style.width = `${(100 * w) / top}%`;
  $("bar-js").style.width = `${(100 * j) / top}%`;
  $("speed-ratio").textContent = w && j ? `WebAssembly is ${(w / j).toFixed(1)}× the pure-TypeScript backend (same model, same batch, both in workers)` : "\u00a0";
}

// ------------------------------------------------------------------ a run: two workers, one job
const wasmWorker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const jsWorker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
let current = null; // { controller, finished }

async function start() {
  if (current !== null) { // stop the running jobs and wait for both workers to be free
    current.controller.abort();
    await current.finished;
  }
  const job = jobFromSettings(), controller = new AbortController();
  Object.assign(state, { step: 0, steps: job.steps, losses: [], samples: [], wasmTokensPerSecond: 0, jsTokensPerSecond: 0, heatRows: 0, heatFirst: [], validation: [], cell: job.model.cell, done: false, error: null });
  state.runs++;
  rows.length = 0;
  const untrained = new RNN(job.model);
  measureFading(untrained);
  untrained.dispose();
  drawHeat(); drawLoss(job); drawSpeed();
  const started = performance.now();
  const jsRun = trainInWorker(jsWorker, { ...job, model: { ...job.model, backend: "js" }, steps: 1_000_000, progressEvery: 2, snapshotEvery: 0 }, {
    signal: controller.signal,
    onProgress: (p) => { state.jsTokensPerSecond = p.tokensPerSecond; drawSpeed(); },
  });
  const run = trainInWorker(wasmWorker, job, {
    signal: controller.signal,
    onProgress: (p) => {
      state.step = p.step;
      state.losses.push(...p.losses);
      state.wasmTokensPerSecond = p.tokensPerSecond;
      if (p.model) adoptSnapshot(p.model, p.step);
      const recent = p.losses.reduce((a, b) => a + b, 0) / p.losses.length;
      $("status").textContent = `step ${p.step} / ${p.steps} · loss ${recent.toFixed(3)} · samples from step ${samplerStep} · ${((performance.now() - started) / 1000).toFixed(0)} s`;
      drawLoss(job); drawHeat(); drawSpeed();
    },
  });
  const finished = (async () => {
    try {
      const result = await run;
      controller.abort(); // the pure-TS run only measures speed: it ends with the WebAssembly one
      adoptSnapshot(result.model, result.steps);
      drawHeat();
      state.done = true;
      $("status").textContent = `${result.cancelled ? "stopped" : "done"} at step ${result.steps} · final loss ${result.losses.at(-1)?.toFixed(3)} · ${Math.round(result.tokensPerSecond).toLocaleString("en")} tokens/s — change the settings and press Start to train again`;
      await jsRun;
    } catch (e) {
      state.error = String(e?.message ?? e);
      $("status").textContent = `error: ${state.error}`;
    }
  })();
  current = { controller, finished };
}

$("start").addEventListener("click", () => void start());
$("stop").addEventListener("click", () => current?.controller.abort());
await start();
runVanishingPanel(state.vanishing).catch((e) => { state.error = `vanishing-gradients panel: ${e?.message ?? e}`; });
