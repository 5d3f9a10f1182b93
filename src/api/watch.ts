/**
 * `?watch=true` on the list routes (services, instances, events), as kubectl's
 * `--watch` reads Kubernetes' watch: NDJSON, one line per change, until the
 * client goes away. The control plane is read every `pollMs` and a line is
 * written only when something changed; a service that is deleted ends its
 * streams. Browsers read it with fetch() (EventSource cannot send the token).
 */

import type { Clock } from '../clock.js';
import type { EventRecord } from '../store/index.js';
import type { Reply, RouteContext } from './router.js';

export interface WatchDeps {
  clock: Clock;
  pollMs: number;
}

/** Writes `read()` whenever its JSON differs from the last line written. */
export function watchSnapshots(ctx: RouteContext, deps: WatchDeps, read: () => unknown): Promise<Reply> {
  const first = JSON.stringify(read()); // throws (404) before any header is sent
  let last = first;
  return stream(ctx, deps, first, () => {
    const next = JSON.stringify(read());
    if (next === last) return [];
    last = next;
    return [next];
  });
}

/** Writes each event once, oldest first: those `first` holds, then each new one as it is recorded. */
export function watchEvents(ctx: RouteContext, deps: WatchDeps, name: string, first: EventRecord[]): Promise<Reply> {
  let lastId = first.reduce((m, e) => Math.max(m, e.id), 0);
  const lines = first.map((e) => JSON.stringify(e));
  return stream(ctx, deps, lines.length > 0 ? lines.join('\n') : undefined, () => {
    const next = ctx.control.events(name, { sinceId: lastId });
    for (const e of next) lastId = Math.max(lastId, e.id);
    return next.map((e) => JSON.stringify(e));
  });
}

async function stream(
  ctx: RouteContext,
  deps: WatchDeps,
  first: string | undefined,
  poll: () => string[],
): Promise<Reply> {
  const { res, signal } = ctx;
  res.writeHead(200, {
    'content-type': 'application/x-ndjson; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  if (first !== undefined) res.write(`${first}\n`);
  else res.flushHeaders();
  await new Promise<void>((resolve) => {
    const timer = deps.clock.setInterval(() => {
      try {
        for (const line of poll()) if (!res.writableEnded) res.write(`${line}\n`);
      } catch {
        // The service went away (SERVICE_NOT_FOUND) or the read failed: the stream ends.
        done();
      }
    }, deps.pollMs);
    const done = () => {
      deps.clock.clearInterval(timer);
      resolve();
    };
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
  res.end();
  return { streamed: true };
}
