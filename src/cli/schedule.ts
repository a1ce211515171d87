/**
 * --schedule: a learning-rate schedule preset of bptt/train by name, or its options as JSON. The rate
 * depends on the step alone: "linear" and "cosine" span --steps and need it; "plateau" watches the
 * validation loss and needs --validation and --eval-steps.
 */
import { BpttError, invalid } from "../errors.js";
import { LearningRateSchedule, needsTotalSteps, resolveSchedule, scheduleNames, type ScheduleOptions } from "../schedules.js";

/**
 * "plateau" by name on the command line: halve the rate after two validation checks in a row
 * without improvement (patience 1 in PyTorch's terms); PyTorch's own defaults (×0.1 after 11 checks)
 * hardly ever act within a short run.
 */
const CLI_PLATEAU: ScheduleOptions = { name: "plateau", factor: 0.5, patience: 1 };

/** The options of a --schedule value, checked; `steps` (0: none) and `validates` say what the run gives the schedule. */
export function scheduleFlag(value: string, steps: number, validates: boolean): ScheduleOptions {
  let options: ScheduleOptions;
  if (value.trimStart().startsWith("{")) {
    try {
      options = JSON.parse(value) as ScheduleOptions;
    } catch (error) {
      throw invalid(`--schedule is not valid JSON: ${(error as Error).message}`);
    }
  } else if ((scheduleNames as readonly string[]).includes(value)) {
    options = value === "plateau" ? CLI_PLATEAU : ({ name: value } as ScheduleOptions);
  } else {
    throw invalid(`--schedule must be ${scheduleNames.map((n) => JSON.stringify(n)).join(", ").replace(/, ([^,]*)$/, " or $1")}, or a preset's options as JSON such as '{"name": "cosine", "warmupSteps": 100}'; got ${JSON.stringify(value)}`);
  }
  if (needsTotalSteps(options) && steps === 0) {
    throw invalid(`--schedule ${options.name} decays over --steps, and this run has none: give --steps (the learning rate never depends on time), or --schedule plateau or constant`);
  }
  try {
    resolveSchedule(options, steps > 0 ? steps : undefined);
  } catch (error) {
    if (error instanceof BpttError) throw invalid(`--schedule ${value}: ${error.message}`);
    throw error;
  }
  if (options.name === "plateau" && !validates) throw invalid("--schedule plateau watches the validation loss: it needs --validation > 0 and --eval-steps > 0");
  return options;
}

/** The schedule of a run at base rate `learningRate`. */
export function runSchedule(options: ScheduleOptions, learningRate: number, steps: number): LearningRateSchedule {
  return new LearningRateSchedule(options, learningRate, steps > 0 ? steps : undefined);
}
