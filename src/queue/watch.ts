/**
 * `GET ?_watch_=true` with a WebSocket upgrade: a consumer with a window. Each
 * delivered item is one binary WebSocket message holding a DataFrameProto; it
 * stays pending until the client commits it (`PUT ?_indexes_=…`), unless
 * `_auto_commit_=true` commits on send. A closed connection gives its pending
 * items back to the queue (redelivered to the next watcher). Clients ping every
 * 1–2 s (the SDKs do), which `ws` answers.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { GROUP_HEADER, USER_HEADER } from './attributes.js';
import { parseBounded, parseFlag, parseIndex, parseQuery } from './params.js';
import { encodeFrame } from './proto.js';
import type { Consumer, Queue } from './queue.js';
import type { QueueItem } from './types.js';

export const MAX_WINDOW = 1000;

export function createWatchServer(): WebSocketServer {
  // Clients send nothing but pings; a big message is no watch client.
  return new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
}

export function handleWatch(
  wss: WebSocketServer,
  queue: Queue,
  rawQuery: string,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const q = parseQuery(rawQuery);
  const refuse = (message: string) => {
    const body = JSON.stringify({ code: 'BAD_REQUEST', message });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };
  if (!q.ok) {
    refuse(q.message);
    return;
  }
  const o = q.value.options;
  if (!o.has('_watch_')) {
    refuse('a WebSocket on a queue is a watch: add _watch_=true');
    return;
  }
  const index = parseIndex(o.get('_index_'), 0);
  const window = parseBounded(o.get('_window_'), '_window_', 1, MAX_WINDOW, 1);
  const indexOnly = parseFlag(o.get('_index_only_'), '_index_only_', false);
  const autoCommit = parseFlag(o.get('_auto_commit_'), '_auto_commit_', false);
  const wrong = [index, window, indexOnly, autoCommit].find((p) => !p.ok);
  if (wrong && !wrong.ok) {
    refuse(wrong.message);
    return;
  }
  if (!index.ok || !window.ok || !indexOnly.ok || !autoCommit.ok) return;
  const uid = String(req.headers[USER_HEADER.toLowerCase()] ?? 'anonymous');
  const gid = String(req.headers[GROUP_HEADER.toLowerCase()] ?? 'eas');
  wss.handleUpgrade(req, socket, head, (ws) => {
    const consumer = new WatchConsumer(ws, queue, {
      id: `${gid}.${uid}`.slice(0, 200),
      fromIndex: index.value,
      tags: q.value.tags,
      window: window.value,
      indexOnly: indexOnly.value,
      autoCommit: autoCommit.value,
    });
    ws.on('close', () => queue.unsubscribe(consumer));
    ws.on('error', () => ws.terminate());
    queue.subscribe(consumer);
  });
}

interface WatchOptions {
  id: string;
  fromIndex: number;
  tags: Record<string, string>;
  window: number;
  indexOnly: boolean;
  autoCommit: boolean;
}

class WatchConsumer implements Consumer {
  readonly id: string;
  readonly fromIndex: number;
  readonly tags: Record<string, string>;

  constructor(
    private readonly ws: WebSocket,
    private readonly queue: Queue,
    private readonly opts: WatchOptions,
  ) {
    this.id = opts.id;
    this.fromIndex = opts.fromIndex;
    this.tags = opts.tags;
  }

  slots(): number {
    if (this.ws.readyState !== this.ws.OPEN) return 0;
    return this.opts.window - this.queue.pendingOf(this);
  }

  deliver(item: QueueItem): void {
    const frame = this.opts.indexOnly
      ? { index: item.index, tags: item.tags, data: Buffer.alloc(0) }
      : { index: item.index, tags: item.tags, data: item.data };
    this.ws.send(encodeFrame(frame), { binary: true });
    if (this.opts.autoCommit) this.queue.remove([item.index]);
  }

  close(): void {
    this.ws.close(1001, 'queue deleted');
  }

  describe() {
    return {
      Index: this.fromIndex,
      Status: 'Running',
      Window: this.opts.window,
      Slots: Math.max(0, this.slots()),
      AutoCommit: this.opts.autoCommit,
    };
  }
}
