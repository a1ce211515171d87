// A worker_threads worker serving bptt/worker training jobs (test/runtimes/worker.test.ts).
import { parentPort } from "node:worker_threads";
import { serveTraining } from "bptt/worker";

serveTraining(parentPort);
