import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CellHistogram, type HistogramSeries } from './cell-histogram.js';
import type { EndpointSnapshot } from './types.js';

const REQUEST_LABELS = ['service', 'instance', 'code'] as const;
const INFLIGHT_LABELS = ['service', 'instance'] as const;
const BYTES_LABELS = ['service', 'direction'] as const;
const GROUP_LABELS = ['group', 'service', 'code'] as const;
const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** Methods get their own label value; anything else is "other", so a client cannot grow the series. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Something else that counts answered requests (src/history). */
export interface RequestObserver {
  record(service: string, status: number, seconds: number): void;
}

/** Rare outcomes counted per service, as Envoy's upstream_rq_retry / upstream_cx_connect_fail / upstream_rq_timeout do. */
export type GatewayOutcome = 'retry' | 'connect_error' | 'reset' | 'timeout' | 'rate_limited' | 'queue_full' | 'hold';

/** One series' running value, kept as a plain number and handed to prom-client on scrape. */
interface Cell {
  labels: string[];
  value: number;
}

/**
 * The gateway's Prometheus series. Counters and the in-flight gauge are plain
 * numbers per label set (nested maps, no key strings, no prom-client label hashing
 * per request), copied into prom-client when the registry is scraped (`collect`);
 * the duration histogram observes through cached children.
 *
 * An instance's series are deleted once it has left the endpoint snapshot and
 * has nothing in flight: instance ids change with every rollout and restart,
 * and series that outlive their instance grow without bound (Prometheus'
 * "Use labels" guidance: keep cardinality bounded).
 */
export class GatewayMetrics {
  private readonly duration: CellHistogram;
  private readonly retries: Counter<'service'>;
  private readonly upstreamErrors: Counter<'service' | 'kind'>;
  private readonly rejected: Counter<'service' | 'reason'>;
  private readonly holds: Counter<'service'>;
  private readonly requestCells = new Map<string, Map<string, Map<number, Cell>>>();
  private readonly inflightCells = new Map<string, Map<string, Cell>>();
  private readonly byteCells = new Map<string, [Cell, Cell]>();
  /** Requests through a group endpoint: group → member ('' when none took it) → code. */
  private readonly groupCells = new Map<string, Map<string, Map<number, Cell>>>();
  private readonly hist = new Map<string, Map<string, HistogramSeries[]>>();
  private live: EndpointSnapshot | undefined;
  private readonly queueWaitHist: Histogram<'service'>;
  private readonly waitChildren = new Map<string, { observe(v: number): void }>();

  constructor(
    registry: Registry,
    /** Also told of every answered request (the console's history); optional. */
    private readonly observer?: RequestObserver,
    /** Gauges read at scrape time: requests the activator holds and requests in instances' queues, per service. */
    sources: { pending?: () => Record<string, number>; queued?: () => Record<string, number> } = {},
  ) {
    const { pending, queued } = sources;
    const self = this;
    new Counter({
      name: 'pier_gateway_requests_total',
      help: 'Requests answered by the gateway, by service, instance and status code.',
      labelNames: REQUEST_LABELS,
      registers: [registry],
      collect() {
        self.prune();
        this.reset();
        for (const byInstance of self.requestCells.values()) {
          for (const byCode of byInstance.values())
            for (const c of byCode.values()) this.inc(labelsOf(REQUEST_LABELS, c), c.value);
        }
      },
    });
    new Gauge({
      name: 'pier_gateway_inflight_requests',
      help: 'Requests in flight (running or queued) per instance.',
      labelNames: INFLIGHT_LABELS,
      registers: [registry],
      collect() {
        self.prune();
        this.reset();
        for (const byInstance of self.inflightCells.values()) {
          for (const c of byInstance.values()) this.set(labelsOf(INFLIGHT_LABELS, c), c.value);
        }
      },
    });
    this.duration = new CellHistogram(
      'pier_gateway_request_duration_seconds',
      'Time from request arrival to the end of the answer, by service, method and status class.',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registry,
    );
    new Counter({
      name: 'pier_gateway_bytes_total',
      help: 'Body bytes through the gateway (direction in = from clients, out = to clients).',
      labelNames: BYTES_LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const pair of self.byteCells.values()) {
          for (const c of pair) if (c.value > 0) this.inc(labelsOf(BYTES_LABELS, c), c.value);
        }
      },
    });
    new Counter({
      name: 'pier_gateway_group_requests_total',
      help: 'Requests to a group endpoint, by group, the member that took it (empty when none could) and status code.',
      labelNames: GROUP_LABELS,
      registers: [registry],
      collect() {
        self.prune();
        this.reset();
        for (const byMember of self.groupCells.values()) {
          for (const byCode of byMember.values())
            for (const c of byCode.values()) this.inc(labelsOf(GROUP_LABELS, c), c.value);
        }
      },
    });
    this.retries = new Counter({
      name: 'pier_gateway_retries_total',
      help: 'Requests sent again to another instance after a refused connect or a stale keep-alive socket.',
      labelNames: ['service'],
      registers: [registry],
    });
    this.upstreamErrors = new Counter({
      name: 'pier_gateway_upstream_errors_total',
      help: 'Upstream failures: kind=connect (refused/unreachable), reset (closed without an answer), timeout (rpc.keepalive passed).',
      labelNames: ['service', 'kind'],
      registers: [registry],
    });
    this.rejected = new Counter({
      name: 'pier_gateway_rejected_total',
      help: 'Requests answered by the gateway itself: reason=rate_limited (429) or queue_full (450).',
      labelNames: ['service', 'reason'],
      registers: [registry],
    });
    this.holds = new Counter({
      name: 'pier_gateway_activator_holds_total',
      help: 'Requests held for a service scaled to zero until an instance is ready.',
      labelNames: ['service'],
      registers: [registry],
    });
    new Gauge({
      name: 'pier_gateway_queued_requests',
      help: "Requests waiting for a worker slot in the service's instances' queues (rpc.max_queue_size).",
      labelNames: ['service'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [service, n] of Object.entries(queued?.() ?? {})) this.set({ service }, n);
      },
    });
    this.queueWaitHist = new Histogram({
      name: 'pier_gateway_queue_wait_seconds',
      help: 'How long queued requests waited for a worker slot (rpc.worker_threads) before being sent.',
      labelNames: ['service'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers: [registry],
    });
    new Gauge({
      name: 'pier_gateway_activator_pending_requests',
      help: 'Requests the activator holds now.',
      labelNames: ['service'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [service, n] of Object.entries(pending?.() ?? {})) this.set({ service }, n);
      },
    });
  }

  /** A queued request got a worker slot after `seconds` (Knative queue-proxy's queue wait). */
  queueWait(service: string, seconds: number): void {
    let h = this.waitChildren.get(service);
    if (!h) {
      h = this.queueWaitHist.labels(service);
      this.waitChildren.set(service, h);
    }
    h.observe(seconds);
  }

  inflightInc(service: string, instance: string): void {
    this.gauge(service, instance).value++;
  }

  inflightDec(service: string, instance: string): void {
    this.gauge(service, instance).value--;
  }

  count(service: string, outcome: GatewayOutcome): void {
    if (outcome === 'retry') this.retries.inc({ service });
    else if (outcome === 'hold') this.holds.inc({ service });
    else if (outcome === 'rate_limited' || outcome === 'queue_full') this.rejected.inc({ service, reason: outcome });
    else this.upstreamErrors.inc({ service, kind: outcome === 'connect_error' ? 'connect' : outcome });
  }

  /** The endpoints now: series of instances not in it are deleted once nothing is in flight to them. */
  retain(snapshot: EndpointSnapshot): void {
    this.live = snapshot;
    this.prune();
  }

  done(
    service: string,
    instance: string,
    code: number,
    seconds: number,
    bytesIn: number,
    bytesOut: number,
    method = 'POST',
  ): void {
    let byInstance = this.requestCells.get(service);
    if (!byInstance) {
      byInstance = new Map();
      this.requestCells.set(service, byInstance);
    }
    let byCode = byInstance.get(instance);
    if (!byCode) {
      byCode = new Map();
      byInstance.set(instance, byCode);
    }
    let cell = byCode.get(code);
    if (!cell) {
      cell = { labels: [service, instance, String(code)], value: 0 };
      byCode.set(code, cell);
    }
    cell.value++;
    this.histogram(service, method, code).observe(seconds);
    this.observer?.record(service, code, seconds);
    if (bytesIn > 0 || bytesOut > 0) {
      let pair = this.byteCells.get(service);
      if (!pair) {
        pair = [
          { labels: [service, 'in'], value: 0 },
          { labels: [service, 'out'], value: 0 },
        ];
        this.byteCells.set(service, pair);
      }
      pair[0].value += bytesIn;
      pair[1].value += bytesOut;
    }
  }

  /** A request to a group endpoint ended; `service` is the member that took it ('' when none). */
  groupDone(group: string, service: string, code: number): void {
    let byMember = this.groupCells.get(group);
    if (!byMember) {
      byMember = new Map();
      this.groupCells.set(group, byMember);
    }
    let byCode = byMember.get(service);
    if (!byCode) {
      byCode = new Map();
      byMember.set(service, byCode);
    }
    let cell = byCode.get(code);
    if (!cell) {
      cell = { labels: [group, service, String(code)], value: 0 };
      byCode.set(code, cell);
    }
    cell.value++;
  }

  /** Requests per group and member so far (every status), for `pier group desc` and the console. */
  groupCounts(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [group, byMember] of this.groupCells) {
      const row: Record<string, number> = {};
      for (const [member, byCode] of byMember) {
        let n = 0;
        for (const c of byCode.values()) n += c.value;
        row[member] = n;
      }
      out[group] = row;
    }
    return out;
  }

  private histogram(service: string, method: string, code: number): HistogramSeries {
    const m = METHODS.has(method) ? method : 'other';
    const k = Math.min(4, Math.max(0, Math.floor(code / 100) - 1));
    let byMethod = this.hist.get(service);
    if (!byMethod) {
      byMethod = new Map();
      this.hist.set(service, byMethod);
    }
    let children = byMethod.get(m);
    if (!children) {
      children = CLASSES.map((c) => this.duration.child({ service, method: m, class: c }));
      byMethod.set(m, children);
    }
    return children[k]!;
  }

  private prune(): void {
    const snapshot = this.live;
    if (!snapshot) return;
    const isLive = (service: string, instance: string) =>
      instance === '' || snapshot.services[service]?.endpoints.some((e) => e.instanceId === instance) === true;
    for (const [service, byInstance] of this.inflightCells) {
      for (const [instance, cell] of byInstance) {
        if (cell.value === 0 && !isLive(service, instance)) byInstance.delete(instance);
      }
    }
    // A group's series go with the group; a member's when it leaves the group.
    for (const [group, byMember] of this.groupCells) {
      const route = snapshot.groups?.[group];
      if (!route) this.groupCells.delete(group);
      else
        for (const m of byMember.keys())
          if (m !== '' && !route.members.some((x) => x.service === m)) byMember.delete(m);
    }
    for (const [service, byInstance] of this.requestCells) {
      for (const instance of byInstance.keys()) {
        if (!isLive(service, instance) && !this.inflightCells.get(service)?.has(instance)) byInstance.delete(instance);
      }
    }
  }

  private gauge(service: string, instance: string): Cell {
    let byInstance = this.inflightCells.get(service);
    if (!byInstance) {
      byInstance = new Map();
      this.inflightCells.set(service, byInstance);
    }
    let cell = byInstance.get(instance);
    if (!cell) {
      cell = { labels: [service, instance], value: 0 };
      byInstance.set(instance, cell);
    }
    return cell;
  }
}

/** prom-client wants a label object; built only at scrape time. */
function labelsOf(names: readonly string[], cell: Cell): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) out[names[i]!] = cell.labels[i]!;
  return out;
}
