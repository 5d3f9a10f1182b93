/**
 * The loop around the decision (knative multiscaler): samples the gateway's counters
 * every second, decides every `interval` (2 s) per autoscaled service, applies cron
 * scale jobs, and calls `setDesired` only when the count changes. `tick()` and
 * `sample()` are one pass each, for tests; `start()` owns the timers.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { AutoscalerSpec, CronscalerSpec } from '../spec/index.js';
import { ServiceMetrics } from './collect.js';
import type { CronTz } from './cron.js';
import { type CronFire, cronTarget } from './cron-target.js';
import { decide } from './decide.js';
import {
  type DecideOptions,
  type DeciderState,
  decideOptions,
  initialDeciderState,
  type MetricsSnapshot,
  windowsFor,
} from './types.js';

/** The part of the gateway's `stats()` the autoscaler reads. */
export interface StatsLike {
  services: Record<string, { instances: Record<string, { requests: number; inflight: number }> } | undefined>;
}

export interface InstanceView {
  id: string;
  ready: boolean;
  /** Cumulative CPU seconds of the instance's process group, where the runtime can tell. */
  cpuSeconds?: number;
}

export interface ServiceView {
  name: string;
  spec: { autoscaler?: AutoscalerSpec; cronscaler?: CronscalerSpec };
  /** The desired instance count the controller holds now. */
  current: number;
  ready: number;
  /** Requests the gateway's activator holds for this service. */
  pendingRequests: number;
  /** Items in the input queue of an async service (waiting or at an instance); undefined for others. */
  backlog?: number;
}

export interface AutoscalerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface AutoscalerDeps {
  clock: Clock;
  /** Decision period; default 2000 ms. Metrics are sampled every second regardless. */
  interval?: number;
  readStats: () => StatsLike;
  readInstances: (service: string) => InstanceView[];
  services: () => ServiceView[];
  setDesired: (service: string, desired: number, reason: string) => void;
  logger?: AutoscalerLogger;
  /** Decision options (windows, policy); defaults are the Pier policy's. */
  options?: Partial<DecideOptions>;
  /** Time zone of cron schedules; default local. */
  cronTz?: CronTz;
}

export interface AutoscalerStatus {
  metrics: MetricsSnapshot;
  /** What the last evaluation asked for (undefined before the first one). */
  desired: number | undefined;
  /** The last evaluation, whether or not it changed anything. */
  lastEvaluation: { at: number; desired: number; valid: boolean; reason: string } | undefined;
  /** The last change the autoscaler made. */
  lastDecision: { at: number; desired: number; reason: string } | undefined;
  panic: boolean;
  /** The last cron job that fired, and the minimum it set while the autoscaler is on. */
  cron?: { last?: CronFire; minOverride?: number };
}

interface ServiceState {
  metrics: ServiceMetrics;
  decider: DeciderState;
  lastEvaluation?: AutoscalerStatus['lastEvaluation'];
  lastDecision?: AutoscalerStatus['lastDecision'];
  panic: boolean;
  cronCheckedAt?: number;
  cronLast?: CronFire;
  cronMin?: number;
}

const SAMPLE_MS = 1000;

export class Autoscaler {
  private readonly deps: AutoscalerDeps;
  private readonly interval: number;
  private readonly options: DecideOptions;
  private readonly states = new Map<string, ServiceState>();
  private timers: TimerHandle[] = [];

  constructor(deps: AutoscalerDeps) {
    this.deps = deps;
    this.interval = deps.interval ?? 2000;
    if (!(this.interval >= SAMPLE_MS)) throw new RangeError(`autoscaler interval ${this.interval} ms is below 1000 ms`);
    this.options = decideOptions(deps.options);
  }

  start(): void {
    if (this.timers.length > 0) return;
    const { clock } = this.deps;
    this.guard('sample', () => this.sample());
    this.timers.push(clock.setInterval(() => this.guard('sample', () => this.sample()), SAMPLE_MS));
    this.timers.push(clock.setInterval(() => this.guard('tick', () => this.tick()), this.interval));
  }

  stop(): void {
    for (const t of this.timers) this.deps.clock.clearInterval(t);
    this.timers = [];
  }

  /** Reads the gateway's counters and the instances' CPU once. */
  sample(): void {
    const at = this.deps.clock.now();
    const stats = this.deps.readStats();
    for (const svc of this.watched()) {
      const st = this.stateOf(svc.name);
      const counters = stats.services[svc.name]?.instances ?? {};
      const requests: Record<string, number> = {};
      const inflight: Record<string, number> = {};
      for (const [id, c] of Object.entries(counters)) {
        requests[id] = c.requests;
        inflight[id] = c.inflight;
      }
      const cpuSeconds: Record<string, number | undefined> = {};
      for (const inst of this.deps.readInstances(svc.name)) if (inst.ready) cpuSeconds[inst.id] = inst.cpuSeconds;
      st.metrics.sample({
        at,
        requests,
        inflight,
        cpuSeconds,
        ...(svc.backlog !== undefined ? { backlog: svc.backlog } : {}),
      });
    }
  }

  /** One decision pass over every autoscaled or cron-scaled service. */
  tick(): void {
    const now = this.deps.clock.now();
    const seen = new Set<string>();
    for (const svc of this.watched()) {
      seen.add(svc.name);
      const st = this.stateOf(svc.name);
      let current = svc.current;
      if (svc.spec.cronscaler) current = this.applyCron(svc, st, now);
      if (svc.spec.autoscaler) this.applyAutoscaler(svc, st, current, now);
    }
    for (const name of [...this.states.keys()]) if (!seen.has(name)) this.states.delete(name);
  }

  status(service: string): AutoscalerStatus | undefined {
    const st = this.states.get(service);
    if (!st) return undefined;
    const status: AutoscalerStatus = {
      metrics: st.metrics.snapshot(this.deps.clock.now(), windowsFor(this.options)),
      desired: st.lastEvaluation?.desired,
      lastEvaluation: st.lastEvaluation,
      lastDecision: st.lastDecision,
      panic: st.panic,
    };
    if (st.cronLast || st.cronMin !== undefined) status.cron = { last: st.cronLast, minOverride: st.cronMin };
    return status;
  }

  private watched(): ServiceView[] {
    return this.deps.services().filter((s) => s.spec.autoscaler || s.spec.cronscaler);
  }

  private stateOf(name: string): ServiceState {
    let st = this.states.get(name);
    if (!st) {
      const spans = windowsFor(this.options);
      st = {
        metrics: new ServiceMetrics(Math.max(spans.stableWindowMs, spans.panicWindowMs)),
        decider: initialDeciderState(),
        panic: false,
      };
      this.states.set(name, st);
    }
    return st;
  }

  /** Returns the count after the cron job (unchanged when none fired). */
  private applyCron(svc: ServiceView, st: ServiceState, now: number): number {
    const cron = svc.spec.cronscaler as CronscalerSpec;
    const fire = cronTarget(cron, now, st.cronCheckedAt ?? now - this.interval, this.deps.cronTz);
    st.cronCheckedAt = now;
    if (!fire) return svc.current;
    st.cronLast = fire;
    const job = cron.scaleJobs.find((j) => j.name === fire.name);
    const what = `cron job ${fire.name} (${job?.schedule ?? '?'})`;
    if (svc.spec.autoscaler) {
      st.cronMin = fire.targetSize;
      this.deps.logger?.info({ service: svc.name, job: fire.name, min: fire.targetSize }, `${what} sets min`);
      return svc.current;
    }
    if (fire.targetSize === svc.current) return svc.current;
    this.set(svc.name, st, fire.targetSize, `${what} → ${fire.targetSize} instance(s)`, now);
    return fire.targetSize;
  }

  private applyAutoscaler(svc: ServiceView, st: ServiceState, current: number, now: number): void {
    const metrics = st.metrics.snapshot(now, windowsFor(this.options));
    const d = decide(
      svc.spec.autoscaler as AutoscalerSpec,
      {
        current,
        ready: svc.ready,
        metrics,
        pendingRequests: svc.pendingRequests,
        ...(svc.backlog !== undefined ? { backlog: svc.backlog } : {}),
        minOverride: st.cronMin,
      },
      st.decider,
      now,
      this.options,
    );
    st.decider = d.nextState;
    st.panic = d.panic;
    st.lastEvaluation = { at: now, desired: d.desired, valid: d.valid, reason: d.reason };
    if (d.valid && d.desired !== current) this.set(svc.name, st, d.desired, d.reason, now);
  }

  private set(service: string, st: ServiceState, desired: number, reason: string, now: number): void {
    st.lastDecision = { at: now, desired, reason };
    this.deps.logger?.info({ service, desired, reason }, 'autoscaler scales');
    this.deps.setDesired(service, desired, reason);
  }

  /** A failing dependency is logged, never thrown out of a timer. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.logger?.warn({ err, what }, 'autoscaler pass failed');
    }
  }
}
