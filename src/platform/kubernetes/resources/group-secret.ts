/**
 * A service group in the cluster, for gateways that read the cluster itself
 * (`pier gateway --kubernetes`): one Secret `<group>-group` per group, holding
 * the group token and its traffic settings (mode, affinity, the members'
 * weights and standalone flags), labelled `pier.dev/group`. Membership is not
 * in it: it is each PierService's `metadata.group`, as on the control plane.
 *
 * The Secret is owned by every member's PierService object (none is its
 * controller), so the garbage collector removes it with the last of them
 * (https://kubernetes.io/docs/concepts/architecture/garbage-collection/#owners-dependents):
 * Pier needs no delete right for it. Pure builders and parsers; the mirror writes
 * (group-secrets.ts) and the gateway reads (gateway-source.ts).
 */

import { type KubeObject, kubeName, LABELS, MANAGED_BY } from '../translate/index.js';
import { API_VERSION, KIND } from './crd.js';

export const GROUP_LABEL = 'pier.dev/group';
export const GROUP_NAME_ANNOTATION = 'pier.dev/group-name';

export function groupSecretName(group: string): string {
  return `${kubeName(group)}-group`;
}

/** A group and its traffic settings (the shape of the store's GroupRecord, which groupRoutes reads). */
export interface GroupRecord {
  name: string;
  token: string;
  mode: 'auto' | 'custom';
  affinity?: { kind: 'header' | 'cookie'; key: string };
  createdAt: number;
  members: { service: string; weight: number; standalone: boolean }[];
}

/** A member's PierService object, as an owner of the group's Secret. */
export interface GroupOwner {
  object: string;
  uid: string;
}

/** The traffic settings as stored in the Secret's `traffic` key. */
interface StoredTraffic {
  mode: 'auto' | 'custom';
  affinity?: { kind: 'header' | 'cookie'; key: string };
  members: { service: string; weight: number; standalone: boolean }[];
}

/** The group's Secret; undefined while no member has an object to own it. */
export function makeGroupSecret(group: GroupRecord, owners: readonly GroupOwner[]): KubeObject | undefined {
  if (owners.length === 0) return undefined;
  const traffic: StoredTraffic = {
    mode: group.mode,
    ...(group.affinity ? { affinity: group.affinity } : {}),
    members: [...group.members]
      .sort((a, b) => a.service.localeCompare(b.service))
      .map((m) => ({ service: m.service, weight: m.weight, standalone: m.standalone })),
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: groupSecretName(group.name),
      labels: { [GROUP_LABEL]: kubeName(group.name), [LABELS.managedBy]: MANAGED_BY },
      annotations: { [GROUP_NAME_ANNOTATION]: group.name },
      ownerReferences: [...owners]
        .sort((a, b) => a.object.localeCompare(b.object))
        .map((o) => ({ apiVersion: API_VERSION, kind: KIND, name: o.object, uid: o.uid })),
    },
    type: 'Opaque',
    data: {
      token: Buffer.from(group.token).toString('base64'),
      traffic: Buffer.from(JSON.stringify(traffic)).toString('base64'),
    },
  };
}

interface SecretLike {
  metadata?: { annotations?: Record<string, string>; deletionTimestamp?: Date };
  data?: Record<string, string>;
}

/** The group a Secret holds; undefined for one that is not a whole group Secret (never a guess). */
export function groupFromSecret(secret: SecretLike): GroupRecord | undefined {
  const name = secret.metadata?.annotations?.[GROUP_NAME_ANNOTATION];
  const token = decode(secret.data?.token);
  if (!name || !token || secret.metadata?.deletionTimestamp) return undefined;
  let traffic: unknown;
  try {
    traffic = JSON.parse(decode(secret.data?.traffic) ?? '');
  } catch {
    return undefined;
  }
  const t = traffic as Partial<StoredTraffic> | null;
  if (!t || (t.mode !== 'auto' && t.mode !== 'custom') || !Array.isArray(t.members)) return undefined;
  const members = t.members.filter(
    (m) =>
      typeof m?.service === 'string' &&
      typeof m.weight === 'number' &&
      m.weight >= 0 &&
      m.weight <= 1000 &&
      typeof m.standalone === 'boolean',
  );
  const a = t.affinity;
  const affinity =
    a && (a.kind === 'header' || a.kind === 'cookie') && typeof a.key === 'string' && a.key !== ''
      ? { kind: a.kind, key: a.key }
      : undefined;
  return {
    name,
    token,
    mode: t.mode,
    ...(affinity ? { affinity } : {}),
    createdAt: 0,
    members: members.map((m) => ({ service: m.service, weight: m.weight, standalone: m.standalone })),
  };
}

function decode(b64: string | undefined): string | undefined {
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
}
