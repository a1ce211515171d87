import { BpttError } from "../errors.js";
// the embedded Wasm module (the main entry provides it), and --backend js
import "../index.js";
import "../js.js";
import { evalCommand } from "./eval.js";
import { sample } from "./sample.js";
import { trainUntilInterrupted, type Interrupt } from "./train.js";

const usage = `bptt — recurrent networks trained by backpropagation through time

Usage:
  bptt train [file] [options]         train a character model (default data: English first names)
  bptt sample <model> [options]       generate text from a saved model
  bptt eval <model> <file> [options]  a saved model's loss on a text file, in nats and bits per character
  bptt <command> --help               options of a command`;

/**
 * bptt train with Ctrl-C handled: the first SIGINT lets the current step finish, then the checkpoint
 * and the model are saved and the command exits 130; the listener is removed at once, so a second
 * SIGINT ends the process by the default action, even in the middle of a save (saves are atomic).
 */
async function trainCommand(argv: string[]): Promise<boolean> {
  const interrupt: Interrupt = { requested: false };
  const onInterrupt = () => {
    interrupt.requested = true;
    console.error("\nbptt: interrupted; finishing this step, then saving the checkpoint and the model (Ctrl-C again to quit at once)");
  };
  process.once("SIGINT", onInterrupt);
  try {
    await trainUntilInterrupted(argv, console.log, interrupt);
  } finally {
    process.off("SIGINT", onInterrupt);
  }
  return interrupt.requested;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "train") {
      if (await trainCommand(rest)) return 130;
    } else if (command === "sample") sample(rest);
    else if (command === "eval") evalCommand(rest);
    else if (command === undefined || command === "--help" || command === "-h" || command === "help") console.log(usage);
    else {
      console.error(`unknown command ${JSON.stringify(command)}\n\n${usage}`);
      return 2;
    }
    return 0;
  } catch (error) {
    // what the user can act on is one line: bptt's errors and the system's (ENOSPC, EACCES, …);
    // anything else is a bug in bptt, whose stack trace belongs in a report
    if (error instanceof BpttError || isSystemError(error)) {
      console.error(`bptt: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  }
}

function isSystemError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && typeof (error as NodeJS.ErrnoException).syscall === "string";
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
