/**
 * The queue service of one Pier: the input and sink queues of every async
 * service (from the endpoint snapshots), their HTTP and WebSocket front for the
 * gateway, and one dispatcher per service feeding its ready instances.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import pino, { type Logger } from 'pino';
import { type Clock, createRealClock } from '../clock.js';
import {
  type EndpointSnapshot,
  type EndpointSource,
  type QueueFront,
  queueSideOf,
  type ServiceRoute,
} from '../gateway/index.js';
import { Dispatcher } from './dispatcher.js';
import { handleQueueHttp } from './http.js';
import { Queue } from './queue.js';
import { openQueueStorage, type QueueStorage } from './storage.js';
import { createWatchServer, handleWatch } from './watch.js';

export interface QueueServiceOptions {
  /** Pier's home: the queues live in `<home>/queues.db` unless `storage` is given. */
  home: string;
  /** Another backend (openRedisQueueStorage); the service closes it. */
  storage?: QueueStorage;
  source: EndpointSource;
  clock?: Clock;
  logger?: Logger;
  /** A put arrived for an async service scaled to zero (its route has `activate`): start instances. */
  onDemand?: (service: string) => void;
}

export interface QueueSideStatus {
  length: number;
  consumers: number;
  /** Index and age of the oldest item, when there is one. */
  oldest?: { index: number; ageMs: number };
}

export interface QueueStatus {
  input: QueueSideStatus;
  sink: QueueSideStatus;
  /** Instances the dispatcher feeds. */
  instances: number;
}

export interface QueueService {
  front: QueueFront;
  status(service: string): QueueStatus | undefined;
  /** Resolves true once the dispatcher has no item in flight to the instance. */
  waitForIdle(instanceId: string, timeoutMs: number): Promise<boolean>;
  /** Stops every dispatcher and watch, then closes the storage once its writes are stored. */
  close(): Promise<void>;
}

interface Pair {
  source: Queue;
  sink: Queue;
  dispatcher: Dispatcher;
}

export function createQueueService(opts: QueueServiceOptions): QueueService {
  const clock = opts.clock ?? createRealClock();
  const logger = opts.logger ?? pino({ level: 'silent' });
  const storage = opts.storage ?? openQueueStorage(opts.home);
  const wss = createWatchServer();
  const pairs = new Map<string, Pair>();

  const ensure = (svc: ServiceRoute): Pair | undefined => {
    const route = svc.queue;
    if (!route) return undefined;
    let pair = pairs.get(svc.name);
    if (!pair) {
      const source = new Queue(svc.name, route.source, storage, clock);
      const sink = new Queue(`${svc.name}/sink`, route.sink, storage, clock);
      pair = { source, sink, dispatcher: new Dispatcher(svc.name, source, sink, clock, logger, svc) };
      pairs.set(svc.name, pair);
    } else {
      pair.source.setLimits(route.source);
      pair.sink.setLimits(route.sink);
    }
    return pair;
  };
  const apply = (snapshot: EndpointSnapshot) => {
    for (const svc of Object.values(snapshot.services)) ensure(svc)?.dispatcher.sync(svc);
    for (const [name, pair] of pairs) {
      const svc = snapshot.services[name];
      if (svc?.queue) continue;
      if (svc) {
        // No longer async (a modify): the items stay, nothing feeds instances from them.
        pair.dispatcher.sync({ ...fallbackRoute(name), queue: undefined });
        continue;
      }
      // Deleted: a service created later under the same name starts with empty queues.
      pair.dispatcher.close();
      pair.source.close();
      pair.sink.close();
      storage.drop(pair.source.name);
      storage.drop(pair.sink.name);
      pairs.delete(name);
    }
  };
  apply(opts.source.current());
  const unsubscribe = opts.source.subscribe(apply);

  const target = (svc: ServiceRoute, subPath: string): Queue | undefined => {
    const pair = pairs.get(svc.name) ?? ensure(svc);
    if (!pair) return undefined;
    const side = queueSideOf(subPath);
    return side === undefined ? undefined : pair[side];
  };
  const noQueue = (svc: ServiceRoute, subPath: string) =>
    `no queue at ${subPath} of ${svc.name}: use /api/predict/${svc.name} (input) or /api/predict/${svc.name}/sink`;

  const front: QueueFront = {
    handle(svc: ServiceRoute, subPath: string, query: string, req: IncomingMessage, res: ServerResponse) {
      const queue = target(svc, subPath);
      if (!queue) {
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ code: 'ROUTE_NOT_FOUND', message: noQueue(svc, subPath) }));
        return;
      }
      if (
        req.method === 'POST' &&
        svc.activate &&
        svc.endpoints.length === 0 &&
        queue === pairs.get(svc.name)?.source
      ) {
        opts.onDemand?.(svc.name);
      }
      handleQueueHttp(queue, query, req, res);
    },
    upgrade(svc: ServiceRoute, subPath: string, query: string, req: IncomingMessage, socket: Duplex, head: Buffer) {
      const queue = target(svc, subPath);
      if (!queue) {
        const body = JSON.stringify({ code: 'ROUTE_NOT_FOUND', message: noQueue(svc, subPath) });
        socket.end(
          `HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
        return;
      }
      handleWatch(wss, queue, query, req, socket, head);
    },
  };

  const side = (q: Queue): QueueSideStatus => {
    const oldest = q.oldest();
    return {
      length: q.length,
      consumers: q.consumers().length,
      ...(oldest ? { oldest: { index: oldest.index, ageMs: Math.max(0, clock.now() - oldest.createdMs) } } : {}),
    };
  };

  return {
    front,
    status(service) {
      const pair = pairs.get(service);
      if (!pair) return undefined;
      return { input: side(pair.source), sink: side(pair.sink), instances: pair.dispatcher.consumers() };
    },
    async waitForIdle(instanceId, timeoutMs) {
      const all = await Promise.all([...pairs.values()].map((p) => p.dispatcher.waitForIdle(instanceId, timeoutMs)));
      return all.every(Boolean);
    },
    async close() {
      unsubscribe();
      for (const p of pairs.values()) p.dispatcher.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await storage.close();
    },
  };
}

function fallbackRoute(name: string): ServiceRoute {
  return {
    name,
    token: '',
    endpoints: [],
    stopped: true,
    rpc: { keepalive: 5000, worker_threads: 1, max_queue_size: 0 },
    enableGrpc: false,
    enableWebservice: false,
  };
}
