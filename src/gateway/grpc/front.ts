import type { Server as HttpServer } from 'node:http';
import type { Clock } from '../../clock.js';
import { createServer, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { GrpcDeps } from './call.js';
import { handleGrpcStream } from './handle.js';
import { H2_WINDOW } from './sessions.js';

/**
 * HTTP/1.1 and HTTP/2 on one port. The HTTP server keeps listening (so its
 * limits, address and close work unchanged); its `connection` listener is
 * wrapped to look at the first bytes: the HTTP/2 client preface
 * (`PRI * HTTP/2.0…`, "prior knowledge", how gRPC clients connect over h2c)
 * hands the socket to an `http2` server, anything else goes to node:http as
 * before. `Upgrade: h2c` is not supported by node's http2 and is answered as
 * HTTP/1.1 (the upgrade is ignored).
 */

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface GrpcFront {
  h2: Http2Server;
  /**
   * Hands a decrypted TLS connection to HTTP/2 or HTTP/1.1 by the protocol the
   * client chose in ALPN (`h2` or `http/1.1`).
   */
  acceptTls(socket: TLSSocket): void;
  /** Client HTTP/2 sessions currently open. */
  sessions(): number;
  /** Destroys every client HTTP/2 session. */
  close(): void;
}

export interface FrontOptions {
  /** Time to see the first bytes (the slow-loris guard of the sniffer). */
  sniffTimeoutMs: number;
  /** A session without open streams for this long is closed (as HTTP/1 keep-alive). */
  idleTimeoutMs: number;
  clock: Clock;
}

export function attachGrpcFront(http: HttpServer, deps: GrpcDeps, opts: FrontOptions): GrpcFront {
  const h2 = createServer({ settings: { initialWindowSize: H2_WINDOW } });
  const open = new Set<ServerHttp2Session>();
  h2.on('session', (session: ServerHttp2Session) => {
    open.add(session);
    session.on('error', () => session.destroy());
    session.once('close', () => open.delete(session));
    session.once('connect', () => session.setLocalWindowSize(H2_WINDOW));
    watchIdle(session, opts);
  });
  h2.on('stream', (stream, headers) => handleGrpcStream(deps, stream, headers));
  const toH2 = (socket: Socket | TLSSocket) => {
    // node:http's sockets allow half-open connections and http2 never ends one
    // itself: without this a client FIN leaves the socket in CLOSE-WAIT for good.
    // HTTP/2 has no use for a half-closed connection (RFC 9113 §5.1 closes streams
    // with frames), so the session ends with it.
    socket.once('end', () => socket.destroy());
    h2.emit('connection', socket);
  };

  const h1 = http.listeners('connection') as ((socket: Socket) => void)[];
  http.removeAllListeners('connection');
  http.on('connection', (socket: Socket) =>
    sniff(socket, opts.sniffTimeoutMs, (isH2) => {
      // http2 reads what is buffered on the next tick; node:http needs the socket flowing again.
      if (isH2) toH2(socket);
      else {
        for (const listener of h1) listener.call(http, socket);
        socket.resume();
      }
    }),
  );
  return {
    h2,
    acceptTls(socket) {
      if (socket.alpnProtocol === 'h2') toH2(socket);
      else http.emit('connection', socket);
    },
    sessions: () => open.size,
    close() {
      for (const session of open) session.destroy();
    },
  };
}

/**
 * Closes (GOAWAY) a session that has had no open stream for `idleTimeoutMs`. Not
 * node's session.setTimeout, which counts frames: a quiet gRPC server stream is
 * busy, not idle.
 */
function watchIdle(session: ServerHttp2Session, opts: FrontOptions): void {
  const { clock, idleTimeoutMs } = opts;
  if (!(idleTimeoutMs > 0)) return;
  let streams = 0;
  let timer = clock.setTimeout(expire, idleTimeoutMs);
  function expire() {
    if (session.destroyed) return;
    session.close();
    // Nothing is open, so nothing is lost: do not wait for the client to agree.
    session.destroy();
  }
  session.on('stream', (stream) => {
    streams++;
    clock.clearTimeout(timer);
    stream.once('close', () => {
      if (--streams === 0 && !session.destroyed) timer = clock.setTimeout(expire, idleTimeoutMs);
    });
  });
  session.once('close', () => clock.clearTimeout(timer));
}

/** Reads until the bytes either are or cannot be the HTTP/2 preface, then puts them back. */
function sniff(socket: Socket, timeoutMs: number, decide: (isH2: boolean) => void): void {
  let seen: Buffer | undefined;
  const cleanup = () => {
    socket.off('data', onData);
    socket.off('error', onGone);
    socket.off('end', onGone);
    socket.off('timeout', onGone);
    socket.setTimeout(0);
  };
  const onGone = () => {
    cleanup();
    socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    seen = seen ? Buffer.concat([seen, chunk]) : chunk;
    const n = Math.min(seen.length, PREFACE.length);
    const isPrefix = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (isPrefix && n < PREFACE.length) return;
    cleanup();
    socket.pause();
    socket.unshift(seen);
    decide(isPrefix);
  };
  socket.setTimeout(timeoutMs);
  socket.on('data', onData);
  socket.once('error', onGone);
  socket.once('end', onGone);
  socket.once('timeout', onGone);
}
