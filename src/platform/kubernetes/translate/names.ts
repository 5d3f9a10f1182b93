/**
 * Names and labels of the objects a service becomes. Kubernetes object names are
 * DNS-1123 labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/);
 * EAS names may hold `_` and capitals, so they are mapped, and a mapped name carries
 * a short hash of the exact EAS name so that two EAS names can never meet on one
 * Kubernetes name (see docs/kubernetes.md, "Names").
 */

import { createHash } from 'node:crypto';

export const LABELS = {
  service: 'pier.dev/service',
  revision: 'pier.dev/revision',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const ANNOTATIONS = {
  /** The exact EAS service name (labels cannot hold `_` at the start or capitals reliably). */
  serviceName: 'pier.dev/service-name',
  /** On the Deployment: the current revision (the template may keep an older, equivalent one). */
  revision: 'pier.dev/revision',
} as const;

export const MANAGED_BY = 'pier';

const MAX_LABEL = 63;
const HASH_LENGTH = 6;

/**
 * The DNS-1123 label for a service's Deployment and Service. A name that is already
 * a valid label (lower case letters, digits, `-`) is kept as it is; any other is
 * lower-cased with `_` → `-`, cut to fit, and suffixed `-<6 hex of sha256(name)>`.
 * EAS names hold no `-`, and every changed name does, so an unchanged name never
 * meets a changed one; two changed names differ in their hash: `My_Svc` and `my_svc`
 * become `my-svc-<hash of My_Svc>` and `my-svc-<hash of my_svc>`.
 */
export function kubeName(service: string): string {
  if (/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(service)) return service;
  const base = service
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, MAX_LABEL - HASH_LENGTH - 1)
    .replace(/^-+|-+$/g, '');
  const hash = createHash('sha256').update(service).digest('hex').slice(0, HASH_LENGTH);
  return base ? `${base}-${hash}` : `svc-${hash}`;
}

/** The image pull Secret of a service (kubernetes.io/dockerconfigjson). */
export function pullSecretName(service: string): string {
  return `${kubeName(service)}-registry`;
}

/** Labels every object of the service carries. */
export function serviceLabels(service: string): Record<string, string> {
  return { [LABELS.managedBy]: MANAGED_BY, [LABELS.service]: kubeName(service) };
}
