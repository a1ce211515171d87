/**
 * The message protocol of bptt/worker: every message names its job, and an endpoint is whatever
 * posts and receives messages (a Web Worker, a worker's global scope, a MessagePort, Node's Worker or
 * parentPort). Imports nothing but the error type, so that the page side stays small.
 */
import { BpttError } from "../errors.js";
import type { TrainingJob, TrainingProgress, TrainingResult } from "./jobs.js";

/** A Web Worker, a worker's global scope, a MessagePort, or Node's Worker / parentPort. */
export interface MessageEndpoint {
  // any: Node (readonly Transferable[]) and the DOM (Transferable[] or options) type the transfer list differently
  postMessage(message: unknown, transfer?: any): void;
  on?(event: "message", listener: (value: unknown) => void): unknown;
  off?(event: "message", listener: (value: unknown) => void): unknown;
  addEventListener?(type: "message", listener: (event: { data: unknown }) => void): void;
  removeEventListener?(type: "message", listener: (event: { data: unknown }) => void): void;
  start?(): void;
}

/** Every message names its job: a worker's replies go only to the call that sent the job. */
export type Message =
  | { bptt: "train"; id: string; job: TrainingJob }
  | { bptt: "cancel"; id: string }
  | { bptt: "progress"; id: string; progress: TrainingProgress }
  | { bptt: "done"; id: string; result: TrainingResult }
  | { bptt: "error"; id: string; message: string; code?: string };

/** Subscribes to messages with Node's `on` when present (it hands over the value), else `addEventListener`. */
export function listen(port: MessageEndpoint, handler: (message: Message) => void): () => void {
  const onValue = (value: unknown) => {
    if (value !== null && typeof value === "object" && "bptt" in value) handler(value as Message);
  };
  if (typeof port.on === "function") {
    port.on("message", onValue);
    return () => port.off?.("message", onValue);
  }
  if (typeof port.addEventListener !== "function") throw new BpttError("INVALID_ARGUMENT", "the worker or port has neither on() nor addEventListener()");
  const onEvent = (event: { data: unknown }) => onValue(event.data);
  port.addEventListener("message", onEvent);
  port.start?.();
  return () => port.removeEventListener?.("message", onEvent);
}
