/**
 * One worker per (instance, kind), after kubelet's prober/worker.go. `step()` probes
 * once and returns keepGoing; `run()` owns the timers (injected Clock); `stop()` is
 * safe to call twice. Timing follows the kubelet's worker: ticks every period, skipped
 * until initial_delay_seconds after the start (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/).
 */

import type { Clock, TimerHandle } from '../clock.js';
import type { ProbeSpec } from '../spec/index.js';
import { type CounterState, countResult, initialCounterState } from './counter.js';
import type { ProbeFn, ProbeKind, ProbeOutcome, ProbeTarget, PublishedResult } from './types.js';

/** What each kind publishes before its first verdict (kubelet prober/worker.go newWorker): not ready, live, not started. */
export const INITIAL_PUBLISHED: Readonly<Record<ProbeKind, PublishedResult | undefined>> = {
  readiness: 'failure',
  liveness: 'success',
  startup: undefined,
};

export interface ProbeWorkerOptions {
  kind: ProbeKind;
  spec: ProbeSpec;
  target: ProbeTarget;
  clock: Clock;
  probe: ProbeFn;
  /** When the prober's host process (kubelet's "agent") started; ms epoch. */
  agentStartedAt: number;
  /** When this instance started; initial_delay_seconds counts from here. ms epoch. */
  containerStartedAt: number;
  /** Uniform in [0, 1); used for the first-probe jitter. Default Math.random. */
  random?: () => number;
  /** While this returns false the worker keeps ticking but does not probe (startup gating: liveness and readiness wait for startup). */
  gate?: () => boolean;
  /** Every counted attempt (not 'unknown'-filtered: the caller sees everything). */
  onAttempt?: (outcome: ProbeOutcome) => void;
  /** The published value changed. */
  onPublish?: (value: PublishedResult, outcome: ProbeOutcome) => void;
  /** A listener threw; probing goes on. Default: process.emitWarning. */
  onError?: (err: unknown) => void;
  /** What is published before the first verdict, instead of INITIAL_PUBLISHED (a re-adopted, known-ready instance). */
  initialPublished?: PublishedResult;
}

export class ProbeWorker {
  readonly kind: ProbeKind;
  private readonly opts: ProbeWorkerOptions;
  private counter: CounterState;
  private stopped = false;
  private running = false;
  private onHold = false;
  private jitterTimer: TimerHandle | undefined;
  private ticker: TimerHandle | undefined;
  private inFlight: Promise<void> | undefined;
  private pending = false;

  constructor(opts: ProbeWorkerOptions) {
    this.opts = opts;
    this.kind = opts.kind;
    this.counter = initialCounterState(opts.initialPublished ?? INITIAL_PUBLISHED[opts.kind]);
  }

  /** The published value: 'success', 'failure', or undefined (startup not decided yet). */
  get published(): PublishedResult | undefined {
    return this.counter.published;
  }

  /** Liveness/startup after a published failure: no more probes for this instance. */
  get holding(): boolean {
    return this.onHold;
  }

  get counterState(): CounterState {
    return this.counter;
  }

  /** Probes once if due; false when the worker should end. */
  async step(): Promise<boolean> {
    if (this.stopped || this.onHold) return false;
    const { spec, clock, kind } = this.opts;
    // Skipped while floor(seconds since start) < initial delay (kubelet truncates to whole seconds).
    if (Math.floor((clock.now() - this.opts.containerStartedAt) / 1000) < spec.initial_delay_seconds) return true;
    if (this.opts.gate && !this.opts.gate()) return true;

    let outcome: ProbeOutcome;
    try {
      outcome = await this.opts.probe(spec, this.opts.target);
    } catch (err) {
      outcome = { result: 'unknown', message: `probe error: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (this.stopped) return false; // stopped while probing: the answer is for nobody

    this.opts.onAttempt?.(outcome);
    const counted = countResult(this.counter, outcome.result, {
      successThreshold: spec.success_threshold,
      failureThreshold: spec.failure_threshold,
    });
    this.counter = counted.state;
    if (counted.published === 'failure' && kind !== 'readiness') {
      // The instance gets killed and replaced (with a new worker); hold until then (kubelet worker.go: onHold).
      this.onHold = true;
      this.counter = { ...this.counter, run: 0 };
    }
    if (counted.changed && counted.published) this.opts.onPublish?.(counted.published, outcome);
    return !this.stopped && !this.onHold;
  }

  /** Starts the loop: jitter if the agent just started, else probe at once; then every period. */
  run(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    const { clock, agentStartedAt } = this.opts;
    const periodMs = this.periodMs();
    const justStarted = clock.now() - agentStartedAt < periodMs;
    const delay = justStarted ? Math.floor((this.opts.random ?? Math.random)() * periodMs) : 0;
    if (delay > 0) this.jitterTimer = clock.setTimeout(() => this.begin(), delay);
    else this.begin();
  }

  /** Probe now (readiness right after startup succeeds), without waiting for the tick. */
  trigger(): void {
    if (!this.running || this.stopped) return;
    if (this.jitterTimer) this.begin();
    else this.tick();
  }

  /**
   * The instance is shutting down (kubelet worker.go: pod deletion): liveness and startup publish success and
   * stop, so nothing kills it during its grace period; readiness goes on.
   */
  terminate(): void {
    if (this.kind === 'readiness') return;
    if (this.stopped || this.onHold) {
      this.stop();
      return;
    }
    const before = this.counter.published;
    this.counter = { ...this.counter, published: 'success' };
    this.stop();
    if (before !== 'success') {
      this.safely(() =>
        this.opts.onPublish?.('success', {
          result: 'success',
          message: `instance is terminating; ${this.kind} probe stopped`,
        }),
      );
    }
  }

  /** Ends the loop; an answer still in flight is dropped. Safe to call twice. */
  stop(): void {
    this.stopped = true;
    this.opts.clock.clearTimeout(this.jitterTimer);
    this.opts.clock.clearInterval(this.ticker);
    this.jitterTimer = undefined;
    this.ticker = undefined;
  }

  /** Resolves when no probe is in flight (tests and benchmarks wait on it). */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private begin(): void {
    this.opts.clock.clearTimeout(this.jitterTimer);
    this.jitterTimer = undefined;
    this.ticker = this.opts.clock.setInterval(() => this.tick(), this.periodMs());
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.inFlight) {
      // Like Go's buffered ticker/trigger channels: one probe queued behind the running one.
      this.pending = true;
      return;
    }
    this.inFlight = this.step()
      .catch((err: unknown) => {
        this.safely(() => {
          throw err;
        });
        return true;
      })
      .then((keepGoing) => {
        this.inFlight = undefined;
        if (!keepGoing) this.stop();
        else if (this.pending) {
          this.pending = false;
          this.tick();
        }
      });
  }

  private periodMs(): number {
    return Math.max(1, this.opts.spec.period_seconds) * 1000;
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      const report = this.opts.onError ?? ((e: unknown) => process.emitWarning(e instanceof Error ? e : String(e)));
      report(err);
    }
  }
}
