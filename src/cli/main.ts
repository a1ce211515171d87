import { BpttError } from "../errors.js";
// the embedded Wasm module (the main entry provides it), and --backend js
import "../index.js";
import "../js.js";
import { sample } from "./sample.js";
import { train } from "./train.js";

const usage = `bptt — recurrent networks trained by backpropagation through time

Usage:
  bptt train [file] [options]         train a character model (default data: English first names)
  bptt sample <model> [options]       generate text from a saved model
  bptt <command> --help               options of a command`;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  try {
    if (command === "train") train(rest);
    else if (command === "sample") sample(rest);
    else if (command === undefined || command === "--help" || command === "-h" || command === "help") console.log(usage);
    else {
      console.error(`unknown command ${JSON.stringify(command)}\n\n${usage}`);
      return 2;
    }
    return 0;
  } catch (error) {
    if (error instanceof BpttError) {
      console.error(`bptt: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = main(process.argv.slice(2));
