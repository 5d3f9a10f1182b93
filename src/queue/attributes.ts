/** `GET ?_attrs_=true`: the keys the SDKs read (the Go SDK fails without `meta.header.user`). */

import type { Queue } from './queue.js';

export const USER_HEADER = 'X-EAS-QueueService-Redis-Uid';
export const GROUP_HEADER = 'X-EAS-QueueService-Redis-Gid';

export function queueAttributes(queue: Queue): Record<string, string> {
  const consumers = queue.consumers();
  const out: Record<string, string> = {
    'meta.backend': queue.backend,
    'meta.name': queue.name,
    'meta.state': queue.ended ? 'EndOfStream' : 'Normal',
    'meta.maxPayloadBytes': String(queue.maxPayloadBytes),
    'meta.header.user': USER_HEADER,
    'meta.header.group': GROUP_HEADER,
    'meta.header.priority': 'X-EAS-QueueService-Priority',
    'stream.length': String(queue.length),
    'stream.approxMaxLength': String(queue.maxLength),
    'stream.lastEntry': String(queue.last),
    'stream.firstEntry': String(queue.firstIndex),
    // The SDK reads consumers.status.total; the EAS docs print consumers.stats.total.
    'consumers.status.total': String(consumers.length),
    'consumers.stats.total': String(consumers.length),
  };
  consumers.forEach((c, i) => {
    const d = c.describe();
    out[`consumers.list.[${i}]`] = Object.entries({ Id: c.id, Pending: queue.pendingOf(c), ...d })
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
  });
  return out;
}
