/**
 * The process runtime (the embedded default): each instance is the serving
 * container's command plus its sidecars, each a real process leading its own
 * process group, writing straight to the instance's log file. Nothing ties the
 * processes to Pier (no pipes, unref'd, own session), so they outlive a crash of
 * Pier and a new Pier process adopts them.
 */

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, createRealClock } from '../clock.js';
import { PierError } from '../errors.js';
import { type InstancePlan, makeInstancePlan } from '../platform/plan/index.js';
import { buildEnv, buildLaunches, freePort, type Launch, processUnsupportedReason, servingIndex } from './command.js';
import { createGpuReservations, type GpuReservations } from './gpu/index.js';
import { killGroupsUntilGone } from './groups.js';
import { instanceHostEnv } from './host-env.js';
import { failedInstance, type Group, type SupervisorDeps, superviseInstance } from './instance.js';
import { appendPierLine, ensureLogDir, openLogForAppend } from './logs.js';
import { prepareProcessInstance } from './prepare/index.js';
import { createProcfs, type Procfs } from './procfs.js';
import type { AdoptRecord, InstanceRuntime, PierRuntimeConfig, RunningInstance, StartRequest } from './types.js';

export interface ProcessRuntimeOptions {
  clock?: Clock;
  /** Size at which the live log is rotated; default 10 MiB. */
  logMaxBytes?: number;
  /** Rotated files kept (`instance.log.1` … `.N`); default 3. */
  logFiles?: number;
  /** How often the log size is checked; default 1000 ms. */
  logCheckMs?: number;
  /** How often memory is sampled against `metadata.memory`; default 1000 ms. */
  memoryPollMs?: number;
  /** How often an adopted instance is checked for exit; default 1000 ms. */
  exitPollMs?: number;
  /** Reads /proc; replaceable for tests. */
  procfs?: Procfs;
  /** Pier's configuration for prepare (venvs), storage (oss) and GPUs; see README.md. */
  config?: PierRuntimeConfig;
  /** The machine's GPU reservations, shared with the other runtimes; default: this runtime's own. */
  gpus?: GpuReservations;
}

const HOST = '127.0.0.1';
const STATE_FILE = 'instance.json';

/** What adoption needs beyond the AdoptRecord; written next to the log. */
interface StateFile {
  instanceId: string;
  workDir: string;
  memoryLimitMb?: number;
  /** GPUs reserved for the instance (metadata.gpu), re-claimed on adoption. */
  gpus?: string[];
  groups: { pid: number; path: string; startedAt: number }[];
}

type SpawnOutcome = { ok: true; group: Group } | { ok: false; message: string };

function spawnGroup(launch: Launch, cwd: string, logFd: number, clock: Clock): Promise<SpawnOutcome> {
  return new Promise((resolve) => {
    const child = spawn(launch.file, launch.args, {
      cwd,
      env: launch.env,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    // Recorded at once: a process that dies instantly must not exit before anyone listens.
    const exit = new Promise<{ code: number | null; signal: string | null }>((res) => {
      child.once('exit', (code, signal) => res({ code, signal }));
    });
    child.once('spawn', () => {
      child.on('error', () => {}); // later errors (e.g. a failed kill) are not fatal
      child.unref();
      const pid = child.pid as number;
      resolve({
        ok: true,
        // The spawn moment, not /proc's start time: /proc/stat's btime is whole seconds,
        // so that one can read up to a second early, and probes' initial_delay_seconds
        // counts from here. Adoption compares it with /proc within a tolerance.
        group: { pid, path: launch.path, startedAt: clock.now(), exit },
      });
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      const what =
        err.code === 'ENOENT' ? 'not found' : err.code === 'EACCES' ? 'is not executable' : 'could not be started';
      resolve({
        ok: false,
        message: `executable ${JSON.stringify(launch.file)} ${what} (spawn ${err.code ?? err.message})`,
      });
    });
  });
}

function readState(logDir: string): StateFile | null {
  try {
    return JSON.parse(readFileSync(join(logDir, STATE_FILE), 'utf8')) as StateFile;
  } catch {
    return null;
  }
}

function readEnviron(pid: number): Record<string, string> | null {
  try {
    const env: Record<string, string> = {};
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  } catch {
    return null;
  }
}

export function createProcessRuntime(opts: ProcessRuntimeOptions = {}): InstanceRuntime {
  const clock = opts.clock ?? createRealClock();
  const procfs = opts.procfs ?? createProcfs();
  const deps: SupervisorDeps = {
    clock,
    procfs,
    logMaxBytes: opts.logMaxBytes ?? 10 * 1024 * 1024,
    logFiles: opts.logFiles ?? 3,
    logCheckMs: opts.logCheckMs ?? 1000,
    memoryPollMs: opts.memoryPollMs ?? 1000,
    exitPollMs: opts.exitPollMs ?? 1000,
  };
  // One reservation book per machine: the local platform passes the same one to every runtime.
  const gpus = opts.gpus ?? createGpuReservations(opts.config?.gpus);

  /** Reserves GPUs first (too few → PierError UNAVAILABLE: the instance stays Pending), releases them at exit. */
  async function start(req: StartRequest): Promise<RunningInstance> {
    const reason = processUnsupportedReason(req.spec);
    if (reason) throw new PierError('RUNTIME_UNSUPPORTED', reason);
    const planned = { ...req, plan: req.plan ?? makeInstancePlan(req.spec, req.revision) };
    return gpus.startWith(req.instanceId, planned.plan.resources.gpu, (reserved) => startReserved(planned, reserved));
  }

  async function startReserved(
    req: StartRequest & { plan: InstancePlan },
    reservedGpus: string[],
  ): Promise<RunningInstance> {
    mkdirSync(req.workDir, { recursive: true });
    const port = await freePort();
    const log = (line: string) => appendPierLine(req.logDir, line);
    ensureLogDir(req.logDir);
    const prepared = await prepareProcessInstance({
      plan: req.plan,
      workDir: req.workDir,
      config: opts.config,
      clock,
      log,
    });
    const gpuEnv: Record<string, string> =
      reservedGpus.length > 0 ? { CUDA_VISIBLE_DEVICES: reservedGpus.join(',') } : {};
    const extraEnv = { ...req.extraEnv, ...(prepared.ok ? prepared.env : {}), ...gpuEnv };
    const envFor = (container: StartRequest['spec']['containers'][number]) => {
      const index = req.spec.containers.indexOf(container);
      const env = buildEnv({
        container,
        port,
        service: req.service,
        instanceId: req.instanceId,
        revision: req.revision,
        extraEnv,
        plan: req.plan.containers[index],
      });
      return prepared.ok ? prepared.withVenv(index, env) : env;
    };
    const env = envFor(req.spec.containers[servingIndex(req.spec)]);
    const base = { instanceId: req.instanceId, host: HOST, port, env, workDir: req.workDir };
    if (!prepared.ok) {
      log(prepared.message);
      return failedInstance(clock, base, prepared.message);
    }
    const launches = buildLaunches(req.spec, port, envFor);
    if (typeof launches === 'string') return failedInstance(clock, base, launches);

    const logFd = openLogForAppend(req.logDir);
    const groups: Group[] = [];
    let failure: string | undefined;
    try {
      for (const launch of launches) {
        const outcome = await spawnGroup(launch, req.workDir, logFd, clock);
        if (!outcome.ok) {
          // The serving container's failure is the instance's; a sidecar's names the container.
          failure = groups.length === 0 ? outcome.message : `${launch.path}: ${outcome.message}`;
          break;
        }
        groups.push(outcome.group);
      }
    } finally {
      closeFd(logFd);
    }
    if (failure !== undefined) {
      await killGroupsUntilGone(
        procfs,
        clock,
        groups.map((g) => g.pid),
      );
      return failedInstance(clock, base, failure);
    }

    const memoryLimitMb = req.plan.resources.memoryMb;
    const state: StateFile = {
      instanceId: req.instanceId,
      workDir: req.workDir,
      memoryLimitMb,
      ...(reservedGpus.length > 0 ? { gpus: reservedGpus } : {}),
      groups: groups.map(({ pid, path, startedAt }) => ({ pid, path, startedAt })),
    };
    writeFileSync(join(req.logDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    return superviseInstance(deps, { ...base, logDir: req.logDir, memoryLimitMb, groups });
  }

  async function adopt(record: AdoptRecord): Promise<RunningInstance | null> {
    if (!procfs.isSameProcess(record.pid, record.startedAt)) return null;
    const state = readState(record.logDir);
    const sameInstance = state?.instanceId === record.instanceId;
    const serving: Group = { pid: record.pid, path: 'containers[serving]', startedAt: record.startedAt };
    const sidecars: Group[] = [];
    for (const g of sameInstance ? (state?.groups ?? []) : []) {
      if (g.pid === record.pid) {
        serving.path = g.path;
        continue;
      }
      // A group is still ours if its leader is the same process, or the leader is gone but
      // members remain (Linux does not reuse a pid while it still names a process group).
      const leaderSame = procfs.isSameProcess(g.pid, g.startedAt);
      const leaderGone = procfs.startedAtMs(g.pid) === null;
      if (leaderSame || (leaderGone && procfs.members([g.pid]).length > 0)) sidecars.push({ ...g });
    }
    let workDir = sameInstance ? state?.workDir : undefined;
    if (!workDir) {
      try {
        workDir = readlinkSync(`/proc/${record.pid}/cwd`);
      } catch {
        workDir = process.cwd();
      }
    }
    const env = readEnviron(record.pid) ?? { ...instanceHostEnv(), PORT: String(record.port) };
    if (sameInstance && state?.gpus) gpus.claim(record.instanceId, state.gpus);
    const instance = superviseInstance(deps, {
      instanceId: record.instanceId,
      host: HOST,
      port: record.port,
      logDir: record.logDir,
      workDir,
      env,
      memoryLimitMb: sameInstance ? state?.memoryLimitMb : undefined,
      groups: [serving, ...sidecars],
    });
    gpus.releaseOnExit(record.instanceId, instance.exited);
    return instance;
  }

  return {
    kind: 'process',
    start,
    adopt,
    unsupportedReason: processUnsupportedReason,
  };
}

function closeFd(fd: number): void {
  try {
    // The children hold their own copies of the descriptor.
    closeSync(fd);
  } catch {
    // already closed
  }
}
