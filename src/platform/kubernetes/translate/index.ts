/**
 * The Kubernetes translation: pure functions from a service's desired state to the
 * objects it becomes (Deployment, Service, image pull Secret). docs/kubernetes.md
 * lists what each spec field becomes.
 */

export { DRAIN_SECONDS, SERVING_PORT_NAME } from './container.js';
export { DEFAULT_IMAGE, desiredFromSpec } from './desired.js';
export { manifestText } from './manifest.js';
export { ANNOTATIONS, kubeName, LABELS, MANAGED_BY, pullSecretName, serviceLabels } from './names.js';
export {
  type BurstMode,
  DEFAULT_ELASTIC_NODES,
  type ElasticNodes,
  isElasticNode,
  missingTolerations,
  templatePlacement,
  type Toleration,
} from './placement.js';
export { registryOf } from './secret.js';
export {
  type KubeObject,
  type TranslateConfig,
  type TranslateInput,
  templateRevision,
  translateService,
} from './translate.js';
export { kubernetesUnsupported } from './unsupported.js';
export { OSS_CSI_DRIVER } from './volumes.js';
