import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AUTH_FORMS, checkAuthorization } from './auth.js';
import { countRequest, type GatewayCore, recordDone, secretOf } from './core.js';
import { connectionListed } from './respond.js';
import { parseRoute } from './route.js';
import type { Endpoint } from './types.js';
import { hasValidCookie } from './webapp.js';

/**
 * WebSocket (any `Upgrade`) under /api/predict/<service>/… or /web/<service>/…:
 * authenticated from headers (or the web-app cookie) like any call, then tunnelled
 * as raw TCP to one ready instance: the upgrade request is written again with the
 * rewritten path, and the two sockets are piped until either side closes. A tunnel
 * counts as in flight for drain but does not hold a worker slot.
 */
export function handleUpgrade(
  core: GatewayCore,
  tunnels: Set<Duplex>,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
) {
  const startedNs = process.hrtime.bigint();
  const route = parseRoute(req.url ?? '/');
  const svc = route && route.kind !== 'discovery' ? core.snapshot.services[route.service] : undefined;
  let stats: { inflight: number } | undefined;
  const refuse = (status: number, text: string, extra = '') => {
    const body = JSON.stringify({ code: status === 401 ? 'UNAUTHORIZED' : 'UPGRADE_FAILED', message: text });
    client.end(
      `HTTP/1.1 ${status} ${text.split(';')[0]}\r\nconnection: close\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    if (stats) stats.inflight--;
    if (svc)
      recordDone(core, { method: 'GET', service: svc.name, instance: '', status, startedNs, bytesIn: 0, bytesOut: 0 });
  };
  client.on('error', () => client.destroy());
  if (!route || !svc || (route.kind === 'web' && !svc.enableWebservice)) {
    refuse(404, 'Not Found');
    return;
  }
  stats = countRequest(core, svc.name);
  const counted = stats;
  const cookieOk = route.kind === 'web' && hasValidCookie(req.headers, svc.name, svc.token);
  const verdict = cookieOk ? 'ok' : checkAuthorization(req.headers, route, secretOf(core, svc)).kind;
  if (verdict === 'missing') {
    refuse(401, `Unauthorized; ${AUTH_FORMS}`, 'www-authenticate: Bearer realm="pier"\r\n');
    return;
  }
  if (verdict !== 'ok') {
    refuse(401, `Unauthorized; ${AUTH_FORMS}`);
    return;
  }
  const candidates = svc.endpoints.filter((e) => !core.upstreams.isDown(core.upstreams.state(svc.name, e)));
  const list = candidates.length > 0 ? candidates : svc.endpoints;
  const tried = new Set<string>();
  const attempt = (): void => {
    const open = list.filter((e) => !tried.has(e.instanceId));
    const ep = core.proxy.policy(open, core.proxy.outstanding, core.proxy.random);
    if (!ep || tried.size > core.proxy.retries) {
      refuse(503, 'Service Unavailable; no healthy upstream');
      return;
    }
    tried.add(ep.instanceId);
    tunnel(ep, () => attempt());
  };
  const tunnel = (ep: Endpoint, retry: () => void) => {
    const state = core.upstreams.state(svc.name, ep);
    const upstream: Socket = connect(ep.port, ep.host);
    let open = false;
    upstream.once('error', () => {
      if (!open) {
        core.upstreams.markDown(state, core.proxy.passiveHealthMs);
        retry();
      }
    });
    upstream.once('connect', () => {
      open = true;
      core.upstreams.openTunnel(state);
      tunnels.add(client);
      stats = undefined;
      upstream.on('error', () => client.destroy());
      upstream.setNoDelay(true);
      upstream.write(upgradeHead(req, route.query === '' ? route.subPath : route.subPath + '?' + route.query));
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
        recordDone(core, {
          method: 'GET',
          service: svc.name,
          instance: ep.instanceId,
          status: 101,
          startedNs,
          bytesIn: upstream.bytesWritten,
          bytesOut: upstream.bytesRead,
        });
      };
      upstream.once('close', close);
      client.once('close', close);
      upstream.pipe(client);
      client.pipe(upstream);
    });
  };
  attempt();
}

/** The upgrade request again, for the instance: path rewritten, proxy headers added. */
function upgradeHead(req: IncomingMessage, path: string): string {
  const listed = connectionListed(req.headers.connection);
  let out = `${req.method ?? 'GET'} ${path} HTTP/1.1\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    // Connection and Upgrade stay (they carry the upgrade); other listed ones go.
    if (lower === 'keep-alive' || lower.startsWith('proxy-') || lower === 'te' || lower === 'trailer') continue;
    if (listed?.has(lower) && lower !== 'upgrade') continue;
    if (lower === 'x-forwarded-for') continue;
    out += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  const prior = req.headers['x-forwarded-for'];
  const remote = req.socket.remoteAddress ?? '';
  out += `x-forwarded-for: ${prior ? `${prior}, ${remote}` : remote}\r\nx-forwarded-proto: http\r\n`;
  if (req.headers.host) out += `x-forwarded-host: ${req.headers.host}\r\n`;
  return out + '\r\n';
}
