/**
 * The part of the PAI-EAS control API (the Alibaba Cloud OpenAPI product "eas",
 * version 2021-07-01) that the PAI Python SDK needs to find a service:
 * DescribeService, `GET /api/v2/services/{ClusterId}/{ServiceName}`
 * (https://api.aliyun.com/api/eas/2021-07-01/DescribeService).
 * `pai.predictor.Predictor(name)` and `AsyncPredictor(name)` call it once, then
 * send predictions to `InternetEndpoint` with `AccessToken`, and read
 * `ServiceConfig` and `Status` (pai/predictor.py in github.com/aliyun/pai-python-sdk).
 * Pier has one cluster, so any ClusterId (the SDK sends its region id) is accepted
 * and echoed as `Region`. Calls are signed with an AccessKey pair, not the admin
 * token (eas-openapi-auth.ts); errors answer in the OpenAPI shape
 * `{RequestId, Code, Message}` that the tea client turns into ClientException,
 * plus Pier's own `code`.
 */

import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { PierError, toPierError } from '../errors.js';
import type { ServiceDescription, ServiceStatus } from './control-plane.js';
import { type AccessKey, createAccessKeyVerifier } from './eas-openapi-auth.js';
import type { Reply, Route } from './router.js';

export interface EasOpenApiDeps {
  key: AccessKey;
  clock: Clock;
}

/**
 * EAS's service states (the `Status` of DescribeService). Pier's statuses took
 * EAS's names, so the mapping is one to one; it is spelled out so that a status
 * Pier adds later has to be mapped here on purpose.
 */
const EAS_STATUS: Record<ServiceStatus, string> = {
  Creating: 'Creating',
  Waiting: 'Waiting',
  Running: 'Running',
  Updating: 'Updating',
  Scaling: 'Scaling',
  Stopping: 'Stopping',
  Stopped: 'Stopped',
  Failed: 'Failed',
  Deleting: 'Deleting',
};

/** Pier's error codes as the OpenAPI `Code` a client of EAS would see for the same failure. */
const EAS_CODE: Partial<Record<PierError['code'], string>> = {
  SERVICE_NOT_FOUND: 'InvalidService.NotFound',
  INTERNAL: 'InternalError',
};

export function createEasOpenApiRoutes(deps: EasOpenApiDeps): Route[] {
  const verify = createAccessKeyVerifier({ key: deps.key, clock: deps.clock });
  return [
    {
      method: 'GET',
      path: '/api/v2/services/{cluster}/{name}',
      // Not the admin token: the handler checks the AccessKey signature itself.
      auth: false,
      handle: (ctx) => {
        const requestId = randomUUID().toUpperCase();
        ctx.res.setHeader('x-acs-request-id', requestId);
        try {
          const rawPath = (ctx.req.url ?? '/').split('?')[0]!;
          const outcome = verify({
            method: ctx.req.method ?? 'GET',
            headers: ctx.req.headers,
            rawPath,
            query: ctx.query,
          });
          if (!outcome.ok)
            return easError(requestId, new PierError('OPENAPI_SIGNATURE', outcome.message), outcome.code);
          const service = ctx.control.describe(ctx.params.name!);
          return { json: describeServiceBody(service, ctx.params.cluster!, requestId) };
        } catch (err) {
          return easError(requestId, toPierError(err));
        }
      },
    },
  ];
}

function easError(requestId: string, err: PierError, easCode?: string): Reply {
  return {
    status: err.httpStatus,
    json: {
      RequestId: requestId,
      Code: easCode ?? EAS_CODE[err.code] ?? err.code,
      Message: err.message,
      code: err.code,
    },
  };
}

/** DescribeService's answer (the SDK's `Service` model) from Pier's description of a service. */
export function describeServiceBody(
  svc: ServiceDescription,
  cluster: string,
  requestId: string,
): Record<string, unknown> {
  const spec = svc.spec;
  const image = spec.containers?.find((c) => typeof c.image === 'string')?.image;
  const latest = svc.revisions.reduce((max, r) => Math.max(max, r.number), svc.revision);
  return {
    RequestId: requestId,
    ServiceName: svc.name,
    ServiceId: svc.name,
    ServiceUid: svc.name,
    Region: cluster,
    Status: EAS_STATUS[svc.status] ?? svc.status,
    Reason: svc.reason ?? '',
    Message: svc.message ?? '',
    // One gateway: the same URL whichever network the SDK says it is on.
    InternetEndpoint: svc.endpoint,
    IntranetEndpoint: svc.endpoint,
    AccessToken: svc.token,
    ServiceConfig: JSON.stringify(spec),
    CurrentVersion: svc.revision,
    LatestVersion: latest,
    TotalInstance: svc.desired,
    RunningInstance: svc.instances.ready,
    PendingInstance: svc.instances.pending,
    ...(typeof spec.metadata?.cpu === 'number' ? { Cpu: spec.metadata.cpu } : {}),
    ...(typeof spec.metadata?.memory === 'number' ? { Memory: spec.metadata.memory } : {}),
    Gpu: spec.metadata?.gpu ?? 0,
    ...(image ? { Image: image } : {}),
    Labels: labelsOf(spec.labels),
    CreateTime: isoSeconds(svc.createdAt),
    UpdateTime: isoSeconds(svc.updatedAt),
  };
}

/** A spec's `labels` object as EAS lists labels; anything else lists none. */
function labelsOf(labels: unknown): { LabelKey: string; LabelValue: string }[] {
  if (!labels || typeof labels !== 'object' || Array.isArray(labels)) return [];
  return Object.entries(labels as Record<string, unknown>).map(([k, v]) => ({ LabelKey: k, LabelValue: String(v) }));
}

/** EAS writes times as `2021-01-29T11:13:20Z`. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
