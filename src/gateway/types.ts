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
}

export interface EndpointSnapshot {
  /** Increases with every change; remote gateways acknowledge versions (drain). */
  version: number;
  services: Record<string, ServiceRoute>;
}

export interface EndpointSource {
  current(): EndpointSnapshot;
  /** Called with every new snapshot; returns an unsubscribe function. */
  subscribe(listener: (snapshot: EndpointSnapshot) => void): () => void;
}
