/**
 * The demo server survives a malformed request: GET /%ff (an escape that is not UTF-8) is answered
 * 400 and the server goes on serving; before, decodeURIComponent threw an uncaught URIError.
 */
import { describe, expect, it } from "vitest";
// @ts-expect-error: the demo server is plain JavaScript without declarations
import { startDemoServer } from "../demo/server.mjs";

describe("demo server", () => {
  it("answers /%ff with 400 and keeps serving", async () => {
    const { url, close } = await startDemoServer(0);
    try {
      for (const bad of ["%ff", "%E0%A4%A", "%"]) {
        const response = await fetch(`${url}${bad}`, { signal: AbortSignal.timeout(2000) });
        expect(response.status, bad).toBe(400);
      }
      const names = await fetch(`${url}names.json`, { signal: AbortSignal.timeout(2000) });
      expect(names.status).toBe(200);
      expect((await names.json()).length).toBeGreaterThan(1000);
    } finally {
      await close();
    }
  });
});
