/** One item of a queue, as the EAS queue service keeps it (DataFrameProto plus bookkeeping). */
export interface QueueItem {
  /** 1, 2, 3… per queue, never reused. */
  index: number;
  tags: Record<string, string>;
  data: Buffer;
  /** Higher is delivered first; 0 is normal. */
  priority: number;
  /** Times the item was handed to a consumer (watch or instance). */
  deliveries: number;
  createdMs: number;
}

/** An item without its payload: what is kept in memory for every stored item. */
export type ItemMeta = Omit<QueueItem, 'data'> & { size: number };

/** The bounds of one queue, from the spec's `queue.source` / `queue.sink`. */
export interface QueueLimits {
  maxLength: number;
  maxPayloadBytes: number;
  /** When full: drop the oldest item instead of refusing the put. */
  autoEvict: boolean;
}

/** The answer to an operation: status, headers and body, or a typed refusal. */
export type QueueAnswer =
  | { status: number; body?: Buffer | string; headers?: Record<string, string> }
  | { status: number; code: string; message: string };

export function refuse(status: number, code: string, message: string): QueueAnswer {
  return { status, code, message };
}
