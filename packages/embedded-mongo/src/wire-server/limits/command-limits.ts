import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { CommandError } from '../errors';

// Every command runs to completion on the one JavaScript thread that keycard's requests also
// need, so a command that never ends, or fills the heap, takes the whole process down with it.
// mongod runs each operation on a thread of its own and has no such problem; here each command
// gets a time limit and a heap allowance while it evaluates queries, pipelines and updates.

export interface CommandLimits {
  /** How long a command may spend evaluating filters, pipelines and updates. */
  readonly timeLimitMs: number;
  /** How far the JS heap may grow while one command runs, live data and garbage alike. */
  readonly heapGrowthLimitBytes: number;
}

/**
 * 1 s: far more than any query keycard makes needs, and the longest keycard's requests then
 * wait behind a runaway one.
 */
export const defaultTimeLimitMs = 1_000;

/** A quarter of V8's heap limit, at most 1 GiB: the process keeps most of its heap either way. */
export function defaultHeapGrowthLimitBytes(): number {
  return Math.min(2 ** 30, Math.floor(v8.getHeapStatistics().heap_size_limit / 4));
}

interface RunningCommand {
  readonly limits: CommandLimits;
  readonly deadline: number;
  readonly heapBaseline: number;
  ticks: number;
}

// Commands run one at a time, synchronously, so one slot is enough for every server in the
// process. It is set and cleared outside any vm call: a terminated script runs no finally.
let running: RunningCommand | undefined;

function timeLimitExceeded(limits: CommandLimits): CommandError {
  return new CommandError(
    'MaxTimeMSExpired',
    `operation exceeded time limit: the keycard wire server stops evaluating a command after ${limits.timeLimitMs} ms`,
  );
}

function heapUsed(): number {
  return v8.getHeapStatistics().used_heap_size;
}

/** Runs one command with `limits` in force for its evaluation checkpoints. */
export function runWithCommandLimits<T>(limits: CommandLimits, work: () => T): T {
  if (running) return work();
  running = {
    limits,
    deadline: performance.now() + limits.timeLimitMs,
    heapBaseline: heapUsed(),
    ticks: 0,
  };
  try {
    return work();
  } finally {
    running = undefined;
  }
}

/**
 * Called for every operator mingo evaluates and every document a pipeline stage emits. Every
 * 16th call looks at the clock and the heap (a heap look costs about a microsecond) and
 * throws when the command is past its time limit or its heap allowance.
 */
export function checkpoint(): void {
  const command = running;
  if (command === undefined || ++command.ticks % 16 !== 0) return;
  if (performance.now() > command.deadline) throw timeLimitExceeded(command.limits);
  const growth = heapUsed() - command.heapBaseline;
  if (growth > command.limits.heapGrowthLimitBytes) {
    throw new CommandError(
      'ExceededMemoryLimit',
      `command used too much memory (the heap grew by ${growth} bytes; limit ${command.limits.heapGrowthLimitBytes} bytes) and cannot spill to disk`,
    );
  }
}

let sandbox: { context: vm.Context; script: vm.Script } | undefined;
let insideSandbox = false;

/**
 * Runs `work` and stops it, wherever it is, when the command's time is up. A regular expression
 * can backtrack for hours inside one call to RegExp.exec, where no checkpoint can run; V8's
 * watchdog (the vm module's timeout) interrupts it. Starting the watchdog costs ~0.1 ms, so it is
 * used only for commands that carry a regular expression, and only around work that writes
 * nothing: an interrupted write could leave a collection and its indexes disagreeing.
 */
export function runPreemptibly<T>(work: () => T): T {
  const command = running;
  if (command === undefined || insideSandbox) return work();
  const remaining = Math.ceil(command.deadline - performance.now());
  if (remaining <= 0) throw timeLimitExceeded(command.limits);
  sandbox ??= (() => {
    const context = vm.createContext({ work: undefined });
    return { context, script: new vm.Script('work()') };
  })();
  sandbox.context.work = work;
  insideSandbox = true;
  try {
    return sandbox.script.runInContext(sandbox.context, { timeout: remaining }) as T;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw timeLimitExceeded(command.limits);
    }
    throw error;
  } finally {
    insideSandbox = false;
    sandbox.context.work = undefined;
  }
}
