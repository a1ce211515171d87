// The demo's training worker: serves bptt/worker jobs (progress events, cancellation).
import { serveTraining } from "/dist/train-worker.js";

serveTraining();
