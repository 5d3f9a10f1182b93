/**
 * Durable queue storage (the default backend; redis-storage.ts is the other): one SQLite file (`<home>/queues.db`, WAL, synchronous=FULL)
 * beside the control plane's store, so a put that was answered survives `kill -9`.
 * Payloads stay on disk; `load()` gives every item's metadata for the in-memory
 * index. `finish()` writes an answer to the sink and removes the input item in one
 * transaction, so an item is never both answered and redelivered.
 */

import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ItemMeta, QueueItem } from './types.js';

export const QUEUE_DB_FILE = 'queues.db';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_items (
  queue TEXT NOT NULL,
  idx INTEGER NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  tags TEXT NOT NULL,
  data BLOB NOT NULL,
  deliveries INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (queue, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue_meta (
  queue TEXT PRIMARY KEY,
  last_index INTEGER NOT NULL DEFAULT 0,
  eos INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
`;

export interface QueueStorage {
  /** What `meta.backend` of a queue's attributes shows. */
  readonly backend: 'sqlite' | 'redis';
  /** Metadata of every item, oldest first, and the queue's last index and end-of-stream flag. */
  load(queue: string): { items: ItemMeta[]; lastIndex: number; eos: boolean };
  /** Stores one item with the next index; returns it. */
  put(queue: string, item: Omit<QueueItem, 'index'>): number;
  data(queue: string, index: number): Buffer | undefined;
  remove(queue: string, indexes: readonly number[]): void;
  /** Removes every item below `index`. */
  truncate(queue: string, index: number): void;
  setDeliveries(queue: string, index: number, deliveries: number): void;
  setEos(queue: string, eos: boolean): void;
  /** Puts `answer` on `sink` (unless absent) and removes `index` from `source`, atomically. */
  finish(source: string, index: number, sink: string, answer: Omit<QueueItem, 'index'> | undefined): number | undefined;
  /** Forgets a queue entirely (service deleted). */
  drop(queue: string): void;
  /**
   * Resolves once every write made so far is stored (at once on SQLite, whose writes are
   * synchronous; on Redis once the server acknowledged them); rejects if one failed.
   */
  synced(): Promise<void>;
  close(): Promise<void>;
}

export function openQueueStorage(home: string): QueueStorage {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = join(home, QUEUE_DB_FILE);
  const db = new Database(file);
  chmodSync(file, 0o600);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  // FULL: a commit is fsynced before the put is answered (https://sqlite.org/pragma.html#pragma_synchronous).
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA);
  const st = {
    items: db.prepare(
      'SELECT idx, priority, tags, deliveries, created_ms, length(data) AS size FROM queue_items WHERE queue = ? ORDER BY idx',
    ),
    meta: db.prepare('SELECT last_index, eos FROM queue_meta WHERE queue = ?'),
    bump: db.prepare(
      'INSERT INTO queue_meta (queue, last_index) VALUES (?, 1) ON CONFLICT(queue) DO UPDATE SET last_index = last_index + 1 RETURNING last_index',
    ),
    insert: db.prepare(
      'INSERT INTO queue_items (queue, idx, priority, tags, data, deliveries, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    data: db.prepare('SELECT data FROM queue_items WHERE queue = ? AND idx = ?'),
    remove: db.prepare('DELETE FROM queue_items WHERE queue = ? AND idx = ?'),
    truncate: db.prepare('DELETE FROM queue_items WHERE queue = ? AND idx < ?'),
    deliveries: db.prepare('UPDATE queue_items SET deliveries = ? WHERE queue = ? AND idx = ?'),
    eos: db.prepare(
      'INSERT INTO queue_meta (queue, eos) VALUES (?, ?) ON CONFLICT(queue) DO UPDATE SET eos = excluded.eos',
    ),
    dropItems: db.prepare('DELETE FROM queue_items WHERE queue = ?'),
    dropMeta: db.prepare('DELETE FROM queue_meta WHERE queue = ?'),
  };
  const insert = (queue: string, item: Omit<QueueItem, 'index'>): number => {
    const { last_index: index } = st.bump.get(queue) as { last_index: number };
    st.insert.run(queue, index, item.priority, JSON.stringify(item.tags), item.data, item.deliveries, item.createdMs);
    return index;
  };
  const put = db.transaction(insert);
  const remove = db.transaction((queue: string, indexes: readonly number[]) => {
    for (const i of indexes) st.remove.run(queue, i);
  });
  const finish = db.transaction(
    (source: string, index: number, sink: string, answer: Omit<QueueItem, 'index'> | undefined) => {
      const at = answer ? insert(sink, answer) : undefined;
      st.remove.run(source, index);
      return at;
    },
  );
  const drop = db.transaction((queue: string) => {
    st.dropItems.run(queue);
    st.dropMeta.run(queue);
  });
  return {
    backend: 'sqlite',
    load(queue) {
      const rows = st.items.all(queue) as {
        idx: number;
        priority: number;
        tags: string;
        deliveries: number;
        created_ms: number;
        size: number;
      }[];
      const meta = st.meta.get(queue) as { last_index: number; eos: number } | undefined;
      return {
        items: rows.map((r) => ({
          index: r.idx,
          priority: r.priority,
          tags: JSON.parse(r.tags) as Record<string, string>,
          deliveries: r.deliveries,
          createdMs: r.created_ms,
          size: r.size,
        })),
        lastIndex: meta?.last_index ?? 0,
        eos: meta?.eos === 1,
      };
    },
    put: (queue, item) => put.immediate(queue, item),
    data(queue, index) {
      const row = st.data.get(queue, index) as { data: Buffer } | undefined;
      return row?.data;
    },
    remove: (queue, indexes) => remove.immediate(queue, indexes),
    truncate: (queue, index) => void st.truncate.run(queue, index),
    setDeliveries: (queue, index, deliveries) => void st.deliveries.run(deliveries, queue, index),
    setEos: (queue, eos) => void st.eos.run(queue, eos ? 1 : 0),
    finish: (source, index, sink, answer) => finish.immediate(source, index, sink, answer),
    drop: (queue) => drop.immediate(queue),
    synced: async () => undefined,
    close: async () => void db.close(),
  };
}
