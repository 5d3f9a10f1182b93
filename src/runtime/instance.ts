/**
 * One supervised instance of the process runtime: its process groups (serving
 * first, then sidecars), the loops that watch them (log rotation, memory limit,
 * exit polling for adopted instances) and stop/exec. The same code serves
 * instances this process spawned (exit comes from the child handle) and
 * instances adopted from an earlier Pier process (exit found by polling /proc).
 */

import type { Clock, TimerHandle } from '../clock.js';
import { runExec } from './exec.js';
import { killGroupsUntilGone, signalGroup } from './groups.js';
import { appendPierLine, readLogTail, rotateLogIfNeeded } from './logs.js';
import type { Procfs } from './procfs.js';
import type { ExecResult, ExitInfo, RunningInstance, TerminationReason } from './types.js';

export interface SupervisorDeps {
  clock: Clock;
  procfs: Procfs;
  logMaxBytes: number;
  logFiles: number;
  logCheckMs: number;
  memoryPollMs: number;
  exitPollMs: number;
}

export interface Group {
  /** Leader pid = process group id. */
  pid: number;
  /** `containers[i]`, for messages. */
  path: string;
  startedAt: number;
  /** The leader's exit, when this Pier process spawned it; absent for adopted groups (polled instead). */
  exit?: Promise<{ code: number | null; signal: string | null }>;
}

export interface InstanceInit {
  instanceId: string;
  host: string;
  port: number;
  logDir: string;
  workDir: string;
  env: Record<string, string>;
  memoryLimitMb?: number;
  /** Serving group first. */
  groups: Group[];
}

/** Exit codes a shell gives for "not found" / "not executable". */
const START_FAILURE_CODES = new Set([126, 127]);
const START_WINDOW_MS = 10_000;

export function superviseInstance(deps: SupervisorDeps, init: InstanceInit): RunningInstance {
  const { clock, procfs } = deps;
  const serving = init.groups[0];
  const pgids = init.groups.map((g) => g.pid);
  const timers: TimerHandle[] = [];

  let resolveExited!: (info: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((resolve) => {
    resolveExited = resolve;
  });
  let ending = false;
  let settled = false;
  let stopPromise: Promise<ExitInfo> | undefined;
  let stopRequested = false;
  let killedAfterGrace: number | undefined;
  let oomMessage: string | undefined;
  let lastCpu = 0;

  const settle = (info: ExitInfo) => {
    if (settled) return;
    settled = true;
    for (const t of timers) clock.clearInterval(t);
    resolveExited(info);
  };

  const classify = (code: number | null, signal: string | null, endedAt: number): [TerminationReason, string] => {
    if (oomMessage) return ['OOMKilled', oomMessage];
    if (stopRequested) {
      if (code === 0) return ['Completed', 'exited with code 0 after SIGTERM'];
      if (killedAfterGrace !== undefined) {
        return ['Killed', `killed with SIGKILL after the ${killedAfterGrace} s grace period`];
      }
      if (signal) return ['Killed', `stopped (${signal})`];
      if (code !== null) return ['Killed', `stopped; exited with code ${code} after SIGTERM`];
      return ['Killed', 'stopped with SIGTERM (exit status unknown: the process was adopted)'];
    }
    if (code === 0) return ['Completed', 'exited with code 0'];
    if (code === null && signal === null) return ['Error', 'exited while not supervised'];
    if (signal) return ['Error', `killed by signal ${signal}`];
    if (START_FAILURE_CODES.has(code ?? 0) && endedAt - serving.startedAt < START_WINDOW_MS) {
      return ['StartError', `exited with code ${code} right after start (command not found or not executable?)`];
    }
    return ['Error', `exited with code ${code}`];
  };

  /** The serving process ended: take the rest of the instance down, then report. */
  const onServingExit = async (code: number | null, signal: string | null) => {
    if (ending) return;
    ending = true;
    const finishedAt = clock.now();
    await killGroupsUntilGone(procfs, clock, pgids);
    rotateLogIfNeeded(init.logDir, deps.logMaxBytes, deps.logFiles);
    let [reason, message] = classify(code, signal, finishedAt);
    if (reason === 'Error' || reason === 'StartError') {
      const tail = (await readLogTail(init.logDir, 5).catch(() => '')).trim();
      if (tail) message += `; last log lines:\n${tail.slice(-2000)}`;
    }
    settle({ exitCode: code, signal, reason, message, finishedAt });
  };

  for (const g of init.groups) {
    void g.exit?.then(({ code, signal }) => {
      if (g === serving) void onServingExit(code, signal);
      else if (!ending && !stopRequested) {
        appendPierLine(init.logDir, `${g.path} (pid ${g.pid}) exited with ${signal ?? `code ${code}`}`);
      }
    });
  }

  const servingGone = () => !procfs.isSameProcess(serving.pid, serving.startedAt);
  const pollExit = () => {
    if (!serving.exit && servingGone()) void onServingExit(null, null);
  };
  if (!serving.exit) timers.push(clock.setInterval(pollExit, deps.exitPollMs));

  timers.push(
    clock.setInterval(() => rotateLogIfNeeded(init.logDir, deps.logMaxBytes, deps.logFiles), deps.logCheckMs),
  );

  const limitMb = init.memoryLimitMb;
  if (limitMb !== undefined && limitMb > 0) {
    timers.push(
      clock.setInterval(() => {
        if (ending || oomMessage) return;
        const bytes = procfs.members(pgids).reduce((sum, p) => sum + p.rssPages * procfs.pageSize, 0);
        if (bytes <= limitMb * 1024 * 1024) return;
        oomMessage = `memory ${Math.round(bytes / (1024 * 1024))} MB over the ${limitMb} MB limit (metadata.memory)`;
        appendPierLine(init.logDir, `${oomMessage}; killing the instance`);
        void killGroupsUntilGone(procfs, clock, pgids).then(pollExit);
      }, deps.memoryPollMs),
    );
  }

  /** Resolves true if the instance ended within `ms`. */
  const exitedWithin = async (ms: number): Promise<boolean> => {
    if (settled) return true;
    const abort = new AbortController();
    const timeout = clock.sleep(ms, abort.signal).then(
      () => false,
      () => false,
    );
    const done = await Promise.race([exited.then(() => true), timeout]);
    abort.abort();
    return done;
  };

  const stop = (graceSeconds: number): Promise<ExitInfo> => {
    stopPromise ??= (async () => {
      if (settled || ending) return exited;
      stopRequested = true;
      for (const pgid of pgids) signalGroup(pgid, 'SIGTERM');
      // Adopted instances learn of the exit by polling; poll faster while stopping.
      const fastPoll = serving.exit ? undefined : clock.setInterval(pollExit, 100);
      if (fastPoll) timers.push(fastPoll);
      if (!(await exitedWithin(Math.max(0, graceSeconds) * 1000))) {
        if (!ending) killedAfterGrace = graceSeconds;
        await killGroupsUntilGone(procfs, clock, pgids);
        pollExit();
        if (!(await exitedWithin(10_000))) {
          settle({
            exitCode: null,
            signal: 'SIGKILL',
            reason: 'Killed',
            message: 'did not exit after SIGKILL',
            finishedAt: clock.now(),
          });
        }
      }
      return exited;
    })();
    return stopPromise;
  };

  return {
    instanceId: init.instanceId,
    host: init.host,
    port: init.port,
    pid: serving.pid,
    startedAt: serving.startedAt,
    exited,
    stop,
    exec(argv: string[], timeoutMs: number): Promise<ExecResult> {
      return runExec({ argv, env: init.env, cwd: init.workDir, timeoutMs, clock });
    },
    cpuSeconds() {
      if (settled) return lastCpu;
      const ticks = procfs.members(pgids).reduce((sum, p) => sum + p.cpuTicks + p.childCpuTicks, 0);
      lastCpu = Math.max(lastCpu, ticks / procfs.clkTck);
      return lastCpu;
    },
  };
}

/** An instance that never ran: `exited` is already settled with reason 'StartError'. */
export function failedInstance(
  clock: Clock,
  init: Pick<InstanceInit, 'instanceId' | 'host' | 'port' | 'env' | 'workDir'>,
  message: string,
): RunningInstance {
  const now = clock.now();
  const exited = Promise.resolve<ExitInfo>({
    exitCode: null,
    signal: null,
    reason: 'StartError',
    message,
    finishedAt: now,
  });
  return {
    instanceId: init.instanceId,
    host: init.host,
    port: init.port,
    startedAt: now,
    exited,
    stop: () => exited,
    exec: (argv, timeoutMs) => runExec({ argv, env: init.env, cwd: init.workDir, timeoutMs, clock }),
    cpuSeconds: () => undefined,
  };
}
