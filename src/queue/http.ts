/**
 * The queue service over HTTP (EAS queue service): one queue URL, the operation
 * chosen by method and `_name_` query options (params.ts). Every refusal is a
 * 4xx with `{code, message}` and changes nothing.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { payloadTooLarge } from '../gateway/index.js';
import { encodeAttributes, encodeFrameList, type Frame, frameJson, PROTOBUF } from './proto.js';
import {
  MAX_LENGTH,
  NACK_CODE,
  type Parsed,
  parseBounded,
  parseFlag,
  parseIndex,
  parseIndexes,
  parseQuery,
  parseTimeout,
  type QueueQuery,
} from './params.js';
import type { Queue } from './queue.js';
import { queueAttributes } from './attributes.js';

export const REQUEST_ID_HEADER = 'X-Eas-Queueservice-Request-Id';
export const PRIORITY_HEADER = 'X-EAS-QueueService-Priority';
const MAX_PRIORITY = 100;
const MAX_FORM_BYTES = 4096;

export function handleQueueHttp(queue: Queue, rawQuery: string, req: IncomingMessage, res: ServerResponse): void {
  const q = parseQuery(rawQuery);
  if (!q.ok) {
    bad(req, res, q.message);
    return;
  }
  const method = req.method ?? 'GET';
  const o = q.value.options;
  const run = (): Promise<void> | void => {
    if (method === 'POST')
      return o.has('_eos_') ? endOfStream(queue, q.value, req, res) : put(queue, q.value, req, res);
    if (method === 'GET' || method === 'HEAD') {
      if (o.has('_watch_')) return bad(req, res, '_watch_ needs a WebSocket upgrade (ws:// or wss://)');
      if (o.has('_attrs_')) return attributes(queue, req, res);
      if (o.has('_search_')) return search(queue, q.value, req, res);
      if (o.has('_count_')) return count(queue, q.value, req, res);
      return get(queue, q.value, req, res);
    }
    if (method === 'PUT') return commit(queue, q.value, req, res);
    if (method === 'DELETE')
      return o.has('_trunc_') ? truncate(queue, q.value, req, res) : remove(queue, q.value, req, res);
    send(
      req,
      res,
      405,
      { code: 'BAD_REQUEST', message: `method ${method} is not a queue operation; use GET, POST, PUT or DELETE` },
      { allow: 'GET, POST, PUT, DELETE' },
    );
  };
  Promise.resolve()
    .then(run)
    .catch((err: unknown) =>
      send(req, res, 500, { code: 'INTERNAL', message: `queue operation failed: ${String(err)}` }),
    );
}

function bad(req: IncomingMessage, res: ServerResponse, message: string): void {
  send(req, res, 400, { code: 'BAD_REQUEST', message });
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const type = Buffer.isBuffer(body)
    ? PROTOBUF
    : typeof body === 'string'
      ? 'text/plain; charset=utf-8'
      : 'application/json; charset=utf-8';
  res.writeHead(status, {
    'content-type': type,
    'content-length': String(bytes.length),
    ...(!req.complete ? { connection: 'close' } : {}),
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

function ok<T>(req: IncomingMessage, res: ServerResponse, p: Parsed<T>): p is { ok: true; value: T } {
  if (!p.ok) bad(req, res, p.message);
  return p.ok;
}

/** Reads at most `max` bytes; undefined (and the request left unread) when it is longer. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

async function put(queue: Queue, q: QueueQuery, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const header = req.headers[PRIORITY_HEADER.toLowerCase()];
  const prio = parseBounded(
    q.options.get('_priority_') ?? (typeof header === 'string' ? header : undefined),
    '_priority_',
    0,
    MAX_PRIORITY,
    0,
  );
  if (!ok(req, res, prio)) return;
  const body = await readBody(req, queue.maxPayloadBytes);
  if (!body) {
    send(
      req,
      res,
      413,
      {
        code: 'BODY_TOO_LARGE',
        message: payloadTooLarge(queue.name.endsWith('/sink') ? 'sink' : 'source', queue.maxPayloadBytes),
      },
      { connection: 'close' },
    );
    return;
  }
  const requestId = q.tags.requestId || randomUUID();
  const result = queue.put(body, { ...q.tags, requestId }, prio.value);
  if (!result.ok) return send(req, res, result.status, { code: result.code, message: result.message });
  try {
    await queue.synced();
  } catch (err) {
    // Not acknowledged, so the client retries; the item may still be stored (as after a crash).
    return send(req, res, 503, {
      code: 'UNAVAILABLE',
      message: `the queue backend did not store the put (${(err as Error).message}); retry`,
    });
  }
  send(req, res, 200, String(result.index), { [REQUEST_ID_HEADER]: requestId });
}

async function get(queue: Queue, q: QueueQuery, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const index = parseIndex(q.options.get('_index_'), 0);
  const length = parseBounded(q.options.get('_length_'), '_length_', 1, MAX_LENGTH, 1);
  const timeout = parseTimeout(q.options.get('_timeout_'), 0);
  const raw = parseFlag(q.options.get('_raw_'), '_raw_', false);
  const autoDelete = parseFlag(q.options.get('_auto_delete_'), '_auto_delete_', false);
  if (
    !ok(req, res, index) ||
    !ok(req, res, length) ||
    !ok(req, res, timeout) ||
    !ok(req, res, raw) ||
    !ok(req, res, autoDelete)
  )
    return;
  const { requestId, ...tags } = q.tags;
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  let found = queue.read(index.value, length.value, tags, requestId);
  // Each wait ends at a put or at the deadline, so this loop is bounded by the timeout.
  const deadline = queue.clock.now() + timeout.value;
  while (found.length === 0 && !abort.signal.aborted && queue.clock.now() < deadline) {
    await queue.waitForPut(deadline - queue.clock.now(), abort.signal);
    found = queue.read(index.value, length.value, tags, requestId);
  }
  if (abort.signal.aborted) return;
  const frames: Frame[] = [];
  for (const m of found) {
    const item = queue.withData(m);
    if (item) frames.push({ index: item.index, tags: item.tags, data: item.data });
  }
  if (autoDelete.value && frames.length > 0) queue.remove(frames.map((f) => f.index));
  if (frames.length === 0 && requestId !== undefined) {
    // The PAI SDK's AsyncPredictor polls `?requestId=` and reads 204 as "not done yet".
    res.writeHead(204).end();
    return;
  }
  if (raw.value) {
    const first = frames[0];
    if (!first) return send(req, res, 204, '');
    return send(req, res, 200, first.data, {
      'content-type': 'application/octet-stream',
      'x-eas-queueservice-index': String(first.index),
    });
  }
  if (wantsProtobuf(req)) return send(req, res, 200, encodeFrameList(frames));
  send(req, res, 200, frames.map(frameJson));
}

function wantsProtobuf(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').toLowerCase().includes(PROTOBUF);
}

function attributes(queue: Queue, req: IncomingMessage, res: ServerResponse): void {
  const attrs = queueAttributes(queue);
  if (wantsProtobuf(req)) send(req, res, 200, encodeAttributes(attrs));
  else send(req, res, 200, attrs);
}

function search(queue: Queue, q: QueueQuery, req: IncomingMessage, res: ServerResponse): void {
  const index = parseIndex(q.options.get('_index_'), 0);
  if (!ok(req, res, index)) return;
  const found = index.value === 0 ? undefined : queue.search(index.value);
  if (index.value === 0) bad(req, res, '_search_ needs _index_ of an item, e.g. _index_=12');
  else if (!found)
    send(req, res, 404, { code: 'ROUTE_NOT_FOUND', message: `no item ${index.value} in queue ${queue.name}` });
  else send(req, res, 200, found);
}

function count(queue: Queue, q: QueueQuery, req: IncomingMessage, res: ServerResponse): void {
  const raw = q.options.get('_priority_');
  const prio = parseBounded(raw, '_priority_', 0, MAX_PRIORITY, 0);
  if (!ok(req, res, prio)) return;
  send(req, res, 200, String(queue.count(q.tags, raw === undefined ? undefined : prio.value)));
}

async function commit(queue: Queue, q: QueueQuery, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const indexes = parseIndexes(q.options.get('_indexes_'));
  const negative = parseFlag(q.options.get('_negative_'), '_negative_', false);
  if (!ok(req, res, indexes) || !ok(req, res, negative)) return;
  if (!negative.value) {
    queue.remove(indexes.value);
    return send(req, res, 200, 'OK');
  }
  const body = await readBody(req, MAX_FORM_BYTES);
  if (!body)
    return send(req, res, 413, {
      code: 'BODY_TOO_LARGE',
      message: `a negative ack's form is at most ${MAX_FORM_BYTES} bytes`,
    });
  const form = new URLSearchParams(body.toString('utf8'));
  const code = form.get('_code_') ?? '';
  if (code !== '' && (code.length > 20 || !NACK_CODE.test(code))) {
    return bad(
      req,
      res,
      `_code_ ${JSON.stringify(code.slice(0, 40))} must be CamelCase words (e.g. Shutdown) or digits, at most 20 characters`,
    );
  }
  queue.release(indexes.value);
  send(req, res, 200, 'OK');
}

function remove(queue: Queue, q: QueueQuery, req: IncomingMessage, res: ServerResponse): void {
  const indexes = parseIndexes(q.options.get('_indexes_'));
  if (!ok(req, res, indexes)) return;
  queue.remove(indexes.value);
  send(req, res, 200, 'OK');
}

function truncate(queue: Queue, q: QueueQuery, req: IncomingMessage, res: ServerResponse): void {
  const flag = parseFlag(q.options.get('_trunc_'), '_trunc_', true);
  if (!ok(req, res, flag)) return;
  const index = parseIndex(q.options.get('_index_'), 0);
  if (!q.options.has('_index_')) {
    bad(req, res, 'truncate needs _index_: items below it are dropped');
    return;
  }
  if (!ok(req, res, index)) return;
  queue.truncate(index.value);
  send(req, res, 200, 'OK');
}

function endOfStream(queue: Queue, q: QueueQuery, req: IncomingMessage, res: ServerResponse): void {
  const force = parseFlag(q.options.get('_force_'), '_force_', false);
  const eos = parseFlag(q.options.get('_eos_'), '_eos_', true);
  if (!ok(req, res, force) || !ok(req, res, eos)) return;
  if (eos.value) queue.endOfStream(force.value);
  send(req, res, 200, 'OK');
}
