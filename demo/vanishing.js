// The "vanishing gradients" panel: the adding problem (T = 40, a loss at the last step only) trained on
// the main thread with a tanh RNN and a GRU side by side. Every 25 steps each model's ‖∂E/∂h_t‖ on a
// fixed probe batch becomes a row of its heat-map, drawn against the distance from the loss on one log
// scale shared by both; the loss curves below show which one learns.
import { RNN, Random, Trainer } from "/dist/index.js";
import { ExampleBatches, fit, lastStepExample } from "/dist/train.js";

const T = 40, STEPS = 1000, EVERY = 25, LOG_LO = -10, LOG_HI = 1, BASELINE = 1 / 6;

/** Each step (value in [0, 1), marker); two marked steps, one in each half; the target is their sum. */
function addingExamples(count, rng) {
  return Array.from({ length: count }, () => {
    const inputs = new Float32Array(T * 2);
    const a = rng.int(T / 2), b = T / 2 + rng.int(T / 2);
    for (let t = 0; t < T; t++) inputs[2 * t] = rng.next();
    inputs[2 * a + 1] = inputs[2 * b + 1] = 1;
    return lastStepExample(inputs, [inputs[2 * a] + inputs[2 * b]], { features: 2 });
  });
}

export function colour(v) { // 0 → dark blue, 1 → yellow
  const stops = [[13, 8, 135], [126, 3, 168], [204, 71, 120], [248, 149, 64], [240, 249, 33]];
  const x = Math.min(Math.max(v, 0), 1) * (stops.length - 1), i = Math.min(Math.floor(x), stops.length - 2), f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Rows of ‖∂E/∂h_t‖ (t = 1 … T) drawn with the distance from the loss, T − t, growing to the left. */
function drawRows(canvas, rows) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height, axis = 16;
  const cw = W / T, rh = (H - axis) / (STEPS / EVERY + 1);
  ctx.clearRect(0, 0, W, H);
  rows.forEach((norms, r) => {
    for (let t = 0; t < T; t++) {
      ctx.fillStyle = colour((Math.log10(Math.max(norms[t], 1e-30)) - LOG_LO) / (LOG_HI - LOG_LO));
      ctx.fillRect(Math.floor(t * cw), r * rh, Math.ceil(cw), Math.ceil(rh));
    }
  });
  ctx.fillStyle = "#777"; ctx.font = "11px sans-serif";
  for (const d of [39, 30, 20, 10, 0]) ctx.fillText(`${d}`, (T - 1 - d) * cw + 2, H - 3);
}

function drawLosses(canvas, runs) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height, pad = { l: 40, r: 8, t: 8, b: 18 }, yMax = 0.3;
  const xOf = (i) => pad.l + (W - pad.l - pad.r) * (i / STEPS);
  const yOf = (v) => pad.t + (H - pad.t - pad.b) * (1 - Math.min(v, yMax) / yMax);
  ctx.clearRect(0, 0, W, H);
  ctx.strokeStyle = "#e3e6ec"; ctx.fillStyle = "#777"; ctx.font = "11px sans-serif"; ctx.lineWidth = 1;
  for (const v of [0, 0.1, 0.2, 0.3]) {
    ctx.beginPath(); ctx.moveTo(pad.l, yOf(v)); ctx.lineTo(W - pad.r, yOf(v)); ctx.stroke();
    ctx.fillText(v.toFixed(1), 8, yOf(v) + 4);
  }
  ctx.setLineDash([4, 4]); ctx.strokeStyle = "#999";
  ctx.beginPath(); ctx.moveTo(pad.l, yOf(BASELINE)); ctx.lineTo(W - pad.r, yOf(BASELINE)); ctx.stroke();
  ctx.setLineDash([]);
  for (const run of runs) {
    ctx.strokeStyle = run.colour; ctx.lineWidth = 2; ctx.beginPath();
    let ema = run.losses[0];
    run.losses.forEach((v, i) => {
      ema = 0.9 * ema + 0.1 * v;
      if (i === 0) ctx.moveTo(xOf(i), yOf(ema)); else ctx.lineTo(xOf(i), yOf(ema));
    });
    ctx.stroke();
  }
  ctx.fillText(`step ${STEPS}`, W - 60, H - 4);
}

/** Trains both models, drawing as it goes; resolves when both are done. `report` holds what the test reads. */
export async function runVanishingPanel(report) {
  const rng = new Random(1);
  const train = new ExampleBatches(addingExamples(4000, rng), { batchSize: 32, seed: 1 });
  const probe = new ExampleBatches(addingExamples(64, new Random(9)), { batchSize: 64, shuffle: false }).batch(0, 0);
  const runs = [
    { cell: "rnn", name: "tanh RNN", colour: "#d8503b", canvas: document.getElementById("vanish-rnn") },
    { cell: "gru", name: "GRU", colour: "#3b6fd8", canvas: document.getElementById("vanish-gru") },
  ].map((r) => ({ ...r, rows: [], losses: [], model: new RNN({ cell: r.cell, input: "dense", inputSize: 2, hiddenSize: 32, outputSize: 1, loss: "mse", seed: 1 }) }));
  const lossCanvas = document.getElementById("vanish-loss");
  const measure = (run) => {
    run.model.forward(probe);
    run.model.backward();
    run.rows.push(Array.from(run.model.stepGradientNorms()));
  };
  const publish = () => {
    for (const run of runs) report[run.cell] = { first: run.rows[0], last: run.rows.at(-1), rows: run.rows.length, losses: run.losses.slice() };
  };
  for (const run of runs) measure(run);
  publish();
  // the two trainings alternate in slices of 25 steps, so both curves grow together
  const trainers = runs.map((run) => new Trainer(run.model, { optimizer: "adam", learningRate: 0.01, clipNorm: 1, reduction: "mean" }));
  const pending = runs.map((run, i) => fit(trainers[i], train, {
    steps: STEPS, yieldEveryMs: 4,
    onStep: (s) => {
      run.losses.push(s.loss);
      if (s.step % EVERY === 0) {
        measure(run);
        drawRows(run.canvas, run.rows);
        drawLosses(lossCanvas, runs);
        publish();
      }
    },
  }));
  runs.forEach((run) => drawRows(run.canvas, run.rows));
  await Promise.all(pending);
  publish();
  report.done = true;
  for (const run of runs) run.model.dispose();
}
