/**
 * Feeds an async service's ready instances from its input queue, as the EAS
 * framework does: each instance is a consumer whose window is its concurrency
 * (`rpc.worker_threads`); an item is POSTed to the instance (`rpc.proxy_path`)
 * with its tags as headers; the answer goes to the sink with `requestId` (and
 * `lastCode`/`lastMessage` when the status is not 200) in the same transaction
 * that commits the input item. A call that fails before an answer gives the
 * item back for another instance, until `maxDelivery` deliveries, after which
 * it goes to the sink as failed. A full sink stops consumption. An instance
 * that leaves the snapshot (drain, rollout, scale-down) takes no new items and
 * finishes the ones it has.
 */

import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { Clock, TimerHandle } from '../clock.js';
import type { AsyncRoute, Endpoint, ServiceRoute } from '../gateway/index.js';
import type { Consumer, Queue } from './queue.js';
import type { QueueItem } from './types.js';

/** How long an instance that refused or dropped a call gets no new items. */
const BACKOFF_MS = 1000;
/** Longest time one item may take at an instance. */
const CALL_TIMEOUT_MS = 600_000;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const SKIP_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
  'authorization',
]);

export class Dispatcher {
  private readonly workers = new Map<string, InstanceWorker>();
  private readonly draining = new Set<InstanceWorker>();
  private readonly agent = new Agent({
    headersTimeout: CALL_TIMEOUT_MS,
    bodyTimeout: CALL_TIMEOUT_MS,
    connections: 64,
  });
  private route: AsyncRoute;
  private window: number;
  private readonly unsubscribeSink: () => void;
  private retry: TimerHandle | undefined;

  constructor(
    readonly service: string,
    private readonly source: Queue,
    private readonly sink: Queue,
    readonly clock: Clock,
    private readonly logger: Logger,
    svc: ServiceRoute,
  ) {
    this.route = svc.queue!;
    this.window = svc.rpc.worker_threads;
    this.unsubscribeSink = sink.onChange(() => source.pump());
  }

  sync(svc: ServiceRoute): void {
    if (svc.queue) this.route = svc.queue;
    this.window = svc.rpc.worker_threads;
    const live = new Set(svc.endpoints.map((e) => e.instanceId));
    for (const [id, w] of this.workers) {
      if (live.has(id)) continue;
      this.workers.delete(id);
      this.source.unsubscribe(w, true);
      w.stop();
      if (w.inflight > 0) this.draining.add(w);
    }
    for (const e of svc.endpoints) {
      if (this.workers.has(e.instanceId)) continue;
      const w = new InstanceWorker(this, e);
      this.workers.set(e.instanceId, w);
      this.source.subscribe(w);
    }
    this.source.pump();
  }

  /** Resolves true once no item is in flight to `instanceId`, false after `timeoutMs`. */
  async waitForIdle(instanceId: string, timeoutMs: number): Promise<boolean> {
    const find = () =>
      [...this.draining, ...this.workers.values()].find((w) => w.endpoint.instanceId === instanceId && w.inflight > 0);
    const deadline = this.clock.now() + timeoutMs;
    // Each wait ends when the worker settles a call or at the deadline.
    for (let w = find(); w; w = find()) {
      const left = deadline - this.clock.now();
      if (left <= 0) return false;
      await w.settled(left);
    }
    return true;
  }

  consumers(): number {
    return this.workers.size;
  }

  close(): void {
    for (const w of this.workers.values()) {
      this.source.unsubscribe(w);
      w.stop();
    }
    this.workers.clear();
    this.unsubscribeSink();
    this.clock.clearTimeout(this.retry);
    void this.agent.close();
  }

  /** One call to an instance; settles the item whatever happens. */
  async call(w: InstanceWorker, item: QueueItem): Promise<void> {
    const { host, port } = w.endpoint;
    const requestId = item.tags.requestId ?? '';
    const headers: Record<string, string> = { 'x-eas-queueservice-request-id': requestId };
    for (const [k, v] of Object.entries(item.tags)) {
      if (TOKEN.test(k) && !SKIP_HEADERS.has(k.toLowerCase()) && !/[\r\n\0]/.test(v)) headers[k] = v;
    }
    let status: number;
    let body: Buffer;
    try {
      const res = await request(`http://${host.includes(':') ? `[${host}]` : host}:${port}${this.route.proxyPath}`, {
        method: 'POST',
        headers,
        body: item.data,
        dispatcher: this.agent,
      });
      status = res.statusCode;
      body = Buffer.from(await res.body.arrayBuffer());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      const refused = code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT';
      w.backoff();
      this.failed(item, refused, `${code || 'error'}: ${(err as Error).message}`);
      return;
    }
    const tags: Record<string, string> = { requestId };
    if (status !== 200) {
      tags.lastCode = String(status);
      tags.lastMessage = (body.toString('utf8').slice(0, 256) || STATUS_CODES[status]) ?? '';
    }
    // An empty 200 writes nothing to the sink (EAS framework); the item is done.
    const answer = status === 200 && body.length === 0 ? undefined : { data: body, tags };
    this.source.finishInto(item.index, this.sink, answer);
  }

  private failed(item: QueueItem, refused: boolean, reason: string): void {
    if (!refused && item.deliveries >= this.route.maxDelivery) {
      this.logger.warn(
        { service: this.service, index: item.index, deliveries: item.deliveries, reason },
        'queue item failed too often; written to the sink as failed',
      );
      const tags = {
        requestId: item.tags.requestId ?? '',
        lastCode: '500',
        lastMessage: `delivered ${item.deliveries} times without an answer; last: ${reason}`.slice(0, 256),
      };
      this.source.finishInto(item.index, this.sink, { data: Buffer.alloc(0), tags });
      return;
    }
    this.source.release([item.index], { undelivered: refused });
  }

  slotsFor(w: InstanceWorker): number {
    if (this.sink.full) return 0;
    return this.window - w.inflight;
  }

  retryLater(ms: number): void {
    if (this.retry) return;
    this.retry = this.clock.setTimeout(() => {
      this.retry = undefined;
      this.source.pump();
    }, ms);
  }

  wake(): void {
    this.source.pump();
  }

  forget(w: InstanceWorker): void {
    this.draining.delete(w);
  }
}

class InstanceWorker implements Consumer {
  readonly id: string;
  readonly fromIndex = 0;
  readonly tags = {};
  inflight = 0;
  private stopped = false;
  private pausedUntil = 0;
  private waiters = new Set<() => void>();

  constructor(
    private readonly owner: Dispatcher,
    readonly endpoint: Endpoint,
  ) {
    this.id = `instance.${endpoint.instanceId}`;
  }

  slots(): number {
    if (this.stopped) return 0;
    const wait = this.pausedUntil - this.owner.clock.now();
    if (wait > 0) {
      // A timer may fire a millisecond before the wall clock says it is due (Node's
      // timers run on a monotonic clock): ask again when the pause is really over,
      // or the item would wait for the next put.
      this.owner.retryLater(wait);
      return 0;
    }
    return this.owner.slotsFor(this);
  }

  deliver(item: QueueItem): void {
    this.inflight++;
    this.owner
      .call(this, item)
      .catch(() => undefined)
      .finally(() => {
        this.inflight--;
        for (const w of [...this.waiters]) w();
        if (this.stopped && this.inflight === 0) this.owner.forget(this);
        // The slot is free only now, after the settle that already pumped.
        this.owner.wake();
      });
  }

  backoff(): void {
    this.pausedUntil = this.owner.clock.now() + BACKOFF_MS;
    this.owner.retryLater(BACKOFF_MS);
  }

  settled(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const clock = this.owner.clock;
      const done = () => {
        clock.clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = clock.setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  stop(): void {
    this.stopped = true;
  }

  describe() {
    return {
      Index: 0,
      Status: this.stopped ? 'Leaving' : 'Running',
      Window: this.inflight + Math.max(0, this.slots()),
      Slots: Math.max(0, this.slots()),
      AutoCommit: false,
    };
  }
}
