// Streaming test server for Pier: Node's standard library only.
//
// Routes (also served under the EAS direct-mode prefix /api/predict/<service>):
//   POST /                       echoes the JSON body with this instance's identity
//   GET  /sse?n=5&interval_ms=100  n Server-Sent Events, then the response ends
//   GET  /nul?n=5&interval_ms=100  n JSON chunks each followed by a NUL byte
//                                 (the framing LangChain's PAI-EAS client reads)
//   GET  /slow?ms=1500           answers after a delay
//   GET  /health                 200 "ok" (503 while draining)
//
// Env: PORT (default 8000), PIER_SERVICE, PIER_INSTANCE, PIER_REVISION.
// SIGTERM/SIGINT: stop accepting, let in-flight requests finish, exit 0
// (25 s at most; streams still open then are cut).

import http from 'node:http';

const PORT = Number(process.env.PORT ?? 8000);
const DRAIN_MS = 25_000;
const MAX_BODY_BYTES = 1 << 20;
const PREFIX_RE = /^\/api\/predict\/[^/?#]+/;

const identity = () => ({
  service: process.env.PIER_SERVICE ?? null,
  instance: process.env.PIER_INSTANCE ?? null,
  revision: process.env.PIER_REVISION ?? null,
});

const log = (msg) => console.log(`${new Date().toISOString()} ${msg}`);

let draining = false;
const inFlight = new Set();

function sendJson(res, status, body) {
  const data = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(data),
    ...(draining ? { connection: 'close' } : {}),
  });
  res.end(data);
}

function sendError(res, status, code, message) {
  sendJson(res, status, { error: message, code, ...identity() });
}

/** Reads an integer query parameter; returns [value] or [undefined, message]. */
function intParam(query, name, def, min, max) {
  const raw = query.get(name);
  if (raw === null || raw === '') return [def];
  if (!/^\d+$/.test(raw)) return [undefined, `${name} must be a whole number, got "${raw}"`];
  const v = Number(raw);
  if (v < min || v > max) return [undefined, `${name} must be between ${min} and ${max}, got ${v}`];
  return [v];
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error(`body over ${MAX_BODY_BYTES} bytes`), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Writes `n` items every `intervalMs`; stops early if the client goes away. */
function stream(req, res, n, intervalMs, write) {
  return new Promise((resolve) => {
    let i = 0;
    let timer;
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    res.on('close', finish); // client disconnected, or we ended
    const tick = () => {
      if (res.destroyed) return finish();
      write(i);
      i += 1;
      if (i >= n) {
        res.end();
        return finish();
      }
      timer = setTimeout(tick, intervalMs);
    };
    tick();
  });
}

const words = 'the quick brown fox jumps over the lazy dog'.split(' ');

async function handle(req, res, url) {
  let path = url.pathname;
  const m = PREFIX_RE.exec(path);
  if (m) path = path.slice(m[0].length) || '/';
  const q = url.searchParams;

  if (path === '/health') {
    if (draining) return sendError(res, 503, 'DRAINING', 'shutting down');
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
    return res.end('ok\n');
  }

  if (path === '/') {
    if (req.method === 'GET') {
      return sendJson(res, 200, {
        app: 'node-stream',
        routes: ['POST /', 'GET /sse?n=&interval_ms=', 'GET /nul?n=&interval_ms=', 'GET /slow?ms=', 'GET /health'],
        ...identity(),
      });
    }
    if (req.method !== 'POST') {
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} not allowed on /; use POST`);
    }
    let body;
    try {
      body = await readBody(req);
    } catch (e) {
      return sendError(res, e.status ?? 400, 'BAD_REQUEST', e.message);
    }
    let parsed = null;
    if (body.length > 0) {
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (e) {
        return sendError(res, 400, 'BAD_REQUEST', `body is not valid JSON: ${e.message}`);
      }
    }
    return sendJson(res, 200, { echo: parsed, path: url.pathname, query: Object.fromEntries(q), ...identity() });
  }

  if (path === '/sse' || path === '/nul') {
    if (req.method !== 'GET') {
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} not allowed on ${path}; use GET`);
    }
    const [n, e1] = intParam(q, 'n', 5, 1, 10_000);
    const [intervalMs, e2] = intParam(q, 'interval_ms', 100, 0, 60_000);
    if (e1 || e2) return sendError(res, 400, 'BAD_REQUEST', e1 ?? e2);
    const id = identity();
    if (path === '/sse') {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      return stream(req, res, n, intervalMs, (i) => {
        const data = JSON.stringify({ index: i, n, token: words[i % words.length], ...id });
        res.write(`id: ${i}\nevent: message\ndata: ${data}\n\n`);
      });
    }
    // NUL-delimited: each chunk is the whole text so far, as LLM servers of the
    // LangChain PAI-EAS client send it ("response"); "text" is the older vLLM key.
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    let text = '';
    return stream(req, res, n, intervalMs, (i) => {
      text += (i ? ' ' : '') + words[i % words.length];
      res.write(`${JSON.stringify({ response: text, text, index: i, instance: id.instance })}\0`);
    });
  }

  if (path === '/slow') {
    const [ms, err] = intParam(q, 'ms', 1500, 0, 600_000);
    if (err) return sendError(res, 400, 'BAD_REQUEST', err);
    await new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      res.on('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
    if (res.destroyed) return;
    return sendJson(res, 200, { slept_ms: ms, ...identity() });
  }

  return sendError(res, 404, 'NOT_FOUND', `no route ${path}; try POST /, GET /sse, GET /nul, GET /slow, GET /health`);
}

const server = http.createServer((req, res) => {
  const t0 = performance.now();
  inFlight.add(res);
  res.on('close', () => {
    inFlight.delete(res);
    log(`${req.socket.remoteAddress} ${req.method} ${req.url} ${res.statusCode} ${(performance.now() - t0).toFixed(1)}ms${res.writableFinished ? '' : ' (aborted)'}`);
    if (draining && inFlight.size === 0) exit('in-flight requests finished');
  });
  let url;
  try {
    url = new URL(req.url, 'http://localhost');
  } catch {
    return sendError(res, 400, 'BAD_REQUEST', 'malformed URL');
  }
  handle(req, res, url).catch((e) => {
    log(`error on ${req.method} ${req.url}: ${e.stack ?? e}`);
    if (!res.headersSent) sendError(res, 500, 'INTERNAL', String(e.message ?? e));
    else res.destroy();
  });
});

server.keepAliveTimeout = 60_000; // the gateway reuses connections

let exiting = false;
function exit(why) {
  if (exiting) return;
  exiting = true;
  log(`${why}; exiting`);
  process.exit(0);
}

function shutdown(signal) {
  if (draining) return;
  draining = true;
  log(`received ${signal}; draining ${inFlight.size} in-flight request(s)`);
  server.close(); // stop accepting; open keep-alive connections close when idle
  server.closeIdleConnections();
  if (inFlight.size === 0) return exit('nothing in flight');
  setTimeout(() => exit(`${inFlight.size} request(s) still running after ${DRAIN_MS / 1000}s`), DRAIN_MS).unref();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

server.on('error', (e) => {
  log(`cannot listen on 127.0.0.1:${PORT}: ${e.message}`);
  process.exit(1);
});
server.listen(PORT, '127.0.0.1', () => {
  const id = identity();
  log(`listening on http://127.0.0.1:${PORT} service=${id.service} instance=${id.instance} revision=${id.revision}`);
});
