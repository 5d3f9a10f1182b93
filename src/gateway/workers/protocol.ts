import type { GatewayLimits, EndpointSnapshot } from '../types.js';

/** Requests through each group endpoint, per member ('' for those no member took). */
export type GroupCounts = Record<string, Record<string, number>>;
import type { DiscoveryMode } from '../discovery.js';
import type { SlotMap } from './board.js';

/** What a gateway worker thread is started with (structured-clone safe). */
export interface WorkerInit {
  sab: SharedArrayBuffer;
  threads: number;
  thread: number;
  snapshot: EndpointSnapshot;
  slots: SlotMap;
  logLevel: string;
  logBindings: Record<string, unknown>;
  options: {
    limits?: GatewayLimits;
    retries?: number;
    passiveHealthMs?: number;
    maxSocketsPerInstance?: number;
    tls?: { key: string | Buffer; cert: string | Buffer };
    discovery?: DiscoveryMode;
    activation?: { maxQueue?: number; maxWaitMs?: number };
    easMaxDateSkewSeconds?: number;
    onDemand: boolean;
    /** The main thread has an observer (the console's history) to feed. */
    observe: boolean;
    /** The main thread serves async services' queues: relay them there (queue-relay.ts) with this secret. */
    queueRelay?: { secret: string };
  };
}

export type ToWorker =
  | { t: 'snapshot'; snapshot: EndpointSnapshot; slots: SlotMap }
  | { t: 'listen'; id: number; port: number; host: string; tls: boolean }
  /** Where the main thread's queue relay listens; sent before the first listen. */
  | { t: 'queues'; port: number }
  | { t: 'metrics'; id: number }
  | { t: 'close' };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'applied'; version: number }
  | { t: 'listening'; id: number; error?: string }
  | { t: 'metrics'; id: number; metrics: unknown[] }
  | { t: 'demand'; service: string }
  /** Finished requests for the main thread's observer (the console's history), batched. */
  | { t: 'observed'; records: [service: string, status: number, seconds: number][] }
  /** This thread's group counts so far (stats().groups), sent when they change, at most twice a second. */
  | { t: 'groups'; counts: GroupCounts }
  | { t: 'closed' };
