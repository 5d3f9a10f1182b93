/**
 * The two long-lived responses: `logs?follow=1` (chunked text) and
 * `endpoints/watch` (NDJSON snapshots plus heartbeats). Both end when the
 * client goes away or the server closes (the context's signal).
 */

import type { Clock } from '../clock.js';
import { toPierError } from '../errors.js';
import type { LogQuery } from './control-plane.js';
import { gatewayQuery } from './endpoint-ack.js';
import type { Reply, RouteContext } from './router.js';

export async function followLogs(ctx: RouteContext, name: string, query: LogQuery): Promise<Reply> {
  // Reading the tail first also answers 404 for an unknown service before any header is sent.
  const tail = await ctx.control.logs(name, query);
  const { res, signal } = ctx;
  res.writeHead(200, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.flushHeaders();
  if (tail) res.write(tail.endsWith('\n') ? tail : `${tail}\n`);
  try {
    await ctx.control.followLogs(name, query, (text) => res.write(text), signal);
  } catch (err) {
    // The 200 is out, so the error can only travel in the stream: as its last line
    // (kubectl logs -f prints the apiserver's error the same way), never a silent cut.
    if (!signal.aborted) {
      const error = toPierError(err);
      res.write(`\npier: following the logs stopped: ${error.message} (${error.code})\n`);
    }
  } finally {
    res.end();
  }
  return { streamed: true };
}

/**
 * With `?gateway=<id>` the watcher is a remote gateway that acknowledges
 * snapshots: registered for as long as the stream is open, so drains wait for
 * it. Without it (curl) nothing waits for the watcher.
 */
export async function watchEndpoints(ctx: RouteContext, clock: Clock, heartbeatMs: number): Promise<Reply> {
  const gateway = gatewayQuery(ctx.query);
  if (gateway !== undefined) ctx.control.watchOpened(gateway);
  try {
    await streamSnapshots(ctx, clock, heartbeatMs);
  } finally {
    if (gateway !== undefined) ctx.control.watchClosed(gateway);
  }
  return { streamed: true };
}

async function streamSnapshots(ctx: RouteContext, clock: Clock, heartbeatMs: number): Promise<void> {
  const { res, signal } = ctx;
  const source = ctx.control.endpoints;
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  const line = (value: unknown) => {
    if (!res.writableEnded) res.write(`${JSON.stringify(value)}\n`);
  };
  line(source.current());
  const unsubscribe = source.subscribe((snapshot) => line(snapshot));
  const heartbeat = clock.setInterval(() => line({ heartbeat: true }), heartbeatMs);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clock.clearInterval(heartbeat);
  unsubscribe();
  res.end();
}
