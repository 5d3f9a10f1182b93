/**
 * The QueueStorage contract, one table of behaviours run against both backends:
 * SQLite in a temporary home and Redis Streams on a real redis-server. Each case
 * writes through one store, then reads what a fresh store on the same place loads
 * (what a restarted Pier sees).
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queueBackends, removeHome } from '../../test/support/queue.js';
import { openRedisQueueStorage, parseRedisUrl } from './redis-storage.js';
import { openQueueStorage, type QueueStorage } from './storage.js';
import type { QueueItem } from './types.js';

const item = (data: string, over: Partial<QueueItem> = {}): Omit<QueueItem, 'index'> => ({
  tags: { requestId: `id-${data}` },
  data: Buffer.from(data),
  priority: 0,
  deliveries: 0,
  createdMs: 1_700_000_000_000,
  ...over,
});

const summary = (s: QueueStorage, queue: string) => {
  const l = s.load(queue);
  return {
    items: l.items.map((m) => [m.index, s.data(queue, m.index)?.toString(), m.deliveries, m.priority]),
    lastIndex: l.lastIndex,
    eos: l.eos,
  };
};

type Case = [name: string, write: (s: QueueStorage) => void, queue: string, want: ReturnType<typeof summary>];

const cases: Case[] = [
  [
    'put gives 1, 2, 3 and keeps payload, tags and priority',
    (s) => {
      expect([s.put('q', item('a')), s.put('q', item('b', { priority: 3 })), s.put('q', item('c'))]).toEqual([1, 2, 3]);
    },
    'q',
    {
      items: [
        [1, 'a', 0, 0],
        [2, 'b', 0, 3],
        [3, 'c', 0, 0],
      ],
      lastIndex: 3,
      eos: false,
    },
  ],
  [
    'remove forgets items and never reuses their indexes',
    (s) => {
      for (const d of ['a', 'b', 'c']) s.put('q', item(d));
      s.remove('q', [1, 3, 99]);
    },
    'q',
    { items: [[2, 'b', 0, 0]], lastIndex: 3, eos: false },
  ],
  [
    'truncate drops the indexes below N, N itself stays',
    (s) => {
      for (const d of ['a', 'b', 'c', 'd']) s.put('q', item(d));
      s.truncate('q', 3);
    },
    'q',
    {
      items: [
        [3, 'c', 0, 0],
        [4, 'd', 0, 0],
      ],
      lastIndex: 4,
      eos: false,
    },
  ],
  [
    'delivery counts and end of stream are kept',
    (s) => {
      s.put('q', item('a'));
      s.put('q', item('b'));
      s.setDeliveries('q', 2, 4);
      s.setEos('q', true);
    },
    'q',
    {
      items: [
        [1, 'a', 0, 0],
        [2, 'b', 4, 0],
      ],
      lastIndex: 2,
      eos: true,
    },
  ],
  [
    'finish puts the answer on the sink and removes the input item together',
    (s) => {
      s.put('svc', item('a'));
      s.put('svc', item('b'));
      expect(s.finish('svc', 1, 'svc/sink', item('done:a'))).toBe(1);
      expect(s.finish('svc', 2, 'svc/sink', undefined)).toBeUndefined();
      expect(s.load('svc').items).toEqual([]);
    },
    'svc/sink',
    { items: [[1, 'done:a', 0, 0]], lastIndex: 1, eos: false },
  ],
  [
    'drop forgets a queue: a later one starts at 1',
    (s) => {
      s.put('q', item('a'));
      s.setEos('q', true);
      s.drop('q');
      expect(s.put('q', item('again'))).toBe(1);
    },
    'q',
    { items: [[1, 'again', 0, 0]], lastIndex: 1, eos: false },
  ],
  [
    'queues are independent',
    (s) => {
      s.put('one', item('a'));
      s.put('two', item('b'));
      s.put('two', item('c'));
      s.remove('one', [1]);
    },
    'two',
    {
      items: [
        [1, 'b', 0, 0],
        [2, 'c', 0, 0],
      ],
      lastIndex: 2,
      eos: false,
    },
  ],
  [
    'binary payloads survive byte for byte',
    (s) => {
      s.put('q', { ...item('x'), data: Buffer.from([0, 255, 13, 10, 0]) });
    },
    'q',
    { items: [[1, Buffer.from([0, 255, 13, 10, 0]).toString(), 0, 0]], lastIndex: 1, eos: false },
  ],
];

describe('--queue-backend', () => {
  it.each([
    ['redis://127.0.0.1:6379', true],
    ['redis://127.0.0.1:6379/3', true],
    ['rediss://user:secret@cache.example:6380/0', true],
    ['redis://127.0.0.1:6379/db', false],
    ['postgres://127.0.0.1/queues', false],
    ['not a url', false],
  ])('%s is accepted: %s', (url, ok) => {
    if (ok) expect(parseRedisUrl(url).hostname).not.toBe('');
    else expect(() => parseRedisUrl(url)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  it('a Redis that does not answer is UNAVAILABLE, without the password in the message', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address() as { port: number };
        srv.close(() => resolve(addr.port));
      });
    });
    const err = await openRedisQueueStorage(`redis://:hunter22@127.0.0.1:${port}/0`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNAVAILABLE' });
    expect((err as Error).message).not.toContain('hunter22');
  });
});

describe.each(queueBackends())('QueueStorage on $name', (backend) => {
  const homes: string[] = [];
  const open: QueueStorage[] = [];
  const openAt = async (home: string) => {
    const s = (await backend.storage(home)) ?? openQueueStorage(home);
    open.push(s);
    return s;
  };
  beforeAll(() => backend.setup());
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    for (const h of homes.splice(0)) removeHome(h);
  });
  afterAll(() => backend.teardown());

  it.each(cases)('%s (and a store opened afresh loads the same)', async (_name, write, queue, want) => {
    const home = mkdtempSync(path.join(tmpdir(), 'pier-qstore-'));
    homes.push(home);
    const s = await openAt(home);
    write(s);
    expect(summary(s, queue)).toEqual(want);
    await s.synced();
    await s.close();
    expect(summary(await openAt(home), queue)).toEqual(want);
  });
});
