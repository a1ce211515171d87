/**
 * The program each pool thread runs (src/backends/wasm/pool.ts). It is sent to the thread as source
 * text (`threadWorkerSource`), so it must not refer to anything outside its own body.
 *
 * Control words (Int32Array over the pool's SharedArrayBuffer; arguments as float64 from byte 64):
 *   GENERATION  bumped by the caller for every task      DONE      threads that finished the task
 *   BACKEND     which backend's instance runs it          KERNEL    index into the kernel names (−1: return to the event loop)
 *   COUNT       threads taking part (the caller is 0)     ARGC      number of arguments
 *   ACKS        instances made (one per attach message)   FAILED    set when a thread's kernel threw
 *   TASK        the generation whose words these are, −1 while the caller writes them
 *   PAGES       the backend's memory size when the task was posted: a thread whose instance knows a
 *               smaller one calls memory.grow(0), which makes it see the caller's growth (V8 shows
 *               another thread's growth to an instance lazily)
 *   SCRATCH     where the threads after the caller find their kernel scratch (setThread's 4th argument)
 * and after the arguments (from REASON_BYTE) the message of the first kernel that threw, in UTF-16.
 *
 * The caller waits only for the threads taking part, so one that does not may still be reading the
 * words of a task when the caller writes the next one's. A thread therefore copies the words, checks
 * that TASK was its generation before and after, and skips a generation whose words it did not
 * read whole (the caller did not need it there: it never writes over a task its threads still run).
 *
 * A thread idles in Atomics.waitAsync, so that attach messages (a new model's memory) reach it. Once
 * woken it stays hot: it polls for the next task for SPIN_MS, then sleeps in Atomics.wait up to
 * HOT_MS, before idling again. Polling first, because waking a sleeping thread is slow where the
 * cores are virtual: 0.7 ms per wake on a 2-vCPU KVM guest, as long as a 256×256×256 product.
 */
export function threadWorkerMain(listen: (handler: (message: any) => void) => void, post: (message: unknown) => void): void {
  const GENERATION = 0, DONE = 1, BACKEND = 2, KERNEL = 3, COUNT = 4, ARGC = 5, ACKS = 6, FAILED = 7, TASK = 8, PAGES = 9, SCRATCH = 10, ARGS_F64 = 8;
  const REASON_BYTE = 8 * (ARGS_F64 + 32), REASON_CHARS = 160; // as in pool.ts
  const SPIN_MS = 5, HOT_MS = 20;
  let control: Int32Array;
  let args: Float64Array;
  let index = 0;
  let names: string[] = [];
  const instances = new Map<number, any>();

  const argv: number[] = [];
  let kernel = 0, count = 0, backend = 0, pages = 0, scratch = 0;

  /** Copies the words of task `generation`; false when they were (being) overwritten by a later task's. */
  function readTask(generation: number): boolean {
    if (Atomics.load(control, TASK) !== generation) return false;
    kernel = control[KERNEL];
    count = control[COUNT];
    backend = control[BACKEND];
    pages = control[PAGES];
    scratch = control[SCRATCH];
    argv.length = 0;
    for (let i = 0, n = control[ARGC]; i < n; i++) argv.push(args[ARGS_F64 + i]);
    Atomics.add(control, DONE, 0); // a full fence: the reads above happen before the check below
    return Atomics.load(control, TASK) === generation;
  }

  function runTask(): void {
    const thread = index + 1;
    if (thread >= count) return;
    try {
      const { kernels, memory } = instances.get(backend);
      if (memory.buffer.byteLength >>> 16 < pages) memory.grow(0);
      kernels.setThread(thread, count, 1, scratch);
      kernels[names[kernel]](...argv);
    } catch (e) {
      if (Atomics.compareExchange(control, FAILED, 0, 1) === 0) { // the first failure tells why
        const text = String((e as { message?: unknown })?.message ?? e), chars = new Uint16Array(control.buffer, REASON_BYTE, REASON_CHARS);
        for (let i = 0; i < REASON_CHARS; i++) chars[i] = i < text.length ? text.charCodeAt(i) : 0;
      }
    }
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }

  async function loop(): Promise<void> {
    let seen = Atomics.load(control, GENERATION);
    for (;;) {
      if (Atomics.load(control, GENERATION) === seen) {
        const waitAsync = (Atomics as any).waitAsync;
        if (typeof waitAsync === "function") {
          const r = waitAsync(control, GENERATION, seen);
          if (r.async) await r.value;
        } else {
          await new Promise((resolve) => setTimeout(resolve, 1));
          continue;
        }
      }
      let spinUntil = performance.now() + SPIN_MS;
      for (let polls = 1; ; polls++) {
        const generation = Atomics.load(control, GENERATION);
        if (generation === seen) {
          if ((polls & 1023) !== 0 || performance.now() < spinUntil) continue;
          if (Atomics.wait(control, GENERATION, seen, HOT_MS) === "timed-out") break;
          continue;
        }
        seen = generation;
        if (!readTask(generation)) continue; // a later task is being written: this thread had no part in this one
        if (kernel < 0) break; // back to the event loop: messages are waiting
        runTask();
        spinUntil = performance.now() + SPIN_MS; // from the end of the task: the next call comes soon after
      }
    }
  }

  listen((m) => {
    if (m.type === "start") {
      control = new Int32Array(m.control);
      args = new Float64Array(m.control);
      index = m.index;
      names = m.names;
      void loop();
      post("ready"); // a browser starts a worker only while the page's thread is free: the pool waits for this
    } else if (m.type === "attach") {
      const instance = new WebAssembly.Instance(m.module, { env: { memory: m.memory, abort() { throw new Error("abort"); } } });
      instances.set(m.id, { kernels: instance.exports, memory: m.memory });
      Atomics.add(control, ACKS, 1);
      Atomics.notify(control, ACKS);
    } else if (m.type === "detach") {
      instances.delete(m.id);
    }
  });
}

/** Source text of a pool thread for worker_threads (CommonJS, `eval: true`) or a Web Worker (a Blob URL). */
export function threadWorkerSource(kind: "node" | "web"): string {
  const io = kind === "node"
    ? `(h) => require("node:worker_threads").parentPort.on("message", h), (m) => require("node:worker_threads").parentPort.postMessage(m)`
    : `(h) => { self.onmessage = (e) => h(e.data); }, (m) => self.postMessage(m)`;
  return `(${threadWorkerMain.toString()})(${io});\n`;
}
