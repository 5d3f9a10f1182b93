import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The gateway knows only endpoint snapshots, never processes: the same gateway
 * runs in-process with `pier server` or as `pier gateway --control URL`.
 */

export interface Endpoint {
  instanceId: string;
  host: string;
  port: number;
  revision: number;
}

/** Everything the gateway needs to serve one service. */
export interface ServiceRoute {
  name: string;
  /** The service token; compared in constant time, never logged. */
  token: string;
  /** Ready, not terminating instances only. */
  endpoints: Endpoint[];
  /** Service exists but has 0 instances by choice (stopped, scaled to zero). */
  stopped: boolean;
  rpc: {
    keepalive: number;
    worker_threads: number;
    max_queue_size: number;
    rate_limit?: number;
  };
  enableGrpc: boolean;
  enableWebservice: boolean;
  /**
   * Scales from zero: with no ready endpoint, hold requests (the activator) while
   * instances start, instead of answering 503.
   */
  activate?: boolean;
  /** Set for asynchronous services: requests go to the queue service, not to an instance. */
  queue?: AsyncRoute;
  /**
   * Revision traffic (a Knative-style split, percents summing to 100): each request
   * picks a revision by weight, then an instance of it. Absent: any ready endpoint.
   */
  traffic?: RevisionTraffic[];
}

/** One revision's share of a service's traffic. */
export interface RevisionTraffic {
  revision: number;
  percent: number;
}

/** The bounds of one queue of an asynchronous service. */
export interface QueueBounds {
  maxLength: number;
  maxPayloadBytes: number;
  autoEvict: boolean;
}

/** An asynchronous service (`metadata.type: "Async"`): its calls go to its queues. */
export interface AsyncRoute {
  /** Where instances receive items (`rpc.proxy_path`, default "/"). */
  proxyPath: string;
  /** Deliveries of one item before it goes to the sink as failed. */
  maxDelivery: number;
  source: QueueBounds;
  sink: QueueBounds;
}

/**
 * Serves the queues of async services behind the gateway's routing and auth
 * (src/queue). A gateway without one answers 503 for async services.
 */
export interface QueueFront {
  handle(svc: ServiceRoute, subPath: string, query: string, req: IncomingMessage, res: ServerResponse): void;
  upgrade(svc: ServiceRoute, subPath: string, query: string, req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** How a group shares its traffic: by ready instances (`auto`) or by fixed weights 0–1000 (`custom`). */
export type TrafficMode = 'auto' | 'custom';

/** One service of a group, as the gateway weighs it. */
export interface GroupMember {
  service: string;
  /** The custom weight (0–1000); ignored in `auto` mode. */
  weight: number;
  /** Takes no group traffic (still reachable as `<group>.<service>` and by `X-Pier-Service`). */
  standalone: boolean;
}

/** Sticky routing: requests with the same value of this header or cookie go to the same member and instance. */
export interface Affinity {
  kind: 'header' | 'cookie';
  /** Header names are lower case; cookie names as written. */
  key: string;
}

/** A service group (EAS `metadata.group`): one endpoint and token over several services. */
export interface GroupRoute {
  name: string;
  /** The group token; compared in constant time, never logged. */
  token: string;
  mode: TrafficMode;
  members: GroupMember[];
  affinity?: Affinity;
}

export interface EndpointSnapshot {
  /** Increases with every change; remote gateways acknowledge versions (drain). */
  version: number;
  services: Record<string, ServiceRoute>;
  /** Service groups by name; absent from control planes that have none (or predate groups). */
  groups?: Record<string, GroupRoute>;
  /**
   * Set by a control plane that has just started and does not know yet whether
   * some re-adopted instances are ready: remote gateways keep their last
   * endpoints for services this snapshot has none for (remote-source.ts).
   */
  incomplete?: boolean;
}

export interface EndpointSource {
  current(): EndpointSnapshot;
  /** Called with every new snapshot; returns an unsubscribe function. */
  subscribe(listener: (snapshot: EndpointSnapshot) => void): () => void;
}

/** Load-balancing policy: pick one of `candidates` (never anything else), or undefined when empty. */
export type LbPolicy = ((
  candidates: readonly Endpoint[],
  outstanding: (instanceId: string) => number,
  random: () => number,
) => Endpoint | undefined) & {
  /**
   * Latency-aware policies are fed the time from sending a request to the arrival
   * of its response's headers, and how many requests the instance had meanwhile
   * (the mean of the counts at send and at the answer, this one included; ≥ 1)
   * (lb/peak-ewma.ts); others leave it out.
   */
  record?: (instanceId: string, rttMs: number, running: number) => void;
};

export interface GatewayLimits {
  /** Largest request body; beyond it 413. Default 100 MiB. */
  maxBodyBytes?: number;
  /** Largest request head; beyond it 431. Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Time a client has to send the whole request head. Default 15 s. */
  headersTimeoutMs?: number;
  /** Idle time of a kept-alive client connection between requests. Default 75 s. */
  idleTimeoutMs?: number;
  /** Time a client has to send the whole request (head and body). Default 300 s. */
  slowClientTimeoutMs?: number;
}

export interface InstanceStats {
  /** Cumulative, every status. */
  requests: number;
  /** Running plus queued at this instance, including WebSocket tunnels. */
  inflight: number;
}

export interface ServiceStats extends InstanceStats {
  instances: Record<string, InstanceStats>;
}

export interface GatewayStats {
  services: Record<string, ServiceStats & { /** Requests the activator holds (scale from zero). */ pending?: number }>;
  /**
   * Requests through each group endpoint so far, per member ('' for those no member
   * took). With `--gateway-workers` > 1 every thread's, the other threads' as they
   * reported them last (at most half a second ago).
   */
  groups?: Record<string, Record<string, number>>;
}
