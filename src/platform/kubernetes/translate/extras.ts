/**
 * EAS metadata the plan does not carry because only Kubernetes gives it a meaning
 * (the local platform warns and ignores them, src/spec/warnings.ts): pod annotations,
 * `shm_size` and `disk`. Read here, once, from the normalized spec.
 */

import type { ServiceSpec } from '../../../spec/index.js';
import { binaryQuantity } from './quantity.js';

export interface ExtraResources {
  /** `metadata.disk`: the container's ephemeral-storage request and limit. */
  ephemeralStorage?: string;
}

export interface PodExtras {
  annotations: Record<string, string>;
  /** `metadata.shm_size`: a memory-backed emptyDir on /dev/shm of this size. */
  shmSize?: string;
  resources: ExtraResources;
}

export function podExtras(spec: ServiceSpec): PodExtras {
  const md = spec.metadata;
  const shm = gigabytes(md.shm_size);
  const disk = gigabytes(md.disk);
  return {
    annotations: stringRecord(md.annotations),
    ...(shm !== undefined ? { shmSize: shm } : {}),
    resources: disk !== undefined ? { ephemeralStorage: disk } : {},
  };
}

/** EAS writes both in GB as a number (`"shm_size": 64`) or as a quantity (`"disk": "30Gi"`). */
function gigabytes(raw: unknown): string | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw) && raw > 0) return binaryQuantity(raw, 'Gi');
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (/^\d+(\.\d+)?$/.test(text) && Number(text) > 0) return binaryQuantity(Number(text), 'Gi');
    if (/^\d+(\.\d+)?([KMGTPE]i?)$/.test(text)) return text;
  }
  return undefined;
}

function stringRecord(raw: unknown): Record<string, string> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}
