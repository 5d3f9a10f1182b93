import { type ClientHttp2Session, connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import type { Endpoint, EndpointSnapshot } from '../types.js';

/**
 * One pooled HTTP/2 (h2c) connection per instance for gRPC calls, opened on first
 * use. A session that fails or is told to go away is forgotten (the next call opens
 * a new one); an instance that leaves the snapshot gets a graceful close: no new
 * streams, the open ones (a server stream in a rollout) run to their end.
 */

export interface UpstreamSession {
  session: ClientHttp2Session;
  /** True once the connection exists: a call that failed before it never reached the instance. */
  connected: boolean;
  /* Calls waiting for the connection add a `connect` listener each, hence no listener limit. */
}

/** Larger than HTTP/2's 64 KiB default so big messages are not throttled by flow control. */
export const H2_WINDOW = 1 << 20;

export class H2Sessions {
  private readonly pool = new Map<string, UpstreamSession & { key: string }>();
  /** Every open session, pooled or closing, so `close()` can end them all. */
  private readonly open = new Set<ClientHttp2Session>();

  get(ep: Endpoint): UpstreamSession {
    const key = `${ep.host}:${ep.port}`;
    const have = this.pool.get(ep.instanceId);
    if (have && have.key === key && !have.session.closed && !have.session.destroyed) return have;
    if (have) have.session.close();
    const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host;
    const session = connect(`http://${host}:${ep.port}`, {
      settings: { initialWindowSize: H2_WINDOW },
      // Small gRPC frames must not wait for Nagle's algorithm.
      createConnection: () => netConnect({ host: ep.host, port: ep.port, noDelay: true }),
    });
    const entry = { session, connected: false, key };
    this.pool.set(ep.instanceId, entry);
    this.open.add(session);
    const forget = () => {
      if (this.pool.get(ep.instanceId) === entry) this.pool.delete(ep.instanceId);
    };
    session.setMaxListeners(0);
    session.once('connect', () => {
      entry.connected = true;
      session.setLocalWindowSize(H2_WINDOW);
    });
    // Errors reach the streams; the session itself only needs to be dropped.
    session.on('error', forget);
    session.once('goaway', forget);
    session.once('close', () => {
      forget();
      this.open.delete(session);
    });
    return entry;
  }

  /** Gracefully closes the sessions of instances that are no longer endpoints. */
  sync(snapshot: EndpointSnapshot): void {
    const seen = new Set<string>();
    for (const svc of Object.values(snapshot.services)) for (const ep of svc.endpoints) seen.add(ep.instanceId);
    for (const [id, entry] of this.pool) {
      if (seen.has(id)) continue;
      this.pool.delete(id);
      entry.session.close();
    }
  }

  close(): void {
    for (const session of this.open) session.destroy();
    this.open.clear();
    this.pool.clear();
  }
}
