/**
 * Turns the gateway's cumulative per-instance counters and the runtime's CPU seconds
 * into per-second service metrics, kept in 1 s windows. Instances come and go and
 * counters restart with them; a rate is never negative.
 */
import type { MetricsSnapshot, WindowSpans } from './types.js';
import { MetricWindow } from './window.js';

export interface SampleInput {
  at: number;
  /** Cumulative requests per instance, as the gateway counts them. */
  requests: Record<string, number>;
  /** In-flight requests per instance right now. */
  inflight: Record<string, number>;
  /** Cumulative CPU seconds per ready instance (undefined where the runtime cannot tell). */
  cpuSeconds: Record<string, number | undefined>;
  /** Optional GPU utilization % per instance. */
  gpu?: Record<string, number | undefined>;
  /** Items in the input queue of an async service now. */
  backlog?: number;
}

interface Previous {
  requests?: number;
  cpuSeconds?: number;
  cpuAt?: number;
}

export class ServiceMetrics {
  private readonly qps: MetricWindow;
  private readonly concurrency: MetricWindow;
  private readonly cpu: MetricWindow;
  private readonly gpu: MetricWindow;
  /**
   * A queue's length is a level of outstanding work, not a rate: the last sample is the
   * metric in both windows (as the HPA reads an external metric's current value), so a
   * drained queue lets the count fall at once (the scale-down window still holds it).
   */
  private backlog: number | undefined;
  private previous = new Map<string, Previous>();
  private lastAt: number | undefined;
  /** Instances that gave a CPU reading in the last sample that had any. */
  private cpuInstances = 0;
  private lastRequestAt: number | undefined;
  private dataSince: number | undefined;

  /** `spanMs` is the longest window the snapshot will ask for (the stable window). */
  constructor(spanMs = 60_000) {
    this.qps = new MetricWindow(spanMs);
    this.concurrency = new MetricWindow(spanMs);
    this.cpu = new MetricWindow(spanMs);
    this.gpu = new MetricWindow(spanMs);
  }

  sample(input: SampleInput): void {
    const { at } = input;
    if (this.lastAt !== undefined && at <= this.lastAt) return; // out of order or twice in the same instant
    const first = this.lastAt === undefined;
    const seconds = first ? 0 : (at - (this.lastAt as number)) / 1000;
    const next = new Map<string, Previous>();

    let delta = 0;
    for (const [id, count] of Object.entries(input.requests)) {
      const before = this.previous.get(id)?.requests;
      // A new instance's counter started at zero since the last sample; a smaller
      // value than before means the counter restarted. Either way count what it shows.
      if (!first) delta += before === undefined || count < before ? count : count - before;
      next.set(id, { requests: count });
    }

    let inflight = 0;
    for (const n of Object.values(input.inflight)) inflight += Math.max(0, n);

    const cpus: number[] = [];
    for (const [id, cpuSeconds] of Object.entries(input.cpuSeconds)) {
      if (cpuSeconds === undefined) continue;
      const prev = this.previous.get(id);
      const entry = next.get(id) ?? {};
      entry.cpuSeconds = cpuSeconds;
      entry.cpuAt = at;
      next.set(id, entry);
      if (prev?.cpuSeconds === undefined || prev.cpuAt === undefined) continue;
      const used = cpuSeconds - prev.cpuSeconds;
      if (used < 0) continue; // the process restarted: this sample is the new baseline
      cpus.push((used / ((at - prev.cpuAt) / 1000)) * 100);
    }

    this.previous = next;
    this.lastAt = at;
    this.dataSince ??= at;
    // Queue items are requests too: a service is idle only once its input queue is empty.
    const backlog = input.backlog;
    if (delta > 0 || inflight > 0 || (backlog ?? 0) > 0) this.lastRequestAt = at;
    if (backlog !== undefined) this.backlog = Math.max(0, backlog);

    if (!first) this.qps.record(seconds > 0 ? delta / seconds : 0, at);
    this.concurrency.record(inflight, at);
    // The window keeps the total CPU of the service, and the snapshot divides it by the
    // instances there are now: a mean per instance averaged across a scale-up would
    // mix the old load per instance with the new count and overshoot.
    if (cpus.length > 0) {
      this.cpu.record(
        cpus.reduce((a, b) => a + b, 0),
        at,
      );
      this.cpuInstances = cpus.length;
    }
    const gpus = Object.values(input.gpu ?? {}).filter((v): v is number => v !== undefined);
    if (gpus.length > 0) this.gpu.record(mean(gpus), at);
  }

  snapshot(now: number, spans: WindowSpans): MetricsSnapshot {
    const over = (spanMs: number) =>
      dropUndefined({
        qps: this.qps.average(spanMs, now),
        concurrency: this.concurrency.average(spanMs, now),
        cpu: perInstance(this.cpu.average(spanMs, now), this.cpuInstances),
        gpu: this.gpu.average(spanMs, now),
        backlog: this.backlog,
      });
    return dropUndefined({
      stable: over(spans.stableWindowMs),
      panic: over(spans.panicWindowMs),
      lastRequestAt: this.lastRequestAt,
      dataSince: this.dataSince,
    }) as MetricsSnapshot;
  }
}

function perInstance(total: number | undefined, instances: number): number | undefined {
  return total === undefined || instances === 0 ? undefined : total / instances;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
