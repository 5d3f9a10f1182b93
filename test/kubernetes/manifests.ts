/** The install manifests (deploy/kubernetes) as objects, and their ServiceAccounts' credentials, for tests. */

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../e2e/helpers.js';
import type { PolicyRule } from '../support/rbac.js';
import { type Cluster, kubeOk } from './cluster.js';

export interface KubeDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
  [k: string]: unknown;
}

export function manifests(): KubeDoc[] {
  const dir = path.join(repoRoot, 'deploy/kubernetes');
  const kustomization = parseAllDocuments(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'))[0]?.toJS() as {
    resources: string[];
  };
  return kustomization.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((d) => d.toJS() as KubeDoc),
  );
}

/** The rules bound to a ServiceAccount, and the names of the Roles they come from. */
export function rulesOf(ns: string, account: string): { rules: PolicyRule[]; roles: string[] } {
  const docs = manifests();
  const bound = docs.filter(
    (d) =>
      (d.kind === 'RoleBinding' || d.kind === 'ClusterRoleBinding') &&
      d.subjects?.some((s) => s.kind === 'ServiceAccount' && s.name === account && s.namespace === ns),
  );
  const roles = bound.map((b) => docs.find((d) => d.kind === b.roleRef?.kind && d.metadata.name === b.roleRef?.name));
  return {
    rules: roles.flatMap((r) => r?.rules ?? []),
    roles: [...new Set(roles.map((r) => r?.metadata.name ?? ''))],
  };
}

const PLURALS: Record<string, string> = {
  Namespace: 'namespaces',
  CustomResourceDefinition: 'customresourcedefinitions',
  ServiceAccount: 'serviceaccounts',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  Deployment: 'deployments',
  Service: 'services',
  PodDisruptionBudget: 'poddisruptionbudgets',
};

/** The kinds that set Pier up (its namespace, the CRD, the accounts and their roles), before its Deployments. */
export const SETUP_KINDS = [
  'Namespace',
  'CustomResourceDefinition',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
];

/** Where an object is written on the apiserver (the kinds the manifests hold). */
export function manifestPath(o: KubeDoc): string {
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const scope = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : '';
  return `${base}${scope}/${PLURALS[o.kind]}/${o.metadata.name}`;
}

/** A kubeconfig (in dir) holding a fresh token of a ServiceAccount of namespace ns. */
export async function serviceAccountKubeconfig(c: Cluster, dir: string, ns: string, account: string): Promise<string> {
  const token = await kubeOk<{ status: { token: string } }>(
    c,
    'POST',
    `/api/v1/namespaces/${ns}/serviceaccounts/${account}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  );
  const file = path.join(dir, `${account}.kubeconfig`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'test',
          cluster: { server: c.server, 'certificate-authority-data': c.ca.toString('base64') },
        },
      ],
      users: [{ name: account, user: { token: token.status.token } }],
      contexts: [{ name: account, context: { cluster: 'test', user: account, namespace: ns } }],
      'current-context': account,
    }),
  );
  return file;
}
