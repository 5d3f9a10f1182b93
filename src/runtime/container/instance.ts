/**
 * One supervised container instance: the serving container (whose exit is the
 * instance's), its sidecars, the log follower, and stop/exec/cpu. The same code
 * serves containers this process started and containers adopted after a restart.
 * Exit comes from `<engine> wait`, then `inspect` for the code and OOMKilled; the
 * containers are removed once that is read (a restart makes new ones).
 */

import { constants } from 'node:os';
import type { Clock, TimerHandle } from '../../clock.js';
import { appendPierLine, readLogTail, rotateLogIfNeeded } from '../logs.js';
import type { ExecResult, ExitInfo, RunningInstance, TerminationReason } from '../types.js';
import type { Engine } from './engine.js';
import { execInContainer } from './exec.js';
import type { Follower } from './follow.js';
import { type ContainerStatus, inspectContainer } from './inspect.js';
import { cpuAccountingFile, kernelLoggedOomKill, readCpuSeconds } from './kernel.js';

export interface ContainerInstanceInit {
  engine: Engine;
  clock: Clock;
  instanceId: string;
  host: string;
  port: number;
  logDir: string;
  /** Serving container first. */
  containerIds: string[];
  pid: number;
  startedAt: number;
  memoryLimitMb?: number;
  follower: Follower;
  logMaxBytes: number;
  logFiles: number;
  logCheckMs: number;
}

const START_FAILURE_CODES = new Set([126, 127]);
const START_WINDOW_MS = 10_000;

function signalName(code: number): string | null {
  if (code <= 128) return null;
  const n = code - 128;
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? null;
}

export function superviseContainer(init: ContainerInstanceInit): RunningInstance {
  const { engine, clock } = init;
  const servingId = init.containerIds[0];
  const timers: TimerHandle[] = [];
  let resolveExited!: (info: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((resolve) => {
    resolveExited = resolve;
  });
  let settled = false;
  let ending = false;
  let stopRequested = false;
  let stopGrace = 0;
  let stopPromise: Promise<ExitInfo> | undefined;
  let lastCpu = 0;
  const cpuFiles = [cpuAccountingFile(init.pid)].filter((f): f is string => f !== null);

  const settle = (info: ExitInfo) => {
    if (settled) return;
    settled = true;
    for (const t of timers) clock.clearInterval(t);
    resolveExited(info);
  };

  const classify = (s: ContainerStatus | null, oom: boolean, tail: string): [TerminationReason, string] => {
    if (!s) return ['Error', 'the container disappeared (removed outside Pier?)'];
    const code = s.exitCode;
    const signal = signalName(code);
    if (oom) {
      const limit = init.memoryLimitMb ? ` at the ${init.memoryLimitMb} MB limit (metadata.memory)` : '';
      return ['OOMKilled', `out of memory: killed by the kernel${limit}`];
    }
    if (stopRequested) {
      if (code === 0) return ['Completed', 'exited with code 0 after SIGTERM'];
      if (code === 137) return ['Killed', `killed with SIGKILL after the ${stopGrace} s grace period`];
      if (signal) return ['Killed', `stopped (${signal})`];
      return ['Killed', `stopped; exited with code ${code} after SIGTERM`];
    }
    if (code === 0) return ['Completed', 'exited with code 0'];
    if (s.error) return ['StartError', s.error];
    if (signal) return ['Error', `killed by signal ${signal} (exit code ${code})`];
    const early = s.finishedAt - init.startedAt < START_WINDOW_MS;
    // With --init, a missing entrypoint is the init's "failed to exec pid1" and exit code 1.
    const execFailed = tail.split('\n').find((l) => /failed to exec pid1|executable file not found/.test(l));
    if (execFailed && early) return ['StartError', `the command could not be started: ${execFailed.trim()}`];
    if (START_FAILURE_CODES.has(code) && early) {
      return ['StartError', `exited with code ${code} right after start (command not found or not executable?)`];
    }
    return ['Error', `exited with code ${code}`];
  };

  /** The serving container ended: read why, copy its last output, remove the containers, report. */
  const onServingExit = async () => {
    if (ending) return;
    ending = true;
    const status = await inspectContainer(engine, servingId);
    const oom =
      Boolean(status) &&
      !stopRequested &&
      (status?.oomKilled === true || (status?.exitCode === 137 && kernelLoggedOomKill(servingId)));
    await init.follower.done(clock, 5000);
    await removeContainers(engine, init.containerIds);
    rotateLogIfNeeded(init.logDir, init.logMaxBytes, init.logFiles);
    const tail = (await readLogTail(init.logDir, 5).catch(() => '')).trim();
    let [reason, message] = classify(status, oom, tail);
    if ((reason === 'Error' || reason === 'StartError') && tail) message += `; last log lines:\n${tail.slice(-2000)}`;
    if (reason === 'OOMKilled') appendPierLine(init.logDir, message);
    const code = status?.exitCode ?? null;
    settle({
      exitCode: code,
      signal: code === null ? null : signalName(code),
      reason,
      message,
      finishedAt: status?.finishedAt || clock.now(),
    });
  };

  /** `wait` (a minute at a time, so every call is bounded) until the container is no longer running. */
  const watch = async () => {
    for (;;) {
      const r = await engine.run(['wait', servingId], { timeoutMs: 60_000 });
      if (settled || ending) return;
      const s = await inspectContainer(engine, servingId);
      if (!s?.running) return onServingExit();
      if (!r.timedOut) await clock.sleep(1000);
    }
  };
  void watch();

  timers.push(
    clock.setInterval(() => rotateLogIfNeeded(init.logDir, init.logMaxBytes, init.logFiles), init.logCheckMs),
  );

  const stop = (graceSeconds: number): Promise<ExitInfo> => {
    stopPromise ??= (async () => {
      if (settled || ending) return exited;
      stopRequested = true;
      stopGrace = Math.max(0, Math.round(graceSeconds));
      const timeoutMs = (stopGrace + 30) * 1000;
      // Sidecars first, so the serving container's exit finds them gone.
      await Promise.all(
        init.containerIds.slice(1).map((id) => engine.run(['stop', '-t', String(stopGrace), id], { timeoutMs })),
      );
      await engine.run(['stop', '-t', String(stopGrace), servingId], { timeoutMs });
      const abort = new AbortController();
      const late = clock.sleep(30_000, abort.signal).then(
        () => true,
        () => false,
      );
      const timedOut = await Promise.race([exited.then(() => false), late]);
      abort.abort();
      if (timedOut) {
        await removeContainers(engine, init.containerIds);
        settle({
          exitCode: null,
          signal: 'SIGKILL',
          reason: 'Killed',
          message: 'the container did not report its exit after stop; removed it',
          finishedAt: clock.now(),
        });
      }
      return exited;
    })();
    return stopPromise;
  };

  return {
    instanceId: init.instanceId,
    host: init.host,
    port: init.port,
    pid: init.pid,
    startedAt: init.startedAt,
    exited,
    stop,
    exec(argv: string[], timeoutMs: number): Promise<ExecResult> {
      return execInContainer(engine, servingId, argv, timeoutMs, clock);
    },
    cpuSeconds() {
      if (settled || cpuFiles.length === 0) return cpuFiles.length === 0 ? undefined : lastCpu;
      const values = cpuFiles.map(readCpuSeconds);
      if (values.some((v) => v === undefined)) return lastCpu || undefined;
      lastCpu = Math.max(lastCpu, values.reduce((a, b) => (a ?? 0) + (b ?? 0), 0) ?? 0);
      return lastCpu;
    },
  };
}

/** `rm -f` (with anonymous volumes); bounded; failures are left for orphan cleanup. */
export async function removeContainers(engine: Engine, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await engine.run(['rm', '-f', '-v', ...ids], { timeoutMs: 60_000 });
}
