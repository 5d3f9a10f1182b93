import type { AsyncRoute, QueueBounds } from './types.js';

/**
 * Which queue of an async service a call's sub-path names: `/api/predict/<name>`
 * is the input (source) queue, `/api/predict/<name>/sink` the output (sink) one,
 * as in the EAS queue service. Anything else names no queue.
 */
export type QueueSide = 'source' | 'sink';

export function queueSideOf(subPath: string): QueueSide | undefined {
  if (subPath === '/' || subPath === '') return 'source';
  if (subPath === '/sink' || subPath === '/sink/') return 'sink';
  return undefined;
}

/** The bounds of the queue a sub-path names, if any. */
export function queueBoundsOf(
  route: AsyncRoute,
  subPath: string,
): { side: QueueSide; bounds: QueueBounds } | undefined {
  const side = queueSideOf(subPath);
  return side === undefined ? undefined : { side, bounds: route[side] };
}

/** The 413 message for a put over a queue's payload bound, the same from every thread. */
export function payloadTooLarge(side: QueueSide, maxBytes: number): string {
  return `payload is larger than the queue's ${maxBytes} bytes (queue.${side}.max_payload_size_kb)`;
}
