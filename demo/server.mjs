// npm run demo: serves the demo page on http://127.0.0.1:8080 (PORT=0 picks a free port).
//   /            demo/index.html, demo/*.js
//   /dist/…      the built package (npm run demo builds it first)
//   /names.json  the bundled English first names (src/data/names.ts, the CLI's data), lower-cased and de-duplicated
import * as esbuild from "esbuild";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const types = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json",
  ".wasm": "application/wasm", ".map": "application/json", ".css": "text/css", ".png": "image/png",
};

/** The names exactly as the CLI bundles them: src/data/names.ts compiled on the fly. */
async function loadNamesJson() {
  const out = await esbuild.build({ entryPoints: [join(root, "src/data/names.ts")], bundle: true, write: false, format: "esm", platform: "neutral", logLevel: "warning" });
  const { loadNames } = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
  return JSON.stringify(loadNames());
}

/** Starts the server; resolves with its URL and a close function. */
export async function startDemoServer(port = 8080) {
  const names = await loadNamesJson();
  const server = createServer(async (req, res) => {
    let path;
    try {
      path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    } catch {
      // a malformed escape such as /%ff: the client's error, not the server's end
      return void res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("malformed URL\n");
    }
    if (path === "/names.json") return void res.writeHead(200, { "content-type": types[".json"] }).end(names);
    const file = path.startsWith("/dist/") ? join(root, path) : join(root, "demo", path === "/" ? "index.html" : path);
    if (!file.startsWith(join(root, "dist") + sep) && !file.startsWith(join(root, "demo") + sep)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startDemoServer(Number(process.env.PORT ?? 8080));
  console.log(`bptt demo: ${url}  (Ctrl-C to stop)`);
}
