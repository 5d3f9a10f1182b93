import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const REQUEST_LABELS = ['service', 'instance', 'code'] as const;
const INFLIGHT_LABELS = ['service', 'instance'] as const;
const BYTES_LABELS = ['service', 'direction'] as const;

/** Something else that counts answered requests (src/history). */
export interface RequestObserver {
  record(service: string, status: number, seconds: number): void;
}

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
 */
export class GatewayMetrics {
  private readonly duration: Histogram<'service'>;
  private readonly requestCells = new Map<string, Map<string, Map<number, Cell>>>();
  private readonly inflightCells = new Map<string, Map<string, Cell>>();
  private readonly byteCells = new Map<string, [Cell, Cell]>();
  private readonly hist = new Map<string, { observe(v: number): void }>();

  constructor(
    registry: Registry,
    /** Also told of every answered request (the console's history); optional. */
    private readonly observer?: RequestObserver,
  ) {
    const requestCells = this.requestCells;
    const inflightCells = this.inflightCells;
    const byteCells = this.byteCells;
    new Counter({
      name: 'pier_gateway_requests_total',
      help: 'Requests answered by the gateway, by service, instance and status code.',
      labelNames: REQUEST_LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const byInstance of requestCells.values()) {
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
        for (const byInstance of inflightCells.values()) {
          for (const c of byInstance.values()) this.set(labelsOf(INFLIGHT_LABELS, c), c.value);
        }
      },
    });
    this.duration = new Histogram({
      name: 'pier_gateway_request_duration_seconds',
      help: 'Time from request arrival to the end of the answer.',
      labelNames: ['service'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    new Counter({
      name: 'pier_gateway_bytes_total',
      help: 'Body bytes through the gateway (direction in = from clients, out = to clients).',
      labelNames: BYTES_LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const pair of byteCells.values()) {
          for (const c of pair) if (c.value > 0) this.inc(labelsOf(BYTES_LABELS, c), c.value);
        }
      },
    });
  }

  inflightInc(service: string, instance: string): void {
    this.gauge(service, instance).value++;
  }

  inflightDec(service: string, instance: string): void {
    this.gauge(service, instance).value--;
  }

  done(service: string, instance: string, code: number, seconds: number, bytesIn: number, bytesOut: number): void {
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
    let h = this.hist.get(service);
    if (!h) {
      h = this.duration.labels(service);
      this.hist.set(service, h);
    }
    h.observe(seconds);
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
