/**
 * The container runtime: each instance is its spec's containers run by podman (or
 * docker), the serving container publishing its port on 127.0.0.1 at a free host
 * port and the sidecars joining its network namespace. Containers carry labels
 * that tie them to service/instance/revision, so a new Pier process finds them.
 */

import { mkdirSync } from 'node:fs';
import { type Clock, createRealClock } from '../../clock.js';
import { PierError } from '../../errors.js';
import { type InstancePlan, makeInstancePlan } from '../../platform/plan/index.js';
import { freePort, servingIndex } from '../command.js';
import { createGpuReservations, type GpuReservations } from '../gpu/index.js';
import { failedInstance } from '../instance.js';
import { appendPierLine, ensureLogDir } from '../logs.js';
import type { AdoptRecord, InstanceRuntime, PierRuntimeConfig, RunningInstance, StartRequest } from '../types.js';
import { redact, secretsOf } from './auth.js';
import { buildRuns, type RunContext, containerEnv, containerName, containerUnsupportedReason } from './args.js';
import { cliMessage, createEngine, type Engine, type EngineKind, engineAvailable } from './engine.js';
import { existingFollower, startFollower } from './follow.js';
import { inspectContainer, listManaged, publishedPort } from './inspect.js';
import { removeContainers, superviseContainer } from './instance.js';
import { prepareContainers } from './prepare.js';
import { ensureImage } from './pull.js';
import { type ContainerState, readState, writeState } from './state.js';

export interface ContainerRuntimeOptions {
  engine?: EngineKind;
  binary?: string;
  clock?: Clock;
  /** containers.conf for podman (CONTAINERS_CONF); default: the file shipped beside this code. */
  containersConf?: string;
  /** Size at which instance.log is rotated; default 10 MiB. */
  logMaxBytes?: number;
  logFiles?: number;
  logCheckMs?: number;
  /** Pier's configuration for prepare, storage (oss) and GPUs; see ../README.md. */
  config?: PierRuntimeConfig;
  /** The machine's GPU reservations, shared with the other runtimes; default: this runtime's own. */
  gpus?: GpuReservations;
}

export type ContainerRuntime = InstanceRuntime & {
  available(): Promise<{ ok: boolean; reason?: string }>;
  /** Removes every Pier-labelled container whose instance is not in `keep`. */
  cleanupOrphans(keep: Set<string>): Promise<void>;
};

const HOST = '127.0.0.1';
const RUN_TIMEOUT_MS = 120_000;

export function createContainerRuntime(opts: ContainerRuntimeOptions = {}): ContainerRuntime {
  const clock = opts.clock ?? createRealClock();
  const engine: Engine = createEngine({
    kind: opts.engine ?? 'podman',
    binary: opts.binary,
    containersConf: opts.containersConf,
  });
  const logOpts = {
    logMaxBytes: opts.logMaxBytes ?? 10 * 1024 * 1024,
    logFiles: opts.logFiles ?? 3,
    logCheckMs: opts.logCheckMs ?? 1000,
  };

  // One reservation book per machine: the local platform passes the same one to every runtime.
  const gpus = opts.gpus ?? createGpuReservations(opts.config?.gpus);

  /** Reserves GPUs first (too few → PierError UNAVAILABLE: the instance stays Pending), releases them at exit. */
  async function start(req: StartRequest): Promise<RunningInstance> {
    const reason = containerUnsupportedReason(req.spec);
    if (reason) throw new PierError('RUNTIME_UNSUPPORTED', reason);
    const planned = { ...req, plan: req.plan ?? makeInstancePlan(req.spec, req.revision) };
    return gpus.startWith(req.instanceId, planned.plan.resources.gpu, (reserved) => startReserved(planned, reserved));
  }

  async function startReserved(
    req: StartRequest & { plan: InstancePlan },
    reservedGpus: string[],
  ): Promise<RunningInstance> {
    ensureLogDir(req.logDir);
    mkdirSync(req.workDir, { recursive: true });
    const hostPort = await freePort();
    const serving = req.spec.containers[servingIndex(req.spec)];
    const containerPort = serving.port as number;
    let ctx: RunContext = { ...req, engine: engine.kind, hostPort, gpus: reservedGpus };
    const base = {
      instanceId: req.instanceId,
      host: HOST,
      port: hostPort,
      env: containerEnv(serving, containerPort, ctx, servingIndex(req.spec)),
      workDir: req.workDir,
    };
    const fail = (message: string) => {
      appendPierLine(req.logDir, message);
      return failedInstance(clock, base, message);
    };
    // Checked before pulling: a command that cannot be split fails at once.
    const early = buildRuns(req.spec, ctx);
    if (typeof early === 'string') return fail(early);

    // A container of the same name left by a crash before adoption would block `run`.
    await removeContainers(
      engine,
      req.spec.containers.map((_, i) => containerName(req.instanceId, i, i === servingIndex(req.spec))),
    );
    for (const image of new Set(req.spec.containers.map((c) => c.image as string))) {
      const pulled = await ensureImage(engine, image, req.spec.dockerAuth);
      if (!pulled.ok) return fail(`ImagePullBackOff: ${pulled.message}`);
    }
    const prepared = await prepareContainers({ engine, req, config: opts.config, clock });
    if (!prepared.ok) return fail(prepared.message);
    ctx = { ...ctx, mounts: prepared.mounts, pydeps: prepared.pydeps };
    const runs = buildRuns(req.spec, ctx);
    if (typeof runs === 'string') return fail(runs);

    const secrets = secretsOf(req.spec.dockerAuth);
    const ids: string[] = [];
    for (const run of runs) {
      const r = await engine.run(run.args, { timeoutMs: RUN_TIMEOUT_MS });
      const id = r.stdout.trim().split('\n').at(-1) ?? '';
      if (r.code !== 0 || !id) {
        // e.g. the entrypoint does not exist: the engine's message says so.
        await removeContainers(engine, [...ids, run.name]);
        const what = ids.length === 0 ? '' : `${run.path}: `;
        return fail(redact(`${what}${cliMessage(r)}`, secrets));
      }
      ids.push(id);
    }

    const follower = startFollower(engine, ids[0], req.logDir);
    const status = await inspectContainer(engine, ids[0]);
    const state: ContainerState = {
      instanceId: req.instanceId,
      engine: engine.kind,
      containers: runs.map((r, i) => ({ path: r.path, name: r.name, id: ids[i] })),
      containerPort,
      hostPort,
      memoryLimitMb: req.spec.metadata.memory,
      followerPid: follower.pid,
      ...(reservedGpus.length > 0 ? { gpus: reservedGpus } : {}),
    };
    writeState(req.logDir, state);
    return superviseContainer({
      engine,
      clock,
      ...logOpts,
      instanceId: req.instanceId,
      host: HOST,
      port: hostPort,
      logDir: req.logDir,
      containerIds: ids,
      pid: status?.pid ?? 0,
      startedAt: status?.startedAt || clock.now(),
      memoryLimitMb: req.spec.metadata.memory,
      follower,
    });
  }

  async function adopt(record: AdoptRecord): Promise<RunningInstance | null> {
    const found = await listManaged(engine, record.instanceId);
    if (!found || found.length === 0) return null;
    const serving = found.find((c) => c.port !== undefined);
    if (!serving?.running) {
      await removeContainers(
        engine,
        found.map((c) => c.id),
      );
      return null;
    }
    const state = readState(record.logDir);
    const sameInstance = state?.instanceId === record.instanceId;
    const hostPort = (await publishedPort(engine, serving.id, serving.port as number)) ?? record.port;
    const status = await inspectContainer(engine, serving.id);
    if (!status?.running) return null;
    const sidecars = found.filter((c) => c !== serving).sort((a, b) => a.index - b.index);
    const follower =
      existingFollower(sameInstance ? state?.followerPid : undefined, serving.id) ??
      startFollower(engine, serving.id, record.logDir, Math.floor(clock.now() / 1000));
    if (sameInstance && state) writeState(record.logDir, { ...state, followerPid: follower.pid });
    if (sameInstance && state?.gpus) gpus.claim(record.instanceId, state.gpus);
    const instance = superviseContainer({
      engine,
      clock,
      ...logOpts,
      instanceId: record.instanceId,
      host: HOST,
      port: hostPort,
      logDir: record.logDir,
      containerIds: [serving.id, ...sidecars.map((c) => c.id)],
      pid: status.pid,
      startedAt: status.startedAt || record.startedAt,
      memoryLimitMb: sameInstance ? state?.memoryLimitMb : undefined,
      follower,
    });
    gpus.releaseOnExit(record.instanceId, instance.exited);
    return instance;
  }

  async function cleanupOrphans(keep: Set<string>): Promise<void> {
    const found = await listManaged(engine);
    if (!found) return;
    await removeContainers(
      engine,
      found.filter((c) => !keep.has(c.instanceId)).map((c) => c.id),
    );
  }

  return {
    kind: 'container',
    start,
    adopt,
    unsupportedReason: containerUnsupportedReason,
    available: () => engineAvailable(engine),
    cleanupOrphans,
  };
}
