/**
 * Wiring only: builds the store, runtime, controller, gateway and API and starts
 * them in one process (`pier server`), or a gateway alone (`pier gateway`).
 */

export interface PierOptions {
  /** State directory (SQLite file, logs, venvs). Default `./.pier` or PIER_HOME. */
  home: string;
  controlHost: string; // default 127.0.0.1
  controlPort: number; // default 9090; 0 picks a free port
  gatewayHost: string; // default 0.0.0.0
  gatewayPort: number; // default 8080; 0 picks a free port
  /** Overrides PIER_HOME/admin-token (PIER_ADMIN_TOKEN). */
  adminToken?: string;
  logLevel?: string;
}

export interface RunningPier {
  controlUrl: string;
  gatewayUrl: string;
  adminToken: string;
  close(): Promise<void>;
}

export async function startPier(_opts: PierOptions): Promise<RunningPier> {
  throw new Error('not wired yet');
}

export interface GatewayOnlyOptions {
  controlUrl: string;
  adminToken: string;
  host: string;
  port: number;
  logLevel?: string;
}

export async function startGatewayOnly(_opts: GatewayOnlyOptions): Promise<{ url: string; close(): Promise<void> }> {
  throw new Error('not wired yet');
}
