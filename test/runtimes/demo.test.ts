/**
 * The demo page (npm run demo) in headless Chromium: training progresses in the worker, and the
 * loss chart, the heat-map, both speeds and the sampled names appear; the temperature slider
 * re-samples. Saves a screenshot to build/demo-screenshot.png.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { launchChromium, root } from "./helpers.js";

interface DemoState {
  step: number;
  losses: number[];
  samples: string[];
  wasmTokensPerSecond: number;
  jsTokensPerSecond: number;
  heatRows: number;
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
    await page.screenshot({ path: join(root, "build", "demo-screenshot.png") });
    console.log(`demo: step ${state.step}, loss ${head.toFixed(3)} → ${tail.toFixed(3)}, wasm ${Math.round(state.wasmTokensPerSecond)} tokens/s, js ${Math.round(state.jsTokensPerSecond)} tokens/s; samples: ${state.samples.join(", ")}`);
    await page.locator("#stop").click();
  } finally {
    await browser.close();
    await server.close();
  }
});
