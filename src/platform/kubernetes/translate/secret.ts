/**
 * `dockerAuth` → the `.dockerconfigjson` of a kubernetes.io/dockerconfigjson Secret
 * (https://kubernetes.io/docs/tasks/configure-pod-container/pull-image-private-registry/).
 */

import type { RevisionPlan } from '../../types.js';

/**
 * The base64 `.dockerconfigjson` for the registries of the images the spec names,
 * or null without `dockerAuth`. The default image is never given the credential:
 * it was written for the user's own registry, not for whatever runs command-only
 * containers.
 */
export function pullSecret(current: RevisionPlan): string | null {
  const auth = current.plan.dockerAuth;
  if (!auth) return null;
  const registries = [
    ...new Set(current.spec.containers.flatMap((c) => (c.image ? [registryOf(c.image)] : []))),
  ].sort();
  if (registries.length === 0) return null;
  const auths = Object.fromEntries(registries.map((r) => [r, { auth }]));
  return Buffer.from(JSON.stringify({ auths })).toString('base64');
}

/**
 * The registry host of an image reference, as the Docker reference grammar reads
 * it (distribution/reference, normalize.go): the first path component when it has
 * a `.` or `:` or is `localhost`, else Docker Hub, whose config key is
 * `https://index.docker.io/v1/`.
 */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash > 0) {
    const first = image.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') return first;
  }
  return 'https://index.docker.io/v1/';
}
