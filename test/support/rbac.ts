/**
 * RBAC minimality from an apiserver audit log: what each ServiceAccount used
 * (apiGroup, resource[/subresource], verb), read from the audit events
 * (https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/), against what its
 * Roles grant. Pure functions; test/kubernetes/rbac.test.ts feeds them.
 */

/** `apps deployments/scale patch`; the core group is written `""`. */
export type Permission = string;

export function permission(group: string, resource: string, verb: string): Permission {
  return `${group || '""'} ${resource} ${verb}`;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The fields of an audit.k8s.io/v1 Event this reads. */
export interface AuditEvent {
  stage?: string;
  verb?: string;
  user?: { username?: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; name?: string };
  responseStatus?: { code?: number };
  annotations?: Record<string, string>;
}

export interface Usage {
  /** Requests the account's own Roles allowed. */
  used: Set<Permission>;
  /** Requests RBAC refused. */
  forbidden: Set<Permission>;
}

/** Each ServiceAccount's usage from audit log lines (JSON, one event a line). */
export function usageByUser(lines: string[], roleNames: Record<string, string[]>): Map<string, Usage> {
  const out = new Map<string, Usage>();
  for (const line of lines) {
    if (line.trim() === '') continue;
    const e = JSON.parse(line) as AuditEvent;
    const user = e.user?.username;
    const ref = e.objectRef;
    if (!user || !ref?.resource || !e.verb) continue; // non-resource URLs (discovery) are everyone's
    const roles = roleNames[user];
    if (!roles) continue;
    let u = out.get(user);
    if (!u) {
      u = { used: new Set(), forbidden: new Set() };
      out.set(user, u);
    }
    const resource = ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource;
    const group = ref.apiGroup ?? '';
    const decision = e.annotations?.['authorization.k8s.io/decision'];
    const reason = e.annotations?.['authorization.k8s.io/reason'] ?? '';
    if (decision === 'forbid') {
      u.forbidden.add(permission(group, resource, e.verb));
      continue;
    }
    // Only what the account's own Roles granted (not the defaults every account has).
    if (!roles.some((r) => reason.includes(`Role "${r}"`))) continue;
    u.used.add(permission(group, resource, e.verb));
    // A server-side apply that made the object needed "create" too (the apiserver checks it inside the PATCH).
    if (e.verb === 'patch' && e.responseStatus?.code === 201) u.used.add(permission(group, resource, 'create'));
  }
  return out;
}

/** Every (group, resource, verb) the rules grant, one by one. */
export function granted(rules: PolicyRule[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const r of rules) {
    for (const g of r.apiGroups ?? ['']) {
      for (const res of r.resources ?? []) for (const v of r.verbs) out.add(permission(g, res, v));
    }
  }
  return out;
}

export interface Comparison {
  /** Granted, never used, and not on the allowlist: to remove from the Role. */
  unused: Permission[];
  /** Used (or refused) but not granted: the Role lacks them. */
  missing: Permission[];
  /** Refused by RBAC and not expected to be. */
  forbidden: Permission[];
}

export function compare(
  grants: Set<Permission>,
  usage: Usage,
  allow: { unreached: Permission[]; expectedForbidden: Permission[] },
): Comparison {
  const unused = [...grants].filter((p) => !usage.used.has(p) && !allow.unreached.includes(p)).sort();
  const missing = [...usage.used].filter((p) => !grants.has(p)).sort();
  const forbidden = [...usage.forbidden].filter((p) => !allow.expectedForbidden.includes(p)).sort();
  return { unused, missing, forbidden };
}
