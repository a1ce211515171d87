/**
 * The demo page (npm run demo) in headless Chromium: training progresses in the worker, and the
 * loss chart, the heat-map, both speeds and the sampled names appear; the temperature slider
 * re-samples. The heat-map's first row, the untrained tanh RNN with a loss at the last step only,
 * fades by orders of magnitude from t = 24 to t = 1; the settings restart training with another
 * cell; at 390 px the page does not scroll sideways. A validation curve (held-out names) falls. The
 * vanishing-gradients panel trains the adding problem (T = 40) with a tanh RNN and a GRU on the page:
 * the GRU learns it, the RNN stays near the constant answer's loss, and the GRU's ‖∂E/∂h_1‖ ends far
 * above the RNN's. Screenshots at desktop and phone width: build/demo-screenshot.png, build/demo-phone.png.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { launchChromium, root } from "./helpers.js";

interface Panel { first: number[]; last: number[]; rows: number; losses: number[] }

interface DemoState {
  step: number;
  losses: number[];
  samples: string[];
  wasmTokensPerSecond: number;
  jsTokensPerSecond: number;
  heatRows: number;
  heatFirst: number[];
  validation: { step: number; loss: number }[];
  vanishing: { done: boolean; rnn?: Panel; gru?: Panel };
  runs: number;
  cell: string;
  error: string | null;
}

test("the demo page trains in a worker and shows the loss curve, speeds, samples and heat-map", async () => {
  const { startDemoServer } = (await import(join(root, "demo", "server.mjs"))) as { startDemoServer: (port: number) => Promise<{ url: string; close: () => Promise<void> }> };
  const server = await startDemoServer(0);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 780 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => {
      const s = (window as unknown as { __demo?: DemoState }).__demo;
      return s !== undefined && (s.error !== null || (s.step >= 150 && s.samples.length > 0 && s.jsTokensPerSecond > 0 && s.heatRows >= 5));
    }, null, { timeout: 240_000, polling: 500 });
    const state = await page.evaluate(() => (window as unknown as { __demo: DemoState }).__demo);
    expect(state.error).toBeNull();
    expect(errors).toEqual([]);
    expect(state.losses.length).toBeGreaterThanOrEqual(150);
    const head = state.losses.slice(0, 10).reduce((a, b) => a + b) / 10, tail = state.losses.slice(-10).reduce((a, b) => a + b) / 10;
    expect(tail, "the loss falls while the page watches").toBeLessThan(head);
    expect(state.wasmTokensPerSecond).toBeGreaterThan(0);
    expect(state.samples.length).toBe(15);
    // the canvases hold drawings, the samples and speeds are in the DOM
    const inked = await page.evaluate(() => ["loss-chart", "heatmap"].map((id) => {
      const c = document.getElementById(id) as HTMLCanvasElement;
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n / (c.width * c.height);
    }));
    expect(inked[0], "loss chart drawn").toBeGreaterThan(0.01);
    expect(inked[1], "heat-map drawn").toBeGreaterThan(0.1);
    expect(await page.locator("#samples li").count()).toBe(15);
    expect(await page.textContent("#speed-wasm")).toMatch(/^\d[\d,]*$/);
    expect(await page.textContent("#speed-js")).toMatch(/^\d[\d,]*$/);
    // moving the temperature slider re-samples at the new temperature
    await page.locator("#temperature").fill("0.3");
    await page.waitForFunction(() => document.getElementById("temperature-value")!.textContent === "0.30");
    expect(await page.locator("#samples li").count()).toBe(15);
    mkdirSync(join(root, "build"), { recursive: true });
    console.log(`demo: step ${state.step}, loss ${head.toFixed(3)} → ${tail.toFixed(3)}, wasm ${Math.round(state.wasmTokensPerSecond)} tokens/s, js ${Math.round(state.jsTokensPerSecond)} tokens/s; samples: ${state.samples.join(", ")}`);
    // the validation curve: held-out names scored at every snapshot, falling
    expect(state.validation.length).toBeGreaterThanOrEqual(2);
    expect(state.validation.at(-1)!.loss).toBeLessThan(state.validation[0].loss);
    // the vanishing-gradients panel: wait for both trainings (1,000 steps each, on the page's thread)
    await page.waitForFunction(() => (window as unknown as { __demo: DemoState }).__demo.vanishing.done, null, { timeout: 240_000, polling: 500 });
    const panel = await page.evaluate(() => (window as unknown as { __demo: DemoState }).__demo.vanishing);
    const recent = (p: Panel) => p.losses.slice(-100).reduce((a, b) => a + b) / 100;
    const reach = (norms: number[]) => norms[0] / norms[39]; // ‖∂E/∂h_1‖ / ‖∂E/∂h_40‖
    expect(panel.rnn!.losses).toHaveLength(1000);
    expect(recent(panel.gru!), "the GRU learns the adding problem").toBeLessThan(0.05);
    expect(recent(panel.rnn!), "the tanh RNN stays near 1/6").toBeGreaterThan(0.1);
    expect(reach(panel.rnn!.first), "at initialisation the RNN's gradient vanishes").toBeLessThan(1e-3);
    expect(reach(panel.gru!.last), "after training the GRU's gradient reaches back").toBeGreaterThan(1e3 * reach(panel.rnn!.last));
    await page.screenshot({ path: join(root, "build", "demo-screenshot.png"), fullPage: true });
    // vanishing gradients at initialisation: ‖∂E/∂h_1‖ is orders of magnitude below ‖∂E/∂h_24‖ (hand check: 3.2 → 9.6e-6 for this setup)
    expect(state.heatFirst).toHaveLength(24);
    expect(state.heatFirst[0] / state.heatFirst[23], "‖∂E/∂h_1‖ / ‖∂E/∂h_24‖ of the untrained tanh RNN").toBeLessThan(1e-3);
    expect(await page.textContent("#fading")).toMatch(/untrained rnn: ‖∂E\/∂h_t‖ \S+ at t = 24, \S+ at t = 1/);
    // the settings restart training: an LSTM from step 0
    await page.selectOption("#cell", "lstm");
    await page.locator("#start").click();
    await page.waitForFunction(() => {
      const s = (window as unknown as { __demo: DemoState }).__demo;
      return s.error !== null || (s.runs === 2 && s.cell === "lstm" && s.step >= 30 && s.heatRows >= 2);
    }, null, { timeout: 120_000, polling: 250 });
    const restarted = await page.evaluate(() => (window as unknown as { __demo: DemoState }).__demo);
    expect(restarted.error).toBeNull();
    expect(restarted.losses.length, "the new run's losses only, one per step").toBeLessThanOrEqual(restarted.step + 10);
    expect(restarted.heatFirst, "the untrained LSTM's row").toHaveLength(24);
    expect(restarted.heatFirst).not.toEqual(state.heatFirst);
    await page.locator("#stop").click();
    // a phone-width viewport: no sideways scrolling, the sample columns side by side without overlap
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth), "page width at 390 px").toBeLessThanOrEqual(390);
    const overlaps = await page.evaluate(() => {
      const boxes = Array.from(document.querySelectorAll("#samples li"), (li) => li.getBoundingClientRect());
      let n = 0;
      for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) n++;
      }
      return n;
    });
    expect(overlaps, "overlapping sample names at 390 px").toBe(0);
    await page.screenshot({ path: join(root, "build", "demo-phone.png"), fullPage: true });
  } finally {
    await browser.close();
    await server.close();
  }
});
