import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { AggregatorRegistry, type Metric, Registry } from 'prom-client';
import { createLocalGateway, type Gateway, type GatewayOptions } from '../gateway.js';
import type { EndpointSnapshot, EndpointSource, GatewayStats } from '../types.js';
import { Board, boardBytes } from './board.js';
import type { FromWorker, GroupCounts, ToWorker, WorkerInit } from './protocol.js';
import { startQueueRelay } from './queue-relay.js';
import { SlotAllocator } from './slots.js';

/**
 * `--gateway-workers N` (N > 1): this thread serves as one gateway and starts N - 1
 * worker threads that listen on the same ports with SO_REUSEPORT (`reusePort`,
 * Node >= 22.12; the kernel spreads connections over the sockets, see
 * socket(7)). Limits and counts are on the shared board; this thread owns the
 * endpoint source and the slots, relays every snapshot, and merges the threads'
 * metrics on scrape (prom-client's AggregatorRegistry, as for node:cluster).
 */

/**
 * Every gateway series is summed over the threads, but a gauge each thread reads
 * from the shared board (the activator's held count) would count N times: its
 * threads agree, so the view is their max.
 */
const SHARED_GAUGES = new Set(['pier_gateway_activator_pending_requests']);
const gatewaySeries = (registry: Registry) =>
  registry
    .getMetricsAsArray()
    .map((m) => (m as unknown as { name: string }).name)
    .filter((name) => name.startsWith('pier_gateway_'));

interface Peer {
  worker: Worker;
  alive: boolean;
  ready: Promise<void>;
  exited: Promise<void>;
}

/** A gateway over several threads; `perThread` tells how connections spread. */
export interface WorkerGateway extends Gateway {
  /** Requests each thread has taken (index 0: this thread). */
  perThread(): number[];
}

export function createWorkerGateway(opts: GatewayOptions): WorkerGateway {
  const threads = opts.workers!;
  if (!Number.isInteger(threads) || threads < 2 || threads > 64) {
    throw new Error('createGateway: workers must be an integer from 1 to 64');
  }
  const board = new Board(new SharedArrayBuffer(boardBytes(threads)), threads, 0);
  const slots = new SlotAllocator(board, threads);
  const instanceService = new Map<string, string>();
  const peers: Peer[] = [];
  /** Each worker thread's latest group counts, by thread (index 0 unused: this thread's are local). */
  const peerGroups: GroupCounts[] = [];
  const listeners = new Set<(s: EndpointSnapshot) => void>();
  let current = opts.source.current();

  const remember = (snapshot: EndpointSnapshot) => {
    for (const svc of Object.values(snapshot.services)) {
      for (const ep of svc.endpoints) instanceService.set(ep.instanceId, svc.name);
    }
  };
  const post = (m: ToWorker) => {
    for (const p of peers) p.worker.postMessage(m);
  };
  let slotMap = slots.assign(current);
  remember(current);
  const relay: EndpointSource = {
    current: () => current,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
  const unsubscribe = opts.source.subscribe((snapshot) => {
    current = snapshot;
    slotMap = slots.assign(snapshot);
    remember(snapshot);
    post({ t: 'snapshot', snapshot, slots: slotMap });
    for (const fn of listeners) fn(snapshot);
    slots.ack(0, snapshot.version);
  });
  slots.ack(0, current.version);

  // Async services' queues live in this thread: the other threads relay their calls here.
  const queueSecret = randomBytes(32).toString('base64url');
  const queueRelay = opts.queues
    ? startQueueRelay(opts.queues, (name) => current.services[name], queueSecret)
    : undefined;
  const own = new Registry();
  const local = createLocalGateway({ ...opts, workers: 1, source: relay, registry: own }, board);
  const logger = opts.logger ?? pino({ level: 'silent' });
  const asks = new Map<number, (m: FromWorker) => void>();
  let nextAsk = 1;
  // A thread that died or hangs must not hang a scrape or a listen: no answer in 5 s counts as none.
  const ask = (peer: Peer, m: ToWorker & { id: number }): Promise<FromWorker> =>
    new Promise((resolve) => {
      if (!peer.alive) {
        resolve({ t: 'closed' });
        return;
      }
      const timer = setTimeout(() => {
        asks.delete(m.id);
        resolve({ t: 'closed' });
      }, 5000);
      timer.unref();
      asks.set(m.id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      peer.worker.postMessage(m);
    });

  for (let thread = 1; thread < threads; thread++) {
    const init: WorkerInit = {
      sab: board.sab,
      threads,
      thread,
      snapshot: current,
      slots: slotMap,
      logLevel: logger.level,
      logBindings: logger.bindings(),
      options: {
        ...(opts.limits ? { limits: opts.limits } : {}),
        ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
        ...(opts.passiveHealthMs !== undefined ? { passiveHealthMs: opts.passiveHealthMs } : {}),
        ...(opts.maxSocketsPerInstance !== undefined ? { maxSocketsPerInstance: opts.maxSocketsPerInstance } : {}),
        ...(opts.tls ? { tls: opts.tls } : {}),
        ...(opts.discovery ? { discovery: opts.discovery } : {}),
        ...(opts.activation ? { activation: opts.activation } : {}),
        ...(opts.easMaxDateSkewSeconds ? { easMaxDateSkewSeconds: opts.easMaxDateSkewSeconds } : {}),
        onDemand: opts.onDemand !== undefined,
        observe: opts.observer !== undefined,
        ...(queueRelay ? { queueRelay: { secret: queueSecret } } : {}),
      },
    };
    const worker = new Worker(new URL('./entry.mjs', import.meta.url), { workerData: init });
    let readyResolve!: () => void;
    const ready = new Promise<void>((r) => {
      readyResolve = r;
    });
    const exited = new Promise<void>((r) =>
      worker.once('exit', () => {
        peer.alive = false;
        readyResolve();
        r();
      }),
    );
    worker.on('message', (m: FromWorker) => {
      if (m.t === 'ready') readyResolve();
      else if (m.t === 'applied') slots.ack(thread, m.version);
      else if (m.t === 'demand') opts.onDemand?.(m.service);
      else if (m.t === 'groups') peerGroups[thread] = m.counts;
      else if (m.t === 'observed')
        for (const [service, status, seconds] of m.records) opts.observer?.record(service, status, seconds);
      else if (m.t === 'listening' || m.t === 'metrics') {
        asks.get(m.id)?.(m);
        asks.delete(m.id);
      }
    });
    worker.on('error', (err) => logger.error({ thread, err: String(err) }, 'gateway worker failed'));
    const peer: Peer = { worker, alive: true, ready, exited };
    peers.push(peer);
  }

  const listenAll = async (port: number, host: string, tls: boolean) => {
    if (queueRelay) {
      const relayPort = await queueRelay.ready;
      // Before any listen: a thread never takes a queue call without knowing where to relay it.
      post({ t: 'queues', port: relayPort });
    }
    const bound = tls ? await local.listenTls(port, host) : await local.listen(port, host);
    const answers = await Promise.all(
      peers.map(async (p) => {
        await p.ready;
        return ask(p, { t: 'listen', id: nextAsk++, port: bound, host, tls });
      }),
    );
    for (const a of answers) {
      if (a.t !== 'listening') throw new Error('a gateway worker did not start listening');
      if (a.error) throw new Error(a.error);
    }
    return bound;
  };

  // One view of the metrics: each scrape gathers every thread's series and sums them.
  let gathering: Promise<Registry> | undefined;
  const gather = () => {
    gathering ??= (async () => {
      const parts = await Promise.all([
        own.getMetricsAsJSON(),
        ...peers.map(async (p) => {
          const a = await ask(p, { t: 'metrics', id: nextAsk++ });
          return a.t === 'metrics' ? a.metrics : [];
        }),
      ]);
      return AggregatorRegistry.aggregate<typeof Registry.PROMETHEUS_CONTENT_TYPE>(parts);
    })().finally(() => {
      gathering = undefined;
    });
    return gathering;
  };
  const registry = opts.registry ?? new Registry();
  const series = gatewaySeries(own);
  for (const name of series) {
    const mine = own.getSingleMetric(name) as unknown as { help: string; type: string; aggregator?: string };
    const aggregator = SHARED_GAUGES.has(name) ? 'max' : 'sum';
    // Each thread's own copy must say the same, so AggregatorRegistry merges it that way.
    mine.aggregator = aggregator;
    const proxy = {
      name,
      help: mine.help,
      type: mine.type,
      aggregator,
      get: async () => {
        const merged = (await gather()).getSingleMetric(name);
        return merged ? await merged.get() : { name, help: mine.help, type: mine.type, values: [], aggregator };
      },
    };
    registry.registerMetric(proxy as unknown as Metric);
  }

  const inflight = (id: string) => {
    const slot = slots.instanceSlot(id);
    return slot >= 0 ? board.inflight(slot) : local.inflight(id);
  };

  return {
    server: local.server,
    http2: local.http2,
    listen: (port, host) => listenAll(port, host, false),
    listenTls: (port, host) => listenAll(port, host, true),
    async close() {
      unsubscribe();
      await Promise.all(
        peers.map(async (p) => {
          p.worker.postMessage({ t: 'close' } satisfies ToWorker);
          await p.exited;
        }),
      );
      await local.close();
      await queueRelay?.close();
      for (const name of series) registry.removeSingleMetric(name);
    },
    stats() {
      const services: GatewayStats['services'] = {};
      for (const [name, slot] of slots.serviceNames()) {
        const c = board.serviceCounts(slot);
        const pending = board.held(slot);
        if (c.requests === 0 && c.inflight === 0 && pending === 0) continue;
        services[name] = { requests: c.requests, inflight: c.inflight, instances: {} };
        if (pending > 0) services[name]!.pending = pending;
      }
      for (const [id, slot] of slots.instanceNames()) {
        const name = instanceService.get(id);
        if (name === undefined) continue;
        services[name] ??= { requests: 0, inflight: 0, instances: {} };
        services[name]!.instances[id] = { requests: board.instanceRequests(slot), inflight: board.inflight(slot) };
      }
      const groups = sumGroups([local.stats().groups ?? {}, ...peerGroups.filter(Boolean)]);
      return Object.keys(groups).length > 0 ? { services, groups } : { services };
    },
    inflight,
    perThread: () => Array.from({ length: threads }, (_, t) => board.threadRequests(t)),
    async waitForIdle(id, timeoutMs) {
      const slot = slots.instanceSlot(id);
      if (slot < 0) return local.waitForIdle(id, timeoutMs);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const seen = board.generation(slot);
        if (board.inflight(slot) === 0) return true;
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await board.waitChange(slot, seen, Math.min(left, 1000));
      }
    },
  };
}

/** Group counts of several threads, added up. */
export function sumGroups(parts: readonly GroupCounts[]): GroupCounts {
  const out: GroupCounts = {};
  for (const part of parts) {
    for (const [group, row] of Object.entries(part)) {
      out[group] ??= {};
      const sum = out[group];
      for (const [member, n] of Object.entries(row)) sum[member] = (sum[member] ?? 0) + n;
    }
  }
  return out;
}
