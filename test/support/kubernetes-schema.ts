/**
 * Validates generated Kubernetes objects against the API's OpenAPI schemas.
 *
 * kubernetes-models (tommy351/kubernetes-models-ts) is generated from the
 * Kubernetes OpenAPI documents (its PodSpec has 1.34+ fields such as
 * hostnameOverride) and validates with ajv; it is kept current on npm, so the
 * schemas need not be copied into the repository. It does not reject unknown
 * fields: the server-side dry run in test/kubernetes/translate.test.ts does, with
 * fieldValidation=Strict, against the real apiserver.
 */

import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/Secret': Secret,
  // The install manifests (deploy/kubernetes).
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition,
};

/** Throws with the schema's complaints when `obj` is not a valid object of its kind. */
export function validateKubeObject(obj: { apiVersion: string; kind: string; metadata: { name: string } }): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  try {
    new Model(structuredClone(obj) as never).validate();
  } catch (err) {
    const e = err as Error & { errors?: { instancePath: string; message?: string }[] };
    const details = (e.errors ?? []).map((d) => `${d.instancePath} ${d.message ?? ''}`).join('; ');
    throw new Error(`${obj.kind} ${obj.metadata.name}: ${details || e.message}`);
  }
}
