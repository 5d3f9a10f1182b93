/**
 * The gRPC handler (kubelet pkg/probe/grpc): the standard grpc.health.v1
 * Health/Check over h2c, SERVING = success. Written on node:http2 with a
 * hand-encoded message, so the prober needs no gRPC library. Messages follow
 * kubelet's wording.
 */

import { connect } from 'node:http2';
import type { GrpcAction } from '../spec/index.js';
import { describeNetError, hostPort, resolvePort } from './address.js';
import { decodeHealthResponse, encodeHealthRequest, HEALTH_CHECK_PATH, servingStatusName } from './grpc-health.js';
import { DEFAULT_USER_AGENT_VERSION } from './http.js';
import type { ProbeOptions, ProbeOutcome, ProbeTarget } from './types.js';

const UNIMPLEMENTED = '12';
const DEADLINE_EXCEEDED = '4';

export function probeGrpc(
  action: GrpcAction,
  target: ProbeTarget,
  timeoutMs: number,
  opts: ProbeOptions = {},
): Promise<ProbeOutcome> {
  const port = resolvePort(action.port, target, opts);
  const address = hostPort(target.host, port);
  const service = action.service ?? '';
  return new Promise<ProbeOutcome>((resolve) => {
    let done = false;
    let connected = false;
    const finish = (outcome: ProbeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      resolve(outcome);
    };
    const failure = (message: string) => finish({ result: 'failure', message });
    const session = connect(`http://${address}`);
    const timer = setTimeout(
      () =>
        failure(
          connected
            ? `timeout: health rpc did not complete within ${timeoutMs} ms`
            : `timeout: failed to connect service "${address}" within ${timeoutMs} ms`,
        ),
      timeoutMs,
    );
    session.once('connect', () => {
      connected = true;
    });
    session.on('error', (err) =>
      failure(
        connected
          ? `error: health rpc probe failed: ${describeNetError(err)}`
          : `failed to connect service "${address}": ${describeNetError(err)}`,
      ),
    );
    const req = session.request({
      ':method': 'POST',
      ':path': HEALTH_CHECK_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
      'user-agent': `pier-probe/${opts.userAgentVersion ?? DEFAULT_USER_AGENT_VERSION}`,
    });
    let head: Record<string, unknown> = {};
    let trailers: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      head = h;
    });
    req.on('trailers', (t) => {
      trailers = t;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    let streamError: unknown;
    req.on('error', (err) => {
      streamError = err;
    });
    req.once('close', () => {
      if (done) return;
      const httpStatus = Number(head[':status'] ?? 0);
      if (httpStatus === 0) {
        // No answer at all: let a connection error (reported next) give the reason.
        const why = streamError === undefined ? 'no response (not a gRPC server?)' : describeNetError(streamError);
        setImmediate(() => failure(`error: health rpc probe failed: ${why}`));
        return;
      }
      if (httpStatus !== 200) {
        failure(`error: health rpc probe failed: HTTP status ${httpStatus} (not a gRPC server?)`);
        return;
      }
      const code = String(trailers['grpc-status'] ?? head['grpc-status'] ?? '');
      const detail = decodeURIComponent(String(trailers['grpc-message'] ?? head['grpc-message'] ?? ''));
      if (code === UNIMPLEMENTED) {
        failure(`this server does not implement the grpc health protocol (grpc.health.v1.Health): ${detail}`);
      } else if (code === DEADLINE_EXCEEDED) {
        failure(`timeout: health rpc did not complete within ${timeoutMs} ms`);
      } else if (code !== '0') {
        failure(`error: health rpc probe failed: grpc-status ${code || 'missing'}${detail ? `: ${detail}` : ''}`);
      } else {
        const status = decodeHealthResponse(Buffer.concat(chunks));
        if (typeof status === 'string') failure(`error: health rpc probe failed: ${status}`);
        else if (status !== 1) failure(`service unhealthy (responded with "${servingStatusName(status)}")`);
        else
          finish({ result: 'success', message: `grpc health ${service === '' ? 'server' : `"${service}"`}: SERVING` });
      }
    });
    req.end(encodeHealthRequest(service));
  });
}
