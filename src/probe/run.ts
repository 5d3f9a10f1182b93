/**
 * Dispatch to the one handler a probe names. A handler that throws means the
 * prober broke (not the target): like kubelet, retry up to 3 attempts in the same
 * tick, then give up with 'unknown', which the counter discards (kubelet prober/prober.go
 * runProbeWithRetries, maxProbeRetries = 3).
 */

import type { ProbeSpec } from '../spec/index.js';
import { probeExec } from './exec.js';
import { probeGrpc } from './grpc.js';
import { probeHttp } from './http.js';
import { probeTcp } from './tcp.js';
import type { ProbeOptions, ProbeOutcome, ProbeTarget } from './types.js';

export const MAX_PROBE_ATTEMPTS = 3;

export interface RunProbeOptions extends ProbeOptions {
  /** Handlers to use instead of the real ones (tests). */
  handlers?: Partial<ProbeHandlers>;
}

export interface ProbeHandlers {
  http: typeof probeHttp;
  tcp: typeof probeTcp;
  exec: typeof probeExec;
  grpc: typeof probeGrpc;
}

const REAL_HANDLERS: ProbeHandlers = { http: probeHttp, tcp: probeTcp, exec: probeExec, grpc: probeGrpc };

export async function runProbe(
  spec: ProbeSpec,
  target: ProbeTarget,
  opts: RunProbeOptions = {},
): Promise<ProbeOutcome> {
  const h = { ...REAL_HANDLERS, ...opts.handlers };
  const timeoutMs = Math.max(1, spec.timeout_seconds) * 1000;
  let lastError: unknown;
  for (let attempt = 1; attempt <= MAX_PROBE_ATTEMPTS; attempt++) {
    try {
      if (spec.http_get) return await h.http(spec.http_get, target, timeoutMs, opts);
      if (spec.tcp_socket) return await h.tcp(spec.tcp_socket, target, timeoutMs, opts);
      if (spec.exec) return await h.exec(spec.exec, target, timeoutMs);
      if (spec.grpc) return await h.grpc(spec.grpc, target, timeoutMs, opts);
      return { result: 'unknown', message: 'probe names no handler (http_get, tcp_socket, exec or grpc)' };
    } catch (err) {
      lastError = err;
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  return { result: 'unknown', message: `probe error after ${MAX_PROBE_ATTEMPTS} attempts: ${reason}` };
}
