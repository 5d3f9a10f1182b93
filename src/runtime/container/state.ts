/**
 * What adoption needs beyond the AdoptRecord, written next to the instance's log
 * as `container.json` when the instance starts.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineKind } from './engine.js';

const STATE_FILE = 'container.json';

export interface ContainerState {
  instanceId: string;
  engine: EngineKind;
  /** Serving container first. */
  containers: { path: string; id: string; name: string }[];
  containerPort: number;
  hostPort: number;
  memoryLimitMb?: number;
  /** The `logs -f` process copying output into instance.log. */
  followerPid?: number;
  /** GPUs reserved for the instance (metadata.gpu), re-claimed on adoption. */
  gpus?: string[];
}

export function writeState(logDir: string, state: ContainerState): void {
  writeFileSync(join(logDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

export function readState(logDir: string): ContainerState | null {
  try {
    return JSON.parse(readFileSync(join(logDir, STATE_FILE), 'utf8')) as ContainerState;
  } catch {
    return null;
  }
}
