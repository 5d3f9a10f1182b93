/**
 * All probes of one instance (kubelet's prober_manager for one pod): one worker per
 * configured kind, startup gating (liveness and readiness wait until startup succeeds),
 * and the published health.
 */

import type { Clock } from '../clock.js';
import type { InstanceProbeSpecs } from './defaults.js';
import { DEFAULT_USER_AGENT_VERSION } from './http.js';
import { runProbe } from './run.js';
import type {
  InstanceHealth,
  InstanceHealthListener,
  ProbeFn,
  ProbeKind,
  ProbeOutcome,
  ProbeTarget,
  PublishedResult,
} from './types.js';
import { ProbeWorker } from './worker.js';

export interface InstanceProberOptions {
  /** What to probe, per kind: the local platform's plan, or `probeSpecsFor(container, port)`. */
  probes: InstanceProbeSpecs;
  /** The serving port the spec names: a probe on it reaches the instance's real port (resolvePort). */
  servingPort?: number;
  target: ProbeTarget;
  clock: Clock;
  listener: InstanceHealthListener;
  /** When this Pier process started (ms epoch): workers started within one period of it jitter their first probe. */
  agentStartedAt: number;
  /** When the instance started (ms epoch): initial delays count from here. */
  containerStartedAt: number;
  random?: () => number;
  userAgentVersion?: string;
  /** Replaces runProbe (tests, benchmarks). */
  probe?: ProbeFn;
  /**
   * The instance was ready when an earlier Pier process last probed it (a
   * re-adopted instance): it starts started and ready, and stays ready until
   * readiness fails `failure_threshold` times, so a restart of the control plane
   * does not take it out of the endpoints (issue 12). Startup is not probed again.
   */
  restoredReady?: boolean;
}

export interface InstanceProber {
  start(): void;
  stop(): void;
  /** The instance is being stopped: liveness and startup stop (no kill during shutdown); readiness goes on. */
  terminating(): void;
  health(): InstanceHealth;
}

const KINDS: ProbeKind[] = ['startup', 'liveness', 'readiness'];

export function createInstanceProber(opts: InstanceProberOptions): InstanceProber {
  const { target, clock, listener } = opts;
  const specs = opts.probes;
  const probe: ProbeFn =
    opts.probe ??
    ((spec, t) =>
      runProbe(spec, t, {
        userAgentVersion: opts.userAgentVersion ?? DEFAULT_USER_AGENT_VERSION,
        ...(opts.servingPort !== undefined ? { servingPort: opts.servingPort } : {}),
      }));
  const restored = opts.restoredReady === true;
  const health: InstanceHealth = { started: restored, ready: restored, live: true, last: {} };
  const workers = new Map<ProbeKind, ProbeWorker>();
  let phase: 'new' | 'running' | 'terminating' | 'stopped' = 'new';

  const markStarted = () => {
    health.started = true;
    listener.started();
  };

  const onPublish = (kind: ProbeKind, value: PublishedResult, outcome: ProbeOutcome) => {
    if (kind === 'readiness') {
      health.ready = value === 'success';
      listener.readinessChanged(health.ready, outcome);
      return;
    }
    if (value === 'failure') {
      if (kind === 'liveness') health.live = false;
      listener.killRequested(kind, outcome, specs[kind]?.termination_grace_period_seconds);
      return;
    }
    if (kind === 'liveness') {
      health.live = true;
      return;
    }
    // Startup succeeded. During shutdown startup only stops: starting readiness then would be pointless.
    workers.get('startup')?.stop();
    if (phase !== 'running') return;
    markStarted();
    workers.get('readiness')?.trigger();
  };

  for (const kind of KINDS) {
    const spec = specs[kind];
    if (!spec || (restored && kind === 'startup')) continue;
    workers.set(
      kind,
      new ProbeWorker({
        kind,
        spec,
        target,
        clock,
        probe,
        agentStartedAt: opts.agentStartedAt,
        containerStartedAt: opts.containerStartedAt,
        random: opts.random,
        ...(restored && kind === 'readiness' ? { initialPublished: 'success' as const } : {}),
        gate: kind === 'startup' ? undefined : () => health.started,
        onAttempt: (outcome) => {
          health.last[kind] = { ...outcome, at: clock.now() };
          if (outcome.result === 'failure') listener.probeFailed(kind, outcome);
        },
        onPublish: (value, outcome) => onPublish(kind, value, outcome),
      }),
    );
  }

  return {
    start() {
      if (phase !== 'new') return;
      phase = 'running';
      if (!workers.has('startup')) markStarted();
      for (const worker of workers.values()) worker.run();
    },
    stop() {
      phase = 'stopped';
      for (const worker of workers.values()) worker.stop();
    },
    terminating() {
      if (phase !== 'running') return;
      phase = 'terminating';
      workers.get('liveness')?.terminate();
      workers.get('startup')?.terminate();
    },
    health() {
      return { ...health, last: { ...health.last } };
    },
  };
}
