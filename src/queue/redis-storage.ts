/**
 * Queue storage on Redis Streams (`--queue-backend redis://host:port[/db]`), behind the
 * same `QueueStorage` as the SQLite file. One stream per queue (`pier:stream:<queue>`),
 * each item an entry whose ID is `<EAS index>-0`, so the stream's order is the queue's
 * and XADD refuses an index at or below the last one (two Piers writing one queue fail
 * loudly instead of interleaving). Delivery counts live in a hash beside the stream
 * (entries are immutable), the last index and end of stream in a meta hash.
 *
 * Pier tracks who holds what itself (queue.ts), as it does on SQLite, instead of a
 * consumer group's pending list: EAS commits and negative acks name indexes from any
 * client, a closed watch gives its items back, and items held at a crash are simply
 * delivered again after the restart, none of which needs XREADGROUP's bookkeeping.
 *
 * A full queue is Pier's 429 (or `auto_evict`) in queue.ts, never XADD MAXLEN: Redis
 * would trim silently. The store keeps a mirror of what it wrote, read once at open,
 * because `QueueStorage` reads are synchronous; writes go out in order on one
 * connection and `synced()` resolves once Redis has acknowledged them all. How durable
 * an acknowledged write is depends on Redis's `appendonly`/`appendfsync` (docs/queue.md).
 *
 * Client: ioredis (https://github.com/redis/ioredis), kept by the Redis organisation,
 * typed, with binary-safe `*Buffer` replies, MULTI pipelines and reconnection.
 */

import { Redis } from 'ioredis';
import { PierError } from '../errors.js';
import type { QueueStorage } from './storage.js';
import type { ItemMeta, QueueItem } from './types.js';

const STREAM = 'pier:stream:';
const META = 'pier:meta:';
const DELIVERIES = 'pier:deliveries:';
const PAGE = 500;
/** A write Redis has not answered in this long fails the call waiting on it (a put answers 503). */
const COMMAND_TIMEOUT_MS = 10_000;

interface Mirror {
  items: Map<number, { meta: ItemMeta; data: Buffer }>;
  lastIndex: number;
  eos: boolean;
}

export interface RedisQueueStorageOptions {
  /** Called with a write Redis refused or did not answer; the store keeps going. */
  onError?: (err: unknown) => void;
}

/** `redis://host:port[/db]` (also `rediss://`); anything else is a BAD_REQUEST naming the flag. */
export function parseRedisUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PierError('BAD_REQUEST', '--queue-backend is not a URL; use redis://host:port[/db]');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new PierError(
      'BAD_REQUEST',
      `--queue-backend ${redactedUrl(url)}: only redis://host:port[/db] is known (or sqlite, the default)`,
    );
  }
  if (u.pathname !== '' && u.pathname !== '/' && !/^\/\d{1,2}$/.test(u.pathname)) {
    throw new PierError('BAD_REQUEST', `--queue-backend ${redactedUrl(url)}: the path is a database number, e.g. /0`);
  }
  return u;
}

export async function openRedisQueueStorage(url: string, opts: RedisQueueStorageOptions = {}): Promise<QueueStorage> {
  parseRedisUrl(url);
  const redis = new Redis(url, {
    lazyConnect: true,
    commandTimeout: COMMAND_TIMEOUT_MS,
    // Fail queued commands after a few reconnects rather than holding puts for ever.
    maxRetriesPerRequest: 3,
  });
  redis.on('error', () => undefined); // reconnects on its own; failed commands reach their callers
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new PierError('UNAVAILABLE', `queue backend ${redactedUrl(url)} does not answer: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const mirrors = await loadAll(redis);
  const inflight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    const t = p.then(
      () => undefined,
      (err: unknown) => {
        opts.onError?.(err);
        throw err;
      },
    );
    inflight.add(t);
    t.catch(() => undefined).finally(() => inflight.delete(t));
  };
  const mirror = (queue: string): Mirror => {
    let m = mirrors.get(queue);
    if (!m) {
      m = { items: new Map(), lastIndex: 0, eos: false };
      mirrors.set(queue, m);
    }
    return m;
  };
  /** MULTI…EXEC, failing if any command in it failed (exec reports errors per command). */
  const atomically = (build: (m: ReturnType<Redis['multi']>) => void) => {
    const multi = redis.multi();
    build(multi);
    track(
      multi.exec().then((results) => {
        const failed = results?.find(([err]) => err);
        if (!results) throw new Error('queue write was discarded by Redis');
        if (failed) throw failed[0];
      }),
    );
  };
  const add = (multi: ReturnType<Redis['multi']>, queue: string, item: Omit<QueueItem, 'index'>): number => {
    const m = mirror(queue);
    const index = m.lastIndex + 1;
    m.lastIndex = index;
    const { data, ...rest } = item;
    m.items.set(index, { meta: { ...rest, index, size: data.length }, data });
    multi.xadd(
      STREAM + queue,
      `${index}-0`,
      't',
      JSON.stringify(item.tags),
      'p',
      String(item.priority),
      'c',
      String(item.createdMs),
      'd',
      data,
    );
    multi.hset(META + queue, 'last', String(index));
    if (item.deliveries > 0) multi.hset(DELIVERIES + queue, String(index), String(item.deliveries));
    return index;
  };
  const del = (multi: ReturnType<Redis['multi']>, queue: string, indexes: readonly number[]) => {
    const m = mirror(queue);
    const present = indexes.filter((i) => m.items.delete(i));
    if (present.length === 0) return;
    const ids = present.map((i) => `${i}-0`);
    const fields = present.map(String);
    multi.xdel(STREAM + queue, ...ids);
    multi.hdel(DELIVERIES + queue, ...fields);
  };

  return {
    backend: 'redis',
    load(queue) {
      const m = mirror(queue);
      const items = [...m.items.values()].map((e) => ({ ...e.meta })).sort((a, b) => a.index - b.index);
      return { items, lastIndex: m.lastIndex, eos: m.eos };
    },
    put(queue, item) {
      let index = 0;
      atomically((multi) => {
        index = add(multi, queue, item);
      });
      return index;
    },
    data: (queue, index) => mirrors.get(queue)?.items.get(index)?.data,
    remove(queue, indexes) {
      atomically((multi) => del(multi, queue, indexes));
    },
    truncate(queue, index) {
      const m = mirror(queue);
      const below = [...m.items.keys()].filter((i) => i < index);
      for (const i of below) m.items.delete(i);
      atomically((multi) => {
        // MINID drops every entry with an ID below `<index>-0`: the indexes below N (Redis ≥ 6.2).
        multi.xtrim(STREAM + queue, 'MINID', `${index}-0`);
        if (below.length > 0) multi.hdel(DELIVERIES + queue, ...below.map(String));
      });
    },
    setDeliveries(queue, index, deliveries) {
      const e = mirror(queue).items.get(index);
      if (!e) return;
      e.meta.deliveries = deliveries;
      track(redis.hset(DELIVERIES + queue, String(index), String(deliveries)));
    },
    setEos(queue, eos) {
      mirror(queue).eos = eos;
      track(redis.hset(META + queue, 'eos', eos ? '1' : '0'));
    },
    finish(source, index, sink, answer) {
      let at: number | undefined;
      atomically((multi) => {
        if (answer) at = add(multi, sink, answer);
        del(multi, source, [index]);
      });
      return at;
    },
    drop(queue) {
      mirrors.delete(queue);
      track(redis.del(STREAM + queue, META + queue, DELIVERIES + queue));
    },
    async synced() {
      await Promise.all([...inflight]);
    },
    async close() {
      await Promise.allSettled([...inflight]);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Every queue Pier wrote to this database, with its items, from the meta hashes. */
async function loadAll(redis: Redis): Promise<Map<string, Mirror>> {
  const out = new Map<string, Mirror>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${META}*`, 'COUNT', 200);
    cursor = next;
    for (const key of keys) {
      const queue = key.slice(META.length);
      out.set(queue, await loadQueue(redis, queue));
    }
  } while (cursor !== '0');
  return out;
}

async function loadQueue(redis: Redis, queue: string): Promise<Mirror> {
  const meta = await redis.hgetall(META + queue);
  const deliveries = await redis.hgetall(DELIVERIES + queue);
  const m: Mirror = { items: new Map(), lastIndex: Number(meta.last ?? 0), eos: meta.eos === '1' };
  for (let from = '-'; ; ) {
    const page = await redis.xrangeBuffer(STREAM + queue, from, '+', 'COUNT', PAGE);
    for (const [idBuf, fields] of page) {
      const index = Number(idBuf.toString().split('-')[0]);
      const f = new Map<string, Buffer>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!.toString(), fields[i + 1]!);
      const data = f.get('d') ?? Buffer.alloc(0);
      m.items.set(index, {
        meta: {
          index,
          tags: JSON.parse(f.get('t')?.toString() ?? '{}') as Record<string, string>,
          priority: Number(f.get('p')?.toString() ?? 0),
          createdMs: Number(f.get('c')?.toString() ?? 0),
          deliveries: Number(deliveries[String(index)] ?? 0),
          size: data.length,
        },
        data,
      });
    }
    if (page.length < PAGE) break;
    // Exclusive start after the last entry read (XRANGE `(` syntax, Redis ≥ 6.2).
    from = `(${page.at(-1)![0].toString()}`;
  }
  return m;
}

function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis';
  }
}
