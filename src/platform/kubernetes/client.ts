/**
 * The few API calls the Kubernetes platform makes, over @kubernetes/client-node:
 * server-side apply with Pier's field manager, the Deployment's scale
 * subresource, deletes with foreground propagation, and pod logs.
 */

import http from 'node:http';
import https from 'node:https';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { PierError } from '../../errors.js';
import { KubeApiError, objectPaths, rawRequest } from './raw.js';
import type { KubeObject } from './translate/index.js';

export const FIELD_MANAGER = 'pier';

export interface KubeClientOptions {
  /** A kubeconfig file; absent: in-cluster config when run in a pod, else the default (KUBECONFIG, ~/.kube/config). */
  kubeconfig?: string;
  namespace: string;
}

export interface KubeClient {
  readonly config: KubeConfig;
  readonly namespace: string;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly discovery: DiscoveryV1Api;
  /** Server-side apply (https://kubernetes.io/docs/reference/using-api/server-side-apply/), forcing Pier's ownership. */
  apply(obj: KubeObject): Promise<KubeObject>;
  /** Creates an object (the Deployment's first write: its replicas are then owned by the scale writes, not by apply). */
  create(obj: KubeObject): Promise<KubeObject>;
  /** Writes the Deployment's scale subresource, as `kubectl scale` and the HPA do. */
  scale(deployment: string, replicas: number): Promise<void>;
  /** Deletes a Deployment; its ReplicaSets, pods and the objects it owns go with it (foreground). */
  deleteDeployment(name: string): Promise<void>;
  podLog(pod: string, container: string, opts: { tailLines?: number; sinceSeconds?: number }): Promise<string>;
  followPodLog(pod: string, container: string, onChunk: (text: string) => void, signal: AbortSignal): Promise<void>;
}

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (path) kc.loadFromFile(path);
    else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (err) {
    throw new PierError(
      'KUBERNETES_CONFIG',
      `cannot load the kubeconfig${path ? ` ${path}` : ''}: ${(err as Error).message}`,
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new PierError(
      'KUBERNETES_CONFIG',
      `the kubeconfig${path ? ` ${path}` : ''} names no current cluster: pass --kubeconfig PATH or set KUBECONFIG`,
    );
  }
  return kc;
}

export function createKubeClient(o: KubeClientOptions): KubeClient {
  const config = loadKubeConfig(o.kubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  const apps = config.makeApiClient(AppsV1Api);
  const discovery = config.makeApiClient(DiscoveryV1Api);
  const ns = o.namespace;
  return {
    config,
    namespace: ns,
    core,
    apps,
    discovery,
    async apply(obj) {
      const { item } = objectPaths(obj, ns);
      const body = withNamespace(obj, item, ns);
      return (await rawRequest(
        config,
        'PATCH',
        `${item}?fieldManager=${FIELD_MANAGER}&force=true`,
        body,
        'application/apply-patch+yaml',
      )) as KubeObject;
    },
    async create(obj) {
      const { collection, item } = objectPaths(obj, ns);
      return (await rawRequest(
        config,
        'POST',
        `${collection}?fieldManager=${FIELD_MANAGER}`,
        withNamespace(obj, item, ns),
      )) as KubeObject;
    },
    async scale(deployment, replicas) {
      await apps.patchNamespacedDeploymentScale(
        { name: deployment, namespace: ns, body: { spec: { replicas } }, fieldManager: FIELD_MANAGER },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    },
    async deleteDeployment(name) {
      try {
        await apps.deleteNamespacedDeployment({ name, namespace: ns, propagationPolicy: 'Foreground' });
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
      }
    },
    podLog(pod, container, opts) {
      return core.readNamespacedPodLog({ name: pod, namespace: ns, container, ...opts });
    },
    /**
     * GET pods/{name}/log?follow=true&tailLines=0 over node:https with the
     * kubeconfig's credentials, not client-node's Log: that one drops tailLines=0
     * (it sends only a truthy tailLines, so the whole log came again after the tail
     * Pier had printed), and once aborted its piped response emits an 'error' that
     * nothing listens to, which ended the server when a follower hung up.
     */
    async followPodLog(pod, container, onChunk, signal) {
      const cluster = config.getCurrentCluster();
      if (!cluster) throw new PierError('KUBERNETES_CONFIG', 'the kubeconfig names no current cluster');
      const url = new URL(
        `${cluster.server.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}/log`,
      );
      url.search = new URLSearchParams({ container, follow: 'true', tailLines: '0' }).toString();
      const opts: https.RequestOptions = {};
      await config.applyToHTTPSOptions(opts);
      if (signal.aborted) return;
      const transport = url.protocol === 'http:' ? http : https;
      await new Promise<void>((resolve, reject) => {
        const fail = (err: unknown) => (signal.aborted ? resolve() : reject(err));
        const req = transport.request(url, { ...opts, method: 'GET', signal }, (res) => {
          res.setEncoding('utf8');
          res.on('error', fail);
          if (res.statusCode !== 200) {
            let body = '';
            res.on('data', (text: string) => {
              body += text;
            });
            res.on('end', () => reject(new ApiException(res.statusCode ?? 0, 'pod log', body, {})));
            return;
          }
          res.on('data', (text: string) => onChunk(text));
          res.on('end', () => resolve());
          // The apiserver or the node ended the stream (the pod went away, a timeout).
          res.on('close', () => resolve());
        });
        req.on('error', fail);
        req.end();
      });
    },
  };
}

/** Namespaced objects carry the client's namespace; cluster-scoped ones none. */
function withNamespace(obj: KubeObject, item: string, ns: string): KubeObject {
  return item.includes('/namespaces/') ? { ...obj, metadata: { ...obj.metadata, namespace: ns } } : obj;
}

/** The HTTP status of a failed API call (client-node's ApiException carries `code`), or undefined. */
export function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown })?.code ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The apiserver's own message from a failed call (its Status object), else the error's. */
export function apiMessage(err: unknown): string {
  if (err instanceof KubeApiError) return err.message;
  const body = (err as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return status.message;
    } catch {}
  }
  return err instanceof Error ? err.message : String(err);
}
