/**
 * Shared by the hostile-input suite: raw sockets against a real gateway, a backend
 * that records every request it sees. Every wait is bounded.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, connect, type Socket } from 'node:net';
import { type Backend, startBackend } from '../support/gateway.js';
import type { Endpoint } from '../../src/gateway/types.js';

export interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
}

/** A backend answering 200 `ok` after reading the body, recording what reached it. */
export async function recordingBackend(
  answer?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Backend & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const backend = await startBackend((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    req.on('end', () => {
      if (answer) answer(req, res);
      else res.end('ok');
    });
  });
  return Object.assign(backend, { seen });
}

export interface RawExchange {
  /** Everything the gateway sent until it closed the connection (or `idleMs` passed quietly). */
  text: string;
  /** True when the gateway closed the connection. */
  closed: boolean;
}

/**
 * Writes `bytes` on a fresh connection and collects the answer until the gateway
 * closes it, or until `waitFor(text)` holds, bounded by `maxMs`.
 */
export function rawExchange(
  port: number,
  bytes: string | Buffer,
  waitFor: (text: string) => boolean = () => false,
  maxMs = 15_000,
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => finish(false), maxMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (waitFor(text)) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

/** Statuses of the HTTP/1.1 answers in a raw byte stream, in order. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
}

export interface RawBackend {
  port: number;
  /** Request lines (`METHOD /path`) in arrival order, with their Authorization. */
  seen: Seen[];
  endpoint(id?: string): Endpoint;
  close(): Promise<void>;
}

/**
 * A lenient keep-alive instance on raw TCP, as many model servers are: it answers
 * every request head it finds with `200 ok` (Upgrade or not) and keeps reading the
 * same connection, Content-Length framed. What a gateway lets through, it sees.
 */
export async function rawBackend(): Promise<RawBackend> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    let skip = 0;
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          skip -= n;
          buf = buf.subarray(n);
          if (skip > 0) return;
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
        const [line = '', ...fields] = head.split('\r\n');
        const [method = '', url = ''] = line.split(' ');
        const get = (name: string) =>
          fields
            .find((f) => f.toLowerCase().startsWith(`${name}:`))
            ?.slice(name.length + 1)
            .trim();
        seen.push({ method, url, authorization: get('authorization') });
        skip = Number(get('content-length') ?? 0) || 0;
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    seen,
    endpoint: (id = `raw-${port}`) => ({ instanceId: id, host: '127.0.0.1', port, revision: 1 }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
