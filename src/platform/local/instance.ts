/**
 * One instance slot on the local platform, as the kubelet keeps one pod: it
 * starts the instance through the runtime, runs its probes, restarts it in place
 * with CrashLoopBackOff when it exits or fails liveness, and drains it on stop.
 * The controller decides how many slots exist; this class only keeps one alive.
 *
 * Over the usual 300 lines because the start → probe → exit → back-off → restart
 * loop and the drain are one state machine; the decisions (back-off, probe
 * counting) are pure functions elsewhere.
 */

import type { InstanceState, InstanceView } from '../../api/index.js';
import { type InstancePlan, makeInstancePlan, servingOf } from '../plan/index.js';
import type { Clock } from '../../clock.js';
import { backoffOnExit, type BackoffEntry } from './backoff.js';
import { isPierError } from '../../errors.js';
import type { Endpoint } from '../../gateway/index.js';
import type {
  InstanceHealth,
  InstanceHealthListener,
  InstanceProbeSpecs,
  ProbeKind,
  ProbeOutcome,
  ProbeTarget,
} from '../../probe/index.js';
import type { ExitInfo, InstanceRuntime, RunningInstance } from '../../runtime/index.js';
import type { ServiceSpec } from '../../spec/index.js';
import type { EventType } from '../../store/index.js';
import { probeSpecsOfPlan } from './probes.js';
import type { LocalInstanceRecord } from './records.js';

export interface InstanceProberHandle {
  start(): void;
  stop(): void;
  terminating(): void;
  health(): InstanceHealth;
}

export type CreateProber = (opts: {
  /** The serving container's probes, from the plan. */
  probes: InstanceProbeSpecs;
  /** The serving port the plan names (probes on it reach the instance's real port). */
  servingPort?: number;
  target: ProbeTarget;
  clock: Clock;
  listener: InstanceHealthListener;
  agentStartedAt: number;
  containerStartedAt: number;
  /** A re-adopted instance that was ready: start ready until a probe says otherwise. */
  restoredReady?: boolean;
}) => InstanceProberHandle;

export interface InstanceDeps {
  runtime: InstanceRuntime;
  clock: Clock;
  createProber: CreateProber;
  agentStartedAt: number;
  /** Writes an event for this instance. */
  event(type: EventType, reason: string, message: string): void;
  /** Called whenever something the controller or the gateway reads has changed. */
  changed(): void;
  /** Saves (or, with null, forgets) what a restarted Pier needs to re-adopt the process. */
  persist(record: LocalInstanceRecord | null): void;
  /** Waits until the gateway has no request in flight to this instance. */
  drain(instanceId: string, timeoutMs: number): Promise<unknown>;
}

export interface InstanceInit {
  id: string;
  service: string;
  revision: number;
  spec: ServiceSpec;
  /** What the instance runs; default: made from `spec`. */
  plan?: InstancePlan;
  logDir: string;
  workDir: string;
  extraEnv?: Record<string, string>;
  /** A process left running by an earlier Pier, to supervise instead of starting one. */
  adopted?: RunningInstance;
  /** The adopted instance's last known readiness (from the store); absent: unknown. */
  readiness?: { ready: boolean; since?: number };
  restarts?: number;
}

/** How often an instance waiting for GPUs tries again. */
const PENDING_RETRY_MS = 5000;

/** Unhealthy events for the same failure are written at most this often. */
const UNHEALTHY_EVENT_EVERY_MS = 10_000;

export class LocalInstance {
  readonly id: string;
  readonly service: string;
  private revisionNumber: number;
  readonly createdAt: number;
  private state: InstanceState = 'Pending';
  private ready = false;
  private readySince: number | undefined;
  private restarts: number;
  private running: RunningInstance | undefined;
  private prober: InstanceProberHandle | undefined;
  private backoff: BackoffEntry | undefined;
  private lastState: ExitInfo | undefined;
  private reason: string | undefined;
  private message: string | undefined;
  private terminatingFlag = false;
  private stopped: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly lastUnhealthy = new Map<string, { message: string; at: number }>();
  private loopDone: Promise<void> | undefined;
  /** Adopted without a known readiness and not probed yet: a snapshot without it may be incomplete. */
  private readinessUnknown = false;
  private plan: InstancePlan;

  constructor(
    private readonly init: InstanceInit & { spec: ServiceSpec },
    private readonly deps: InstanceDeps,
  ) {
    this.plan = init.plan ?? makeInstancePlan(init.spec, init.revision);
    this.id = init.id;
    this.service = init.service;
    this.revisionNumber = init.revision;
    this.restarts = init.restarts ?? 0;
    this.createdAt = deps.clock.now();
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  get revision(): number {
    return this.revisionNumber;
  }

  /**
   * Moves the instance to another revision that runs the same thing (only the
   * count, autoscaler, gateway limits or similar changed), without a restart.
   */
  retag(revision: number, spec: ServiceSpec, plan?: InstancePlan): void {
    this.revisionNumber = revision;
    this.init.spec = spec;
    this.plan = plan ?? makeInstancePlan(spec, revision);
    const r = this.running;
    if (r && !this.terminatingFlag) this.persistRecord(r);
    this.deps.changed();
  }

  get terminating(): boolean {
    return this.terminatingFlag;
  }

  isReady(): boolean {
    return this.ready && !this.terminatingFlag;
  }

  /** Ready continuously for at least minReadySeconds. */
  isAvailable(minReadySeconds: number): boolean {
    return (
      this.isReady() &&
      this.readySince !== undefined &&
      this.deps.clock.now() - this.readySince >= minReadySeconds * 1000
    );
  }

  /** Has a process (or is about to be given one) rather than waiting in back-off or refused. */
  isScheduled(): boolean {
    return this.state !== 'Pending' && this.state !== 'Failed';
  }

  get readySinceMs(): number | undefined {
    return this.readySince;
  }

  /** False while this instance's readiness is unknown (adopted from a record without it, no verdict yet). */
  readinessKnown(): boolean {
    return !this.readinessUnknown || this.terminatingFlag;
  }

  endpoint(): Endpoint | null {
    if (!this.isReady() || !this.running) return null;
    return { instanceId: this.id, host: this.running.host, port: this.running.port, revision: this.revision };
  }

  view(): InstanceView {
    const r = this.running;
    return {
      id: this.id,
      service: this.service,
      revision: this.revision,
      state: this.terminatingFlag ? 'Terminating' : this.state,
      ready: this.isReady(),
      restarts: this.restarts,
      address: r ? `${r.host}:${r.port}` : null,
      platform: { kind: 'local', runtime: this.runtimeKind(), ...(r?.pid !== undefined ? { pid: r.pid } : {}) },
      startedAt: r ? r.startedAt : null,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.message ? { message: this.message } : {}),
      ...(this.lastState ? { lastState: this.lastState } : {}),
      probes: this.prober?.health().last ?? {},
    };
  }

  cpuSeconds(): number | undefined {
    return this.running?.cpuSeconds();
  }

  /** Drains and stops the instance; safe to call more than once. */
  stop(reason: string): Promise<void> {
    this.stopped ??= this.stopNow(reason);
    return this.stopped;
  }

  private async stopNow(reason: string): Promise<void> {
    this.terminatingFlag = true;
    this.abort.abort();
    this.prober?.terminating();
    this.deps.changed();
    const grace = this.plan.terminationGracePeriodSeconds;
    const running = this.running;
    if (running) {
      this.deps.event('Normal', 'Killing', `Stopping instance ${this.id}: ${reason}`);
      // The gateway stopped sending new requests when the endpoint left the
      // snapshot above; let the ones in flight finish before the signal.
      await this.deps.drain(this.id, Math.max(1000, grace * 1000));
      await running.stop(grace);
    }
    await this.loopDone;
    this.prober?.stop();
    this.deps.persist(null);
    this.deps.changed();
  }

  private async loop(): Promise<void> {
    let adopted = this.init.adopted;
    while (!this.terminatingFlag) {
      let running: RunningInstance;
      try {
        this.setState('Pending');
        running =
          adopted ??
          (await this.deps.runtime.start({
            service: this.service,
            revision: this.revision,
            instanceId: this.id,
            spec: this.init.spec,
            plan: this.plan,
            logDir: this.init.logDir,
            workDir: this.init.workDir,
            extraEnv: this.init.extraEnv,
          }));
      } catch (err) {
        if (isPierError(err) && err.code === 'UNAVAILABLE') {
          // Not enough of something shared (GPUs): stay Pending and try again.
          this.state = 'Pending';
          this.reason = 'Unschedulable';
          this.message = err.message;
          if (this.lastUnhealthy.get('pending')?.message !== err.message) {
            this.lastUnhealthy.set('pending', { message: err.message, at: this.deps.clock.now() });
            this.deps.event('Warning', 'FailedScheduling', err.message);
          }
          this.deps.changed();
          try {
            await this.deps.clock.sleep(PENDING_RETRY_MS, this.abort.signal);
          } catch {
            return;
          }
          continue;
        }
        this.state = 'Failed';
        this.reason = isPierError(err) ? err.code : 'StartError';
        this.message = err instanceof Error ? err.message : String(err);
        this.deps.event('Warning', 'FailedCreate', this.message);
        this.deps.changed();
        return;
      }
      const wasAdopted = adopted !== undefined;
      adopted = undefined;
      const restoredReady = wasAdopted && this.init.readiness?.ready === true;
      this.readinessUnknown = wasAdopted && this.init.readiness === undefined;
      if (restoredReady) {
        // Routed as before the restart of Pier until readiness fails (prober restoredReady).
        this.ready = true;
        this.readySince = this.init.readiness?.since ?? this.deps.clock.now();
      }
      this.running = running;
      if (this.terminatingFlag) {
        await running.stop(this.plan.terminationGracePeriodSeconds);
        return;
      }
      this.reason = undefined;
      this.message = undefined;
      this.persistRecord(running);
      this.setState(restoredReady ? 'Running' : 'Starting');
      this.deps.event(
        'Normal',
        wasAdopted ? 'Adopted' : 'Started',
        `${wasAdopted ? 'Re-adopted' : 'Started'} instance ${this.id} (pid ${running.pid ?? '?'}, port ${running.port})`,
      );

      const exit = await this.supervise(running, restoredReady);
      this.ready = false;
      this.readySince = undefined;
      this.readinessUnknown = false;
      this.prober?.stop();
      if (this.terminatingFlag) return;

      this.lastState = exit;
      const oom = exit.reason === 'OOMKilled';
      this.deps.event(
        'Warning',
        oom ? 'OOMKilled' : exit.reason === 'StartError' ? 'Failed' : 'Exited',
        `Instance ${this.id} ${describeExit(exit)}`,
      );
      const decision = backoffOnExit(this.backoff, exit.finishedAt);
      this.backoff = decision.entry;
      const wait = Math.max(0, exit.finishedAt + decision.waitMs - this.deps.clock.now());
      if (wait > 0) {
        this.state = 'CrashLoopBackOff';
        this.reason = 'CrashLoopBackOff';
        this.message = `back-off ${Math.round(decision.waitMs / 1000)}s restarting failed instance: ${describeExit(exit)}`;
        this.deps.event(
          'Warning',
          'BackOff',
          `Back-off ${Math.round(decision.waitMs / 1000)}s restarting instance ${this.id}`,
        );
        this.deps.changed();
        try {
          await this.deps.clock.sleep(wait, this.abort.signal);
        } catch {
          return; // stopped while waiting
        }
      }
      this.restarts++;
    }
  }

  /** Runs probes until the instance exits or a liveness/startup probe asks for a kill. */
  private async supervise(running: RunningInstance, restoredReady: boolean): Promise<ExitInfo> {
    let requestKill!: (why: { kind: ProbeKind; outcome: ProbeOutcome; grace?: number }) => void;
    const killed = new Promise<{ kind: ProbeKind; outcome: ProbeOutcome; grace?: number }>((r) => {
      requestKill = r;
    });
    const serving = servingOf(this.plan);
    const listener: InstanceHealthListener = {
      readinessChanged: (ready, outcome) => {
        if (this.terminatingFlag) return;
        this.readinessUnknown = false;
        const same = this.ready === ready;
        this.ready = ready;
        if (same && ready) return; // a restored readiness confirmed: nothing changed
        if (ready) {
          this.readySince = this.deps.clock.now();
          this.setState('Running');
          this.deps.event('Normal', 'Ready', `Instance ${this.id} is ready`);
        } else {
          this.readySince = undefined;
          this.deps.event('Warning', 'NotReady', `Instance ${this.id} is not ready: ${outcome.message}`);
        }
        // Remembered, so a restarted Pier routes to this instance as this one did.
        this.persistRecord(running);
        this.deps.changed();
      },
      started: () => this.deps.changed(),
      killRequested: (kind, outcome, grace) => requestKill({ kind, outcome, grace }),
      probeFailed: (kind, outcome) => {
        // A failed probe of an instance adopted without a known readiness: it is not ready (as it started).
        if (this.readinessUnknown) {
          this.readinessUnknown = false;
          this.deps.changed();
        }
        this.unhealthy(kind, outcome);
      },
    };
    this.prober = this.deps.createProber({
      probes: probeSpecsOfPlan(serving),
      ...(serving.port !== undefined ? { servingPort: serving.port } : {}),
      target: {
        host: running.host,
        port: running.port,
        containerPort: serving.port,
        exec: (argv, timeoutMs) => running.exec(argv, timeoutMs),
      },
      clock: this.deps.clock,
      listener,
      agentStartedAt: this.deps.agentStartedAt,
      containerStartedAt: running.startedAt,
      ...(restoredReady ? { restoredReady: true } : {}),
    });
    this.prober.start();
    const first = await Promise.race([running.exited.then((exit) => ({ exit })), killed.then((kill) => ({ kill }))]);
    if ('exit' in first) return first.exit;
    const { kind, outcome, grace } = first.kill;
    this.ready = false;
    this.deps.changed();
    this.deps.event(
      'Normal',
      'Killing',
      `Instance ${this.id} failed ${kind} probe, will be restarted: ${outcome.message}`,
    );
    const exit = await running.stop(grace ?? this.plan.terminationGracePeriodSeconds);
    return {
      ...exit,
      reason: exit.reason === 'Completed' ? 'Killed' : exit.reason,
      message: `${kind} probe failed: ${outcome.message}`,
    };
  }

  private persistRecord(running: RunningInstance): void {
    this.deps.persist({
      id: this.id,
      service: this.service,
      revision: this.revisionNumber,
      runtime: this.runtimeKind(),
      pid: running.pid ?? null,
      port: running.port,
      logDir: this.init.logDir,
      startedAt: running.startedAt,
      restarts: this.restarts,
      ready: this.ready,
      ...(this.ready && this.readySince !== undefined ? { readySince: this.readySince } : {}),
    });
  }

  private runtimeKind(): 'process' | 'container' {
    return this.deps.runtime.kindFor?.(this.init.spec) ?? this.deps.runtime.kind;
  }

  private unhealthy(kind: ProbeKind, outcome: ProbeOutcome): void {
    const now = this.deps.clock.now();
    const last = this.lastUnhealthy.get(kind);
    if (last && last.message === outcome.message && now - last.at < UNHEALTHY_EVENT_EVERY_MS) return;
    this.lastUnhealthy.set(kind, { message: outcome.message, at: now });
    this.deps.event('Warning', 'Unhealthy', `${capitalize(kind)} probe failed: ${outcome.message}`);
    this.deps.changed();
  }

  private setState(state: InstanceState): void {
    if (this.state === state) return;
    this.state = state;
    this.deps.changed();
  }
}

function describeExit(exit: ExitInfo): string {
  const how =
    exit.reason === 'StartError'
      ? 'could not start'
      : exit.signal
        ? `was killed by ${exit.signal}`
        : `exited with code ${exit.exitCode ?? '?'}`;
  return exit.message ? `${how}: ${exit.message}` : how;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
