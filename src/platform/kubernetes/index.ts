export { createKubeClient, type KubeClient, type KubeClientOptions, loadKubeConfig } from './client.js';
export { KubernetesPlatform, type KubernetesPlatformDeps } from './platform.js';
export {
  type ElasticNodes,
  type KubeObject,
  kubeName,
  kubernetesUnsupported,
  LABELS,
  type TranslateConfig,
  type TranslateInput,
  translateService,
} from './translate/index.js';
export { type MirrorControl, ResourceMirror, type ResourceMirrorDeps, tokenSecretName } from './resources/mirror.js';
export { pierServiceCrd } from './resources/crd.js';
export { LeaderElector, type LeaderElectorOptions, leaseStep } from './leader.js';
export { KubernetesEndpointSource, type KubernetesEndpointSourceOptions } from './gateway-source.js';
