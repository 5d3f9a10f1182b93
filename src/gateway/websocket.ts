import { type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { countRequest, type GatewayCore, recordDone } from './core.js';
import { pickEndpointByKey } from './groups/pick.js';
import { asyncElsewhere, connectionListed, filterRawHeaders } from './respond.js';
import { revisionCandidates } from './revisions.js';
import { parseRoute } from './route.js';
import type { Endpoint } from './types.js';
import { upgradeTarget } from './upgrade-target.js';

/**
 * WebSocket (any `Upgrade`) under /api/predict/<service>/… or /web/<service>/…:
 * authenticated from headers (or the web-app cookie) like any call, then sent to
 * one ready instance with the rewritten path. A 101 makes it a raw TCP tunnel (the
 * two sockets piped until either side closes); any other answer is relayed as a
 * normal response and the client connection is closed. A tunnel counts as in
 * flight for drain but does not hold a worker slot.
 */
export function handleUpgrade(
  core: GatewayCore,
  tunnels: Set<Duplex>,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
) {
  const startedNs = process.hrtime.bigint();
  const parsed = parseRoute(req.url ?? '/');
  const target = upgradeTarget(core, req, parsed);
  const group = target.group;
  let stats = target.svc ? countRequest(core, target.svc.name) : undefined;
  const done = (instance: string, status: number, bytesIn: number, bytesOut: number) => {
    const e = { method: 'GET', service: target.svc?.name ?? '', instance, status, startedNs, bytesIn, bytesOut };
    recordDone(core, group === undefined ? e : { ...e, group });
  };
  const refuse = (status: number, text: string, extra = '') => {
    const body = JSON.stringify({ code: status === 401 ? 'UNAUTHORIZED' : 'UPGRADE_FAILED', message: text });
    client.end(
      `HTTP/1.1 ${status} ${text.split(';')[0]}\r\nconnection: close\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    if (stats) stats.inflight--;
    stats = undefined;
    if (target.svc || group !== undefined) done('', status, 0, 0);
  };
  client.on('error', () => client.destroy());
  if (target.kind === 'refuse') {
    refuse(target.status, target.text, target.challenge ? 'www-authenticate: Bearer realm="pier"\r\n' : '');
    return;
  }
  const { svc, affinity } = target;
  // A target to serve comes from a route.
  const route = parsed!;
  const counted = stats!;
  if (svc.queue) {
    // An async service's WebSocket is a queue watch (src/queue), authenticated above.
    if (!core.queues) {
      refuse(503, `Service Unavailable; ${asyncElsewhere(svc.name)}`);
      return;
    }
    client.once('close', () => {
      counted.inflight--;
      done('', 101, 0, 0);
    });
    core.queues.upgrade(svc, route.subPath, route.query, req, client, head);
    return;
  }
  const candidates = svc.endpoints.filter((e) => !core.upstreams.isDown(core.upstreams.state(svc.name, e)));
  const list = candidates.length > 0 ? candidates : svc.endpoints;
  const tried = new Set<string>();
  const attempt = (): void => {
    const untried = list.filter((e) => !tried.has(e.instanceId));
    // A revision split picks the revision first; the policy (or a group's affinity
    // key, rendezvous hashing as for HTTP) then picks within it.
    const open = revisionCandidates(svc.traffic, untried, core.proxy.random);
    const ep =
      affinity === undefined
        ? core.proxy.policy(open, core.proxy.outstanding, core.proxy.random)
        : pickEndpointByKey(open, affinity);
    if (!ep || tried.size > core.proxy.retries) {
      refuse(503, 'Service Unavailable; no healthy upstream');
      return;
    }
    tried.add(ep.instanceId);
    tunnel(ep, () => attempt());
  };
  const tunnel = (ep: Endpoint, retry: () => void) => {
    const state = core.upstreams.state(svc.name, ep);
    let connected = false;
    let settled = false;
    const path = route.query === '' ? route.subPath : route.subPath + '?' + route.query;
    // node's client parses the instance's answer: only a 101 becomes a tunnel, any
    // other status is relayed as an ordinary answer and the client connection ends,
    // so bytes after the upgrade request never reach the instance unauthenticated.
    const up = request({
      host: ep.host,
      port: ep.port,
      method: req.method ?? 'GET',
      path,
      headers: upgradeHeaders(req),
      setHost: false,
      agent: false,
    });
    up.once('socket', (s) => {
      s.setNoDelay(true);
      s.once('connect', () => {
        connected = true;
        tunnels.add(client);
      });
    });
    up.on('error', () => {
      if (settled) return;
      settled = true;
      tunnels.delete(client);
      if (!connected) {
        core.upstreams.markDown(state, core.proxy.passiveHealthMs);
        retry();
      } else refuse(502, `Bad Gateway; instance ${ep.instanceId} failed during the upgrade`);
    });
    up.once('response', (res: IncomingMessage) => {
      settled = true;
      const out = filterRawHeaders(res.rawHeaders, ['x-pier-instance', ep.instanceId, 'connection', 'close']);
      let text = `HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}\r\n`;
      for (let i = 0; i < out.length; i += 2) text += `${out[i]}: ${out[i + 1]}\r\n`;
      client.write(text + '\r\n');
      // No Transfer-Encoding is passed on: without Content-Length, the close ends the body.
      res.pipe(client, { end: false });
      let bytesOut = 0;
      res.on('data', (c: Buffer) => {
        bytesOut += c.length;
      });
      const finished = () => {
        tunnels.delete(client);
        counted.inflight--;
        stats = undefined;
        endClient(client);
        res.destroy();
        done(ep.instanceId, res.statusCode ?? 502, 0, bytesOut);
      };
      res.once('end', finished);
      res.once('error', finished);
    });
    up.once('upgrade', (res: IncomingMessage, upstream: Socket, upHead: Buffer) => {
      settled = true;
      core.upstreams.openTunnel(state);
      stats = undefined;
      upstream.on('error', () => client.destroy());
      let text = `HTTP/1.1 101 ${res.statusMessage ?? 'Switching Protocols'}\r\n`;
      const raw = res.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
      client.write(text + '\r\n');
      if (upHead.length > 0) client.write(upHead);
      // What the client sent after its upgrade request belongs to the new protocol.
      if (head.length > 0) upstream.write(head);
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        upstream.destroy();
        client.destroy();
        tunnels.delete(client);
        counted.inflight--;
        core.upstreams.closeTunnel(state);
        done(ep.instanceId, 101, upstream.bytesWritten, upstream.bytesRead);
      };
      upstream.once('close', close);
      client.once('close', close);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    client.once('close', () => {
      if (settled) return;
      // The client left before the instance answered: abandon the attempt, log 499.
      settled = true;
      up.destroy();
      tunnels.delete(client);
      if (stats) stats.inflight--;
      stats = undefined;
      done(ep.instanceId, 499, 0, 0);
    });
    up.end();
  };
  attempt();
}

/**
 * Ends a client connection after an answer: our FIN goes out, what the client
 * still sends is read and dropped (closing with unread data would reset the
 * connection and could lose the answer), and the socket goes when the client
 * closes its side or after a grace period.
 */
function endClient(client: Duplex): void {
  client.unpipe();
  client.end();
  client.resume();
  const timer = setTimeout(() => client.destroy(), END_GRACE_MS);
  timer.unref();
  client.once('close', () => clearTimeout(timer));
  client.once('end', () => client.destroy());
}

const END_GRACE_MS = 5000;

/** The upgrade request's headers for the instance: proxy headers added, hop-by-hop ones dropped. */
function upgradeHeaders(req: IncomingMessage): string[] {
  const listed = connectionListed(req.headers.connection);
  const out: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    // Connection and Upgrade stay (they carry the upgrade); other listed ones go.
    if (lower === 'keep-alive' || lower.startsWith('proxy-') || lower === 'te' || lower === 'trailer') continue;
    // An upgrade request carries no body here; what follows it is the new protocol's.
    if (lower === 'content-length' || lower === 'transfer-encoding') continue;
    if (listed?.has(lower) && lower !== 'upgrade') continue;
    if (lower === 'x-forwarded-for') continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  const prior = req.headers['x-forwarded-for'];
  const remote = req.socket.remoteAddress ?? '';
  out.push('x-forwarded-for', prior ? `${prior}, ${remote}` : remote, 'x-forwarded-proto', 'http');
  if (req.headers.host) out.push('x-forwarded-host', req.headers.host);
  return out;
}
