/**
 * `translateService`: what one service becomes on Kubernetes, as pure data. The
 * Kubernetes platform applies these objects (server-side apply); `pier export`
 * prints them. The mapping of every spec field is in docs/kubernetes.md.
 */

import type { DesiredState } from '../../types.js';
import { servingOf } from '../../plan/index.js';
import { translateContainer } from './container.js';
import { podExtras } from './extras.js';
import { ANNOTATIONS, kubeName, LABELS, pullSecretName, serviceLabels } from './names.js';
import { pullSecret } from './secret.js';
import { DEFAULT_ELASTIC_NODES, type ElasticNodes, templatePlacement } from './placement.js';
import { translateVolumes } from './volumes.js';

export interface TranslateConfig {
  namespace: string;
  /** Image for containers with only command/script. */
  defaultImage: string;
  /** How elastic nodes are found (placement.ts); default virtual-kubelet's label and taint. */
  elasticNodes?: ElasticNodes;
}

export interface TranslateInput {
  desired: DesiredState;
  config: TranslateConfig;
  /** uid of the service's Deployment once it exists: the other objects (Service, Secret) get an ownerReference to it so that deleting the Deployment deletes them */
  ownerUid?: string;
}

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: unknown[];
  };
  [k: string]: unknown;
};

/** Everything one service becomes, Deployment first. Pure. */
export function translateService(input: TranslateInput): KubeObject[] {
  const { desired, config } = input;
  const name = kubeName(desired.service);
  const meta = (objectName: string) => ({
    name: objectName,
    namespace: config.namespace,
    labels: serviceLabels(desired.service),
    annotations: { [ANNOTATIONS.serviceName]: desired.service },
  });
  const owned = input.ownerUid
    ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: input.ownerUid }] }
    : {};
  const secret = pullSecret(desired.current);
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      ...meta(name),
      annotations: {
        [ANNOTATIONS.serviceName]: desired.service,
        [ANNOTATIONS.revision]: String(desired.current.revision),
      },
    },
    spec: deploymentSpec(input, secret !== null),
  };
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...meta(name), ...owned },
    spec: serviceSpec(input),
  };
  const objects = [deployment, service];
  if (secret) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...meta(pullSecretName(desired.service)), ...owned },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': secret },
    });
  }
  return objects;
}

/**
 * The revision the pod template names. A revision equivalent to older ones runs the
 * same thing, so the template keeps the oldest one's number (and `PIER_REVISION`):
 * the template does not change, and the Deployment controller starts no rollout.
 */
export function templateRevision(desired: DesiredState): number {
  return Math.min(desired.current.revision, ...desired.equivalent);
}

function deploymentSpec(input: TranslateInput, hasPullSecret: boolean): Record<string, unknown> {
  const { desired, config } = input;
  const { plan, spec } = desired.current;
  const name = kubeName(desired.service);
  const revision = templateRevision(desired);
  const extras = podExtras(spec);
  const volumes = translateVolumes(plan.mounts, extras.shmSize);
  const serving = servingOf(plan);
  const servingPort = serving.port ?? 0;
  const grace = plan.terminationGracePeriodSeconds;
  const containers = plan.containers.map((c) =>
    translateContainer(c, {
      image: c.image ?? config.defaultImage,
      servingPort,
      templateRevision: revision,
      currentRevision: plan.revision,
      grace,
      volumeMounts: volumes.mounts,
      ...(c.role === 'serving' ? { resources: { plan: plan.resources, extra: extras.resources } } : {}),
    }),
  );
  return {
    replicas: desired.replicas,
    // Selectors are immutable: the service only, never the revision.
    selector: { matchLabels: { [LABELS.service]: name } },
    strategy: {
      type: 'RollingUpdate',
      // As written ("2%" or 1): the Deployment controller resolves percents against
      // its current replicas with the rule the local platform uses (ResolveFenceposts).
      rollingUpdate: { maxSurge: plan.rollout.maxSurge, maxUnavailable: plan.rollout.maxUnavailable },
    },
    minReadySeconds: plan.rollout.minReadySeconds,
    progressDeadlineSeconds: plan.rollout.progressDeadlineSeconds,
    template: {
      metadata: {
        labels: { ...serviceLabels(desired.service), [LABELS.revision]: String(revision) },
        ...(Object.keys(extras.annotations).length > 0 ? { annotations: extras.annotations } : {}),
      },
      spec: {
        containers,
        ...(volumes.volumes.length > 0 ? { volumes: volumes.volumes } : {}),
        ...(hasPullSecret ? { imagePullSecrets: [{ name: pullSecretName(desired.service) }] } : {}),
        terminationGracePeriodSeconds: grace,
        ...templatePlacement(spec.metadata.burst_resource ?? 'none', config.elasticNodes ?? DEFAULT_ELASTIC_NODES),
        // The env a pod sees is the plan's, as on the local platform, without
        // Docker-link variables for every Service in the namespace.
        enableServiceLinks: false,
      },
    },
  };
}

function serviceSpec(input: TranslateInput): Record<string, unknown> {
  const { desired } = input;
  const serving = servingOf(desired.current.plan);
  const grpc = desired.current.spec.metadata.enable_grpc;
  return {
    type: 'ClusterIP',
    selector: { [LABELS.service]: kubeName(desired.service) },
    ports: [
      {
        name: 'http',
        port: serving.port ?? 0,
        targetPort: 'http',
        protocol: 'TCP',
        // The EndpointSlices carry it, so that the gateway knows to speak HTTP/2 cleartext.
        ...(grpc ? { appProtocol: 'kubernetes.io/h2c' } : {}),
      },
    ],
  };
}
