/**
 * Where a probe connects: the spec names the container's port (e.g. 8000), the
 * instance actually listens on `target.port` (the process runtime picks a free one).
 */

import type { ProbeOptions, ProbeTarget } from './types.js';

/** A probe port equal to the container port (or the spec's serving port) means the instance's real port. */
export function resolvePort(port: number, target: ProbeTarget, opts: ProbeOptions = {}): number {
  if (port === target.containerPort || (opts.servingPort !== undefined && port === opts.servingPort)) {
    return target.port;
  }
  return port;
}

/** `127.0.0.1:4000`, `[::1]:4000`. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'temporary failure in name resolution',
  EPIPE: 'broken pipe',
};

/** A socket error in the words kubelet users know ("connection refused"), keeping Node's code. */
export function describeNetError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && REASONS[code]) return `${REASONS[code]} (${code})`;
  return err instanceof Error ? err.message : String(err);
}
