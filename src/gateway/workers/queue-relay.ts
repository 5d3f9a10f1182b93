import { type ClientRequest, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { tokenMatches, tokenSecret } from '../auth.js';
import { payloadTooLarge, type QueueSide, queueBoundsOf } from '../queue-side.js';
import { filterRawHeaders } from '../respond.js';
import type { QueueFront, ServiceRoute } from '../types.js';

/**
 * Async services' queues with `--gateway-workers` > 1. The queue service (src/queue)
 * lives in the main thread only, so a worker thread's gateway, once it has routed
 * and authenticated a queue call, relays it over loopback HTTP to the main
 * thread, which serves it as its own gateway would: the same handlers, so the EAS
 * queue protocol (put, get, commit, watch over WebSocket) is exactly the one
 * callers of the main thread see. The relay listens on 127.0.0.1 and takes only
 * requests carrying this process's random secret (in memory, never logged).
 *
 * Each relayed call opens its own loopback connection (no keep-alive): a pooled
 * socket the server closed while idle would fail a put whose body is already on
 * its way, and it cannot be replayed. A body goes only after `100 Continue`
 * (RFC 9110 §10.1.1), which the main thread sends when its handler reads it.
 */

const SECRET_HEADER = 'x-pier-queue-relay';
const SERVICE_HEADER = 'x-pier-queue-service';

export interface QueueRelayServer {
  /** The loopback port, once listening. */
  ready: Promise<number>;
  close(): Promise<void>;
}

/** The main thread's end: serves relayed calls with `front`, the service looked up in this thread's snapshot. */
export function startQueueRelay(
  front: QueueFront,
  lookup: (name: string) => ServiceRoute | undefined,
  secret: string,
): QueueRelayServer {
  const expected = tokenSecret(secret);
  const admit = (req: IncomingMessage): { svc: ServiceRoute; subPath: string; query: string } | string => {
    const sent = req.headers[SECRET_HEADER];
    if (typeof sent !== 'string' || !tokenMatches(sent, expected)) return 'not a queue relay call';
    const name = req.headers[SERVICE_HEADER];
    const svc = typeof name === 'string' ? lookup(name) : undefined;
    if (!svc?.queue) return `no async service "${String(name)}" in the main thread's snapshot`;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    return { svc, subPath: q === -1 ? url : url.slice(0, q), query: q === -1 ? '' : url.slice(q + 1) };
  };
  // The worker's gateway already applied its limits; a watch or a long get may be quiet for minutes.
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const call = admit(req);
    if (typeof call === 'string') {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ code: 'SERVICE_NOT_FOUND', message: call }));
      return;
    }
    front.handle(call.svc, call.subPath, call.query, req, res);
  };
  const server = createServer({ requestTimeout: 0 }, onRequest);
  // A relayed body waits for `100 Continue`, sent once the handler starts reading it: a
  // put refused unread (413) is answered before any of its body is sent, so the answer
  // is never lost to the reset of a connection closed with unread bytes.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    // Node resumes an unread body itself once the answer is out (to discard it): no `100` then.
    req.once('resume', () => {
      if (!res.headersSent) res.writeContinue();
    });
    onRequest(req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const call = admit(req);
    if (typeof call === 'string') {
      socket.end(rawAnswer(404, 'Not Found', 'SERVICE_NOT_FOUND', call));
      return;
    }
    front.upgrade(call.svc, call.subPath, call.query, req, socket, head);
  });
  const sockets = new Set<Duplex>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const ready = new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  // Awaited by the first listen; a gateway closed before it must not leave a rejection unhandled.
  ready.catch(() => {});
  return {
    ready,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** A worker thread's end: a QueueFront that relays to the main thread once `connect` gave its port. */
export interface QueueRelayFront extends QueueFront {
  connect(port: number): void;
}

export function relayQueueFront(secret: string): QueueRelayFront {
  let port: number | undefined;
  const target = (
    svc: ServiceRoute,
    subPath: string,
    query: string,
    req: IncomingMessage,
    upgrade: boolean,
    body = false,
  ) => {
    const headers = relayHeaders(req, upgrade);
    headers.push(SECRET_HEADER, secret, SERVICE_HEADER, svc.name);
    if (body) headers.push('expect', '100-continue');
    return request({
      host: '127.0.0.1',
      port,
      method: req.method ?? 'GET',
      path: query === '' ? subPath : `${subPath}?${query}`,
      headers,
      agent: false,
    });
  };
  return {
    connect(p) {
      port = p;
    },
    handle(svc, subPath, query, req, res) {
      if (port === undefined) {
        unavailable(res);
        return;
      }
      const body = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
      const up = target(svc, subPath, query, req, false, body);
      let answered = false;
      const bound = req.headers['content-length'] === undefined ? chunkedPutBound(svc, subPath, req) : undefined;
      if (body) {
        up.once('continue', () => {
          req.pipe(up);
          if (bound) limitChunkedPut(req, up, res, bound, () => answered);
        });
      } else up.end();
      up.once('response', (answer: IncomingMessage) => {
        answered = true;
        // The main thread's `connection: close` (after a refused put) reaches the caller too.
        const close = /\bclose\b/i.test(String(answer.headers.connection ?? ''));
        const headers = filterRawHeaders(answer.rawHeaders, close ? ['connection', 'close'] : []);
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
        answer.pipe(res);
        // Answered without the body (never asked for): this loopback request is done.
        answer.once('end', () => up.destroy());
        // A connection lost mid-answer: the caller must not take a cut answer for a whole one.
        answer.once('aborted', () => res.destroy());
        answer.once('error', () => res.destroy());
      });
      // After the answer began, an error is the request side's (a refusal before the whole
      // body was sent): the answer itself is relayed or aborted above.
      up.on('error', () => {
        if (!answered) unavailable(res);
      });
      // The caller left: the main thread's handler sees its side close too (a long get stops waiting).
      res.once('close', () => up.destroy());
    },
    upgrade(svc, subPath, query, req, socket, head) {
      if (port === undefined) {
        socket.end(rawAnswer(503, 'Service Unavailable', 'UNAVAILABLE', NOT_READY));
        return;
      }
      const up = target(svc, subPath, query, req, true, false);
      let settled = false;
      up.once('upgrade', (answer: IncomingMessage, upstream: Socket, upHead: Buffer) => {
        settled = true;
        let text = `HTTP/1.1 101 ${answer.statusMessage ?? 'Switching Protocols'}\r\n`;
        const raw = answer.rawHeaders;
        for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
        socket.write(`${text}\r\n`);
        if (upHead.length > 0) socket.write(upHead);
        if (head.length > 0) upstream.write(head);
        const close = () => {
          upstream.destroy();
          socket.destroy();
        };
        upstream.on('error', close);
        upstream.once('close', close);
        socket.once('close', close);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      up.once('response', (answer: IncomingMessage) => {
        // A refused watch (400, 404): relayed as it is, then the connection closes.
        settled = true;
        const headers = filterRawHeaders(answer.rawHeaders, ['connection', 'close']);
        let text = `HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ''}\r\n`;
        for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
        socket.write(`${text}\r\n`);
        answer.pipe(socket);
      });
      up.once('error', () => {
        if (settled) return;
        settled = true;
        socket.end(rawAnswer(503, 'Service Unavailable', 'UNAVAILABLE', NOT_READY));
      });
      socket.once('close', () => {
        if (!settled) up.destroy();
      });
      up.end();
    },
  };
}

/**
 * A chunked put declares no length, so the main thread finds it too large only while
 * reading it, and its 413 would race the reset of the loopback connection it closes with
 * body bytes unread. This thread has sent every byte first: past the queue's bound it
 * stops, drops the relayed call and answers the 413 itself.
 */
function chunkedPutBound(
  svc: ServiceRoute,
  subPath: string,
  req: IncomingMessage,
): { side: QueueSide; maxBytes: number } | undefined {
  if (req.method !== 'POST' || !svc.queue) return undefined;
  const target = queueBoundsOf(svc.queue, subPath);
  return target && { side: target.side, maxBytes: target.bounds.maxPayloadBytes };
}

function limitChunkedPut(
  req: IncomingMessage,
  up: ClientRequest,
  res: ServerResponse,
  bound: { side: QueueSide; maxBytes: number },
  answered: () => boolean,
): void {
  let sent = 0;
  const count = (chunk: Buffer) => {
    sent += chunk.length;
    if (sent <= bound.maxBytes) return;
    req.off('data', count);
    req.unpipe(up);
    // An answer already on its way (the main thread refused the put for another reason) is relayed whole.
    if (answered()) return;
    up.destroy();
    if (res.headersSent || res.destroyed) return;
    res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
    res.end(JSON.stringify({ code: 'BODY_TOO_LARGE', message: payloadTooLarge(bound.side, bound.maxBytes) }));
  };
  req.on('data', count);
}

const NOT_READY = "the queue service (the gateway's main thread) did not answer";

function unavailable(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(503, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ code: 'UNAVAILABLE', message: NOT_READY }));
}

function rawAnswer(status: number, reason: string, code: string, message: string): string {
  const body = JSON.stringify({ code, message });
  return `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** The caller's headers for the relay: hop-by-hop ones dropped (an upgrade keeps Connection and Upgrade). */
function relayHeaders(req: IncomingMessage, upgrade: boolean): string[] {
  const out: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (lower === SECRET_HEADER || lower === SERVICE_HEADER || lower === 'host' || lower === 'expect') continue;
    if (lower === 'keep-alive' || lower === 'te' || lower === 'trailer' || lower.startsWith('proxy-')) continue;
    if (lower === 'transfer-encoding') continue; // node frames the piped body itself
    if ((lower === 'connection' || lower === 'upgrade') && !upgrade) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  out.push('host', '127.0.0.1');
  return out;
}
