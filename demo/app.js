// The demo page: trains a character RNN on the bundled names in a worker (bptt/worker), and shows
// live the loss curve, tokens/s of WebAssembly vs pure TS, names sampled at a chosen temperature,
// and a heat-map of the gradient norm per time step. window.__demo exposes the state to the test.
import { CharTokenizer, Random, generate, init } from "/dist/index.js";
import { loadModel } from "/dist/io.js";
import { trainInWorker } from "/dist/train-worker.js";

const $ = (id) => document.getElementById(id);
const state = { step: 0, steps: 0, losses: [], samples: [], wasmTokensPerSecond: 0, jsTokensPerSecond: 0, heatRows: 0, done: false, error: null };
window.__demo = state;

await init(); // compile the module asynchronously: the main thread samples names from snapshots

const names = await (await fetch("/names.json")).json();
new Random(1).shuffle(names);
const text = `\n${names.join("\n")}\n`;
const tokenizer = CharTokenizer.fromText(text);
const data = tokenizer.encode(text);
const boundary = tokenizer.encode("\n")[0];

const job = {
  model: { inputSize: tokenizer.vocabSize, hiddenSize: 128, seed: 1 },
  trainer: { learningRate: 0.1, momentum: 0.9, clipNorm: 1, reduction: "mean" },
  data, batchSize: 32, seqLen: 24, steps: 3000, seed: 1, progressEvery: 10, recordStepNorms: true, snapshotEvery: 3,
};

// ------------------------------------------------------------------ loss curve
const lossCanvas = $("loss-chart");
function drawLoss() {
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
}

// ------------------------------------------------------------------ heat-map of ‖∂E/∂h_t‖
const heat = $("heatmap"), rows = [], maxRows = 60;
function colour(v) { // 0 → dark blue, 1 → yellow
  const stops = [[13, 8, 135], [126, 3, 168], [204, 71, 120], [248, 149, 64], [240, 249, 33]];
  const x = Math.min(Math.max(v, 0), 1) * (stops.length - 1), i = Math.min(Math.floor(x), stops.length - 2), f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
function drawHeat() {
  const ctx = heat.getContext("2d"), W = heat.width, H = heat.height, T = job.seqLen;
  const axis = 16, cw = Math.floor(W / T), rh = (H - axis) / Math.max(rows.length, 20);
  ctx.clearRect(0, 0, W, H);
  rows.forEach((norms, r) => {
    // log scale per row: the row's smallest norm → dark, its largest → bright
    const logs = norms.map((n) => Math.log10(Math.max(n, 1e-30)));
    const lo = Math.min(...logs), span = Math.max(...logs) - lo || 1;
    for (let t = 0; t < T; t++) {
      ctx.fillStyle = colour((logs[t] - lo) / span);
      ctx.fillRect(t * cw, r * rh, cw, Math.ceil(rh));
    }
  });
  ctx.fillStyle = "#777"; ctx.font = "11px sans-serif";
  for (const t of [1, 6, 12, 18, 24]) ctx.fillText(`t=${t}`, (t - 1) * cw + 2, H - 3);
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

// ------------------------------------------------------------------ speed
function drawSpeed() {
  const w = state.wasmTokensPerSecond, j = state.jsTokensPerSecond, top = Math.max(w, j, 1);
  $("speed-wasm").textContent = w ? Math.round(w).toLocaleString("en") : "–";
  $("speed-js").textContent = j ? Math.round(j).toLocaleString("en") : "–";
  $("bar-wasm").style.width = `${(100 * w) / top}%`;
  $("bar-js").style.width = `${(100 * j) / top}%`;
  if (w && j) $("speed-ratio").textContent = `WebAssembly is ${(w / j).toFixed(1)}× the pure-TypeScript backend (same model, same batch, both in workers)`;
}

// ------------------------------------------------------------------ the two workers
const controller = new AbortController(), jsController = new AbortController();
$("stop").addEventListener("click", () => { controller.abort(); jsController.abort(); });
const wasmWorker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const jsWorker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });

const jsRun = trainInWorker(jsWorker, { ...job, model: { ...job.model, backend: "js" }, steps: 1_000_000, progressEvery: 2, recordStepNorms: false, snapshotEvery: 0 }, {
  signal: jsController.signal,
  onProgress: (p) => { state.jsTokensPerSecond = p.tokensPerSecond; drawSpeed(); },
});

const started = performance.now();
const run = trainInWorker(wasmWorker, job, {
  signal: controller.signal,
  onProgress: (p) => {
    state.step = p.step; state.steps = p.steps;
    state.losses.push(...p.losses);
    state.wasmTokensPerSecond = p.tokensPerSecond;
    if (p.stepNorms) { rows.push(Array.from(p.stepNorms)); if (rows.length > maxRows) rows.shift(); state.heatRows = rows.length; }
    if (p.model) { sampler?.dispose(); sampler = loadModel(p.model).model; samplerStep = p.step; drawSamples(); }
    const recent = p.losses.reduce((a, b) => a + b, 0) / p.losses.length;
    $("status").textContent = `step ${p.step} / ${p.steps} · loss ${recent.toFixed(3)} · samples from step ${samplerStep} · ${((performance.now() - started) / 1000).toFixed(0)} s`;
    drawLoss(); drawHeat(); drawSpeed();
  },
});

try {
  const result = await run;
  jsController.abort();
  sampler?.dispose();
  sampler = loadModel(result.model).model;
  samplerStep = result.steps;
  drawSamples();
  state.done = true;
  $("status").textContent = `${result.cancelled ? "stopped" : "done"} at step ${result.steps} · final loss ${result.losses.at(-1)?.toFixed(3)} · ${Math.round(result.tokensPerSecond).toLocaleString("en")} tokens/s`;
  await jsRun;
} catch (e) {
  state.error = String(e?.message ?? e);
  $("status").textContent = `error: ${state.error}`;
}
