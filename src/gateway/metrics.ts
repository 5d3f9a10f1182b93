import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The gateway's Prometheus series; children are cached so a request allocates little. */
export class GatewayMetrics {
  private readonly requests: Counter<'service' | 'instance' | 'code'>;
  private readonly inflight: Gauge<'service' | 'instance'>;
  private readonly duration: Histogram<'service'>;
  private readonly bytes: Counter<'service' | 'direction'>;
  private readonly cache = new Map<string, { inc(v?: number): void }>();
  private readonly gauges = new Map<string, { inc(): void; dec(): void }>();
  private readonly hist = new Map<string, { observe(v: number): void }>();

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'pier_gateway_requests_total',
      help: 'Requests answered by the gateway, by service, instance and status code.',
      labelNames: ['service', 'instance', 'code'],
      registers: [registry],
    });
    this.inflight = new Gauge({
      name: 'pier_gateway_inflight_requests',
      help: 'Requests in flight (running or queued) per instance.',
      labelNames: ['service', 'instance'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'pier_gateway_request_duration_seconds',
      help: 'Time from request arrival to the end of the answer.',
      labelNames: ['service'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.bytes = new Counter({
      name: 'pier_gateway_bytes_total',
      help: 'Body bytes through the gateway (direction in = from clients, out = to clients).',
      labelNames: ['service', 'direction'],
      registers: [registry],
    });
  }

  inflightInc(service: string, instance: string): void {
    this.gauge(service, instance).inc();
  }

  inflightDec(service: string, instance: string): void {
    this.gauge(service, instance).dec();
  }

  done(service: string, instance: string, code: number, seconds: number, bytesIn: number, bytesOut: number): void {
    const key = service + '\n' + instance + '\n' + code;
    let c = this.cache.get(key);
    if (!c) {
      c = this.requests.labels(service, instance, String(code));
      this.cache.set(key, c);
    }
    c.inc();
    let h = this.hist.get(service);
    if (!h) {
      h = this.duration.labels(service);
      this.hist.set(service, h);
    }
    h.observe(seconds);
    if (bytesIn > 0) this.counter(service, 'in').inc(bytesIn);
    if (bytesOut > 0) this.counter(service, 'out').inc(bytesOut);
  }

  private counter(service: string, direction: string): { inc(v?: number): void } {
    const key = service + '\n\n' + direction;
    let c = this.cache.get(key);
    if (!c) {
      c = this.bytes.labels(service, direction);
      this.cache.set(key, c);
    }
    return c;
  }

  private gauge(service: string, instance: string): { inc(): void; dec(): void } {
    const key = service + '\n' + instance;
    let g = this.gauges.get(key);
    if (!g) {
      g = this.inflight.labels(service, instance);
      this.gauges.set(key, g);
    }
    return g;
  }
}
