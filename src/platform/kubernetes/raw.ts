/**
 * Writes objects as the JSON they are. client-node's generic object API runs
 * bodies through its typed models, which drop every field they do not know under
 * the TypeScript name (`x-kubernetes-preserve-unknown-fields` in a CRD's schema,
 * fields newer than the models), so apply and create go through here instead,
 * with the kubeconfig's credentials.
 */

import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from './translate/index.js';

/** Where each kind Pier writes lives: its plural, and whether it is namespaced. */
const RESOURCES: Record<string, { plural: string; namespaced: boolean }> = {
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false },
  'pier.dev/v1alpha1/PierService': { plural: 'pierservices', namespaced: true },
  'coordination.k8s.io/v1/Lease': { plural: 'leases', namespaced: true },
};

export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    super(`HTTP ${code}: ${statusMessage(body)}`);
  }
}

function statusMessage(body: string): string {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 300);
  } catch {
    return body.slice(0, 300);
  }
}

/** The collection path of an object's kind in `namespace`, and the object's own path. */
export function objectPaths(obj: KubeObject, namespace: string): { collection: string; item: string } {
  const where = RESOURCES[`${obj.apiVersion}/${obj.kind}`];
  if (!where) throw new Error(`Pier does not write ${obj.apiVersion} ${obj.kind} objects`);
  const prefix = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const collection = `${prefix}${where.namespaced ? `/namespaces/${namespace}` : ''}/${where.plural}`;
  return { collection, item: `${collection}/${obj.metadata.name}` };
}

export async function rawRequest(
  config: KubeConfig,
  method: string,
  path: string,
  body: unknown,
  contentType = 'application/json',
): Promise<unknown> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig names no current cluster');
  const url = new URL(path, server);
  const opts: https.RequestOptions = { method, headers: {} };
  await config.applyToHTTPSOptions(opts);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = {
    ...(opts.headers as Record<string, string>),
    accept: 'application/json',
    ...(payload ? { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) } : {}),
  };
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { ...opts, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const code = res.statusCode ?? 0;
        if (code < 200 || code > 299) reject(new KubeApiError(code, text));
        else resolve(text ? JSON.parse(text) : undefined);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
