/**
 * One queue (a service's input or its sink): an in-memory index over the durable
 * storage, the consumers fed from it (watches and instances), and readers waiting
 * for data. Semantics follow the EAS queue service: a put gets the next index;
 * an item handed to a consumer is pending until committed (removed) or negatively
 * acknowledged (available again); a consumer that goes away gives its pending
 * items back; priority items are delivered before normal ones.
 */

import type { Clock } from '../clock.js';
import type { QueueStorage } from './storage.js';
import type { ItemMeta, QueueItem, QueueLimits } from './types.js';

export interface Consumer {
  readonly id: string;
  /** Indexes below this are not delivered to it (a watch's `_index_`). */
  readonly fromIndex: number;
  /** Only items carrying every one of these tags. */
  readonly tags: Readonly<Record<string, string>>;
  /** How many more items it takes now (its window minus what it holds). */
  slots(): number;
  /** Hands over one item; the item is pending on this consumer until commit, nack or release. */
  deliver(item: QueueItem): void;
  /** What `attributes` shows for it. */
  describe(): Record<string, string | number | boolean>;
  /** The queue is gone (its service was deleted): end the consumer. */
  close?(): void;
}

export type PutResult = { ok: true; index: number } | { ok: false; status: number; code: string; message: string };

export class Queue {
  private readonly items = new Map<number, ItemMeta>();
  private readonly owner = new Map<number, Consumer>();
  private readonly held = new Map<Consumer, Set<number>>();
  private readonly waiters = new Set<() => void>();
  private readonly changed = new Set<() => void>();
  private lastIndex: number;
  private eosFlag: boolean;
  private pumping = false;
  private again = false;
  private next = 0;
  /** Items with a priority above 0; while none, the head is the next item. */
  private prioritized = 0;

  constructor(
    readonly name: string,
    private limits: QueueLimits,
    private readonly storage: QueueStorage,
    readonly clock: Clock,
  ) {
    const loaded = storage.load(name);
    for (const m of loaded.items) this.index(m);
    this.lastIndex = loaded.lastIndex;
    this.eosFlag = loaded.eos;
  }

  setLimits(limits: QueueLimits): void {
    this.limits = limits;
    this.pump();
  }

  get length(): number {
    return this.items.size;
  }

  get full(): boolean {
    return this.items.size >= this.limits.maxLength;
  }

  get maxLength(): number {
    return this.limits.maxLength;
  }

  get maxPayloadBytes(): number {
    return this.limits.maxPayloadBytes;
  }

  get backend(): string {
    return this.storage.backend;
  }

  get ended(): boolean {
    return this.eosFlag;
  }

  /** Called after anything that frees room or removes items (the dispatcher resumes on a sink). */
  onChange(listener: () => void): () => void {
    this.changed.add(listener);
    return () => this.changed.delete(listener);
  }

  put(data: Buffer, tags: Record<string, string>, priority = 0): PutResult {
    if (this.eosFlag)
      return {
        ok: false,
        status: 409,
        code: 'CONFLICT',
        message: `queue ${this.name} has ended (end of stream); no more puts`,
      };
    if (data.length > this.limits.maxPayloadBytes) {
      return {
        ok: false,
        status: 413,
        code: 'BODY_TOO_LARGE',
        message: `payload of ${data.length} bytes is larger than the queue's ${this.limits.maxPayloadBytes} (queue.*.max_payload_size_kb)`,
      };
    }
    if (this.full && !(this.limits.autoEvict && this.evictOldest())) {
      return {
        ok: false,
        status: 429,
        code: 'QUEUE_FULL',
        message: `queue ${this.name} holds ${this.items.size} items, its max_length; retry after consumers catch up`,
      };
    }
    const item = { tags, data, priority, deliveries: 0, createdMs: this.clock.now() };
    const index = this.storage.put(this.name, item);
    this.lastIndex = index;
    this.index({ index, tags, priority, deliveries: 0, createdMs: item.createdMs, size: data.length });
    this.wake();
    this.pump();
    return { ok: true, index };
  }

  /** Resolves once every write so far is stored (a put is answered only then). */
  synced(): Promise<void> {
    return this.storage.synced();
  }

  /** Items from `index` (0: the head) in index order, at most `length`, matching `tags`. */
  read(index: number, length: number, tags: Record<string, string>, requestId?: string): ItemMeta[] {
    const out: ItemMeta[] = [];
    for (const m of this.items.values()) {
      if (out.length >= length) break;
      if (m.index < index || !matches(m.tags, tags)) continue;
      if (requestId !== undefined && m.tags.requestId !== requestId) continue;
      out.push(m);
    }
    return out;
  }

  /** Resolves after the next put, or after `ms`, or when `signal` aborts. */
  waitForPut(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.clock.clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  withData(meta: ItemMeta): QueueItem | undefined {
    const data = this.storage.data(this.name, meta.index);
    if (!data) return undefined;
    const { size: _size, ...rest } = meta;
    return { ...rest, data };
  }

  get(index: number): ItemMeta | undefined {
    return this.items.get(index);
  }

  /** Removes items for every consumer (commit and delete); returns how many existed. */
  remove(indexes: readonly number[]): number {
    const present = indexes.filter((i) => this.items.has(i));
    if (present.length === 0) return 0;
    this.storage.remove(this.name, present);
    for (const i of present) this.forget(i);
    this.afterRemoval();
    return present.length;
  }

  /** The pending item goes back to the queue for another consumer (negative ack, lost consumer). */
  release(indexes: readonly number[], opts: { undelivered?: boolean } = {}): void {
    for (const i of indexes) {
      const c = this.owner.get(i);
      if (!c) continue;
      this.owner.delete(i);
      this.held.get(c)?.delete(i);
      const m = this.items.get(i);
      // A connection the instance refused never reached it: not a delivery.
      if (m && opts.undelivered) m.deliveries = Math.max(0, m.deliveries - 1);
      if (m) this.storage.setDeliveries(this.name, i, m.deliveries);
    }
    this.pump();
  }

  /**
   * Writes `answer` to `sink` and removes `index` here in one transaction (the
   * dispatcher's "answer, then commit the input" without a window for duplicates).
   */
  finishInto(index: number, sink: Queue, answer: { data: Buffer; tags: Record<string, string> } | undefined): void {
    if (!this.items.has(index)) return;
    const item = answer
      ? { tags: answer.tags, data: answer.data, priority: 0, deliveries: 0, createdMs: this.clock.now() }
      : undefined;
    const at = this.storage.finish(this.name, index, sink.name, item);
    if (item && at !== undefined) sink.adopt(at, item);
    this.forget(index);
    this.afterRemoval();
  }

  truncate(index: number): number {
    const drop = [...this.items.keys()].filter((i) => i < index);
    this.storage.truncate(this.name, index);
    for (const i of drop) this.forget(i);
    if (drop.length > 0) this.afterRemoval();
    return drop.length;
  }

  endOfStream(force: boolean): void {
    this.eosFlag = true;
    this.storage.setEos(this.name, true);
    if (force) this.truncate(this.lastIndex + 1);
    this.wake();
  }

  subscribe(c: Consumer): void {
    this.held.set(c, new Set());
    this.pump();
  }

  /** Stops deliveries to `c`; its pending items go back unless `keep` (the dispatcher settles its own). */
  unsubscribe(c: Consumer, keep = false): void {
    const mine = this.held.get(c);
    if (!mine) return;
    this.held.delete(c);
    if (!keep) {
      for (const i of mine) this.owner.delete(i);
      this.pump();
    }
  }

  /** Ends every consumer and wakes every reader; the queue takes no more calls. */
  close(): void {
    const consumers = [...this.held.keys()];
    this.held.clear();
    this.owner.clear();
    for (const c of consumers) c.close?.();
    this.endOfStream(false);
  }

  holder(index: number): Consumer | undefined {
    return this.owner.get(index);
  }

  pendingOf(c: Consumer): number {
    return this.held.get(c)?.size ?? 0;
  }

  consumers(): Consumer[] {
    return [...this.held.keys()];
  }

  oldest(): ItemMeta | undefined {
    return this.items.values().next().value;
  }

  /** `{IsPending, WaitCount}` of `search`: held by a consumer, and how many wait before it. */
  search(index: number): { IsPending: boolean; WaitCount: number } | undefined {
    const m = this.items.get(index);
    if (!m) return undefined;
    let ahead = 0;
    for (const o of this.items.values()) {
      if (o.index === index) continue;
      if (this.owner.has(o.index)) continue;
      if (o.priority > m.priority || (o.priority === m.priority && o.index < m.index)) ahead++;
    }
    return { IsPending: this.owner.has(index), WaitCount: ahead };
  }

  count(tags: Record<string, string>, priority?: number): number {
    let n = 0;
    for (const m of this.items.values())
      if (matches(m.tags, tags) && (priority === undefined || m.priority === priority)) n++;
    return n;
  }

  get firstIndex(): number {
    return this.oldest()?.index ?? 0;
  }

  get last(): number {
    return this.lastIndex;
  }

  /** Feeds every consumer with free slots, round-robin, until items or slots run out. */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        this.round();
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  private round(): void {
    let progress = true;
    while (progress) {
      progress = false;
      const list = [...this.held.keys()];
      if (list.length === 0) return;
      for (let k = 0; k < list.length; k++) {
        const c = list[(this.next + k) % list.length]!;
        if (!this.held.has(c) || c.slots() <= 0) continue;
        const m = this.nextFor(c);
        if (!m) continue;
        const item = this.withData(m);
        if (!item) {
          this.forget(m.index);
          continue;
        }
        m.deliveries++;
        item.deliveries = m.deliveries;
        this.owner.set(m.index, c);
        this.held.get(c)!.add(m.index);
        progress = true;
        c.deliver(item);
      }
      this.next = (this.next + 1) % Math.max(1, list.length);
    }
  }

  private nextFor(c: Consumer): ItemMeta | undefined {
    let best: ItemMeta | undefined;
    const anyPriority = this.prioritized > 0;
    for (const m of this.items.values()) {
      if (this.owner.has(m.index) || m.index < c.fromIndex || !matches(m.tags, c.tags)) continue;
      if (!best || m.priority > best.priority) best = m;
      if (!anyPriority) break;
    }
    return best;
  }

  /** A sink item written by the source's `finishInto` transaction. */
  private adopt(index: number, item: Omit<QueueItem, 'index'>): void {
    this.lastIndex = index;
    this.index({
      index,
      tags: item.tags,
      priority: 0,
      deliveries: 0,
      createdMs: item.createdMs,
      size: item.data.length,
    });
    this.wake();
    this.pump();
  }

  private evictOldest(): boolean {
    for (const m of this.items.values()) {
      if (this.owner.has(m.index)) continue;
      this.storage.remove(this.name, [m.index]);
      this.forget(m.index);
      return true;
    }
    return false;
  }

  private index(m: ItemMeta): void {
    this.items.set(m.index, m);
    if (m.priority > 0) this.prioritized++;
  }

  private forget(index: number): void {
    const m = this.items.get(index);
    if (!m) return;
    if (m.priority > 0) this.prioritized--;
    this.items.delete(index);
    const c = this.owner.get(index);
    if (c) {
      this.owner.delete(index);
      this.held.get(c)?.delete(index);
    }
  }

  private afterRemoval(): void {
    this.pump();
    for (const l of [...this.changed]) l();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

export function matches(tags: Readonly<Record<string, string>>, want: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(want)) if (tags[k] !== v) return false;
  return true;
}
