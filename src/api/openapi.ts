/**
 * The control API described as OpenAPI 3.1, written by hand next to the route
 * table; openapi.test.ts checks that both list the same routes. Long because it
 * is data: one entry per route plus the response schemas.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const arrayOf = (schema: object) => ({ type: 'array', items: schema });
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const errorResponse = (description: string) => json(ref('Error'), description);
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'Service name' };
const body = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
const common = {
  '401': errorResponse('Missing or wrong admin token (UNAUTHORIZED)'),
};
const withService = {
  ...common,
  '404': errorResponse('SERVICE_NOT_FOUND'),
};
const int = (minimum: number) => ({ type: 'integer', minimum });
const groupParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'Group name' };
const withGroup = { ...common, '404': errorResponse('GROUP_NOT_FOUND') };
const affinity = {
  type: 'object',
  required: ['kind', 'key'],
  properties: { kind: { type: 'string', enum: ['header', 'cookie'] }, key: { type: 'string' } },
};
const groupSummary = {
  type: 'object',
  required: ['name', 'mode', 'endpoint', 'members', 'createdAt'],
  properties: {
    name: { type: 'string' },
    mode: { type: 'string', enum: ['auto', 'custom'], description: 'auto: by ready instances; custom: by weight' },
    affinity,
    endpoint: { type: 'string', description: 'http://host:port/api/predict/<group>' },
    members: arrayOf({
      type: 'object',
      required: ['service', 'weight', 'standalone', 'ready', 'share', 'requests'],
      properties: {
        service: { type: 'string' },
        weight: { type: 'integer', minimum: 0, maximum: 1000 },
        standalone: { type: 'boolean' },
        ready: int(0),
        share: { type: 'number', description: 'percent of group traffic now' },
        requests: { ...int(0), description: 'requests sent to it through the group endpoint so far' },
      },
    }),
    createdAt: { type: 'integer', description: 'ms since the epoch' },
  },
};
const watchParam = {
  name: 'watch',
  in: 'query',
  schema: { type: 'string', enum: ['1', 'true'] },
  description:
    'Stream instead: NDJSON (application/x-ndjson), one line per change until the client disconnects (lists: the whole list again; events: each new event)',
};

const fieldErrors = arrayOf(ref('FieldError'));
const instanceCounts = {
  type: 'object',
  required: ['total', 'pending', 'running', 'ready'],
  properties: { total: int(0), pending: int(0), running: int(0), ready: int(0) },
};
const serviceStatus = {
  type: 'string',
  enum: ['Creating', 'Waiting', 'Running', 'Updating', 'Scaling', 'Stopping', 'Stopped', 'Failed', 'Deleting'],
};
const summaryProperties = {
  name: { type: 'string' },
  status: serviceStatus,
  reason: { type: 'string' },
  message: { type: 'string' },
  revision: int(1),
  desired: int(0),
  instances: instanceCounts,
  endpoint: { type: 'string', description: 'http://host:port/api/predict/<name>' },
  createdAt: { type: 'integer', description: 'ms since the epoch' },
  updatedAt: { type: 'integer', description: 'ms since the epoch' },
};
const summaryRequired = ['name', 'status', 'revision', 'desired', 'instances', 'endpoint', 'createdAt', 'updatedAt'];

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Pier control API',
    version: '1',
    description:
      'Manages model services described by PAI-EAS service specs. Every route except /healthz and /metrics needs the admin token: `Authorization: Bearer <token>` (or the raw token).',
  },
  security: [{ adminToken: [] }],
  paths: {
    '/': {
      get: {
        summary: 'The web console (HTML; asks for the admin token and keeps it in the tab only)',
        security: [],
        responses: { '200': { description: 'The console page', content: { 'text/html': {} } } },
      },
    },
    '/console/{file}': {
      get: {
        summary: "The console's scripts and styles",
        security: [],
        parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'A file of the console' },
          '404': errorResponse('ROUTE_NOT_FOUND'),
        },
      },
    },
    '/healthz': {
      get: {
        summary: 'Liveness of the control plane',
        security: [],
        responses: { '200': json({ type: 'object', properties: { ok: { const: true } } }) },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        description:
          'Public when `pier server --metrics-auth none` (the default on a loopback control host); with `token` (the default elsewhere) it needs the admin token and answers 401 without it.',
        security: [],
        responses: {
          '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
          '404': errorResponse('Metrics are not enabled (ROUTE_NOT_FOUND)'),
        },
      },
    },
    '/api/v1/openapi.json': {
      get: { summary: 'This document', responses: { '200': json({ type: 'object' }), ...common } },
    },
    '/api/v1/validate': {
      post: {
        summary: 'Validate a spec without creating anything',
        requestBody: body(ref('ServiceSpecInput')),
        responses: { '200': json(ref('ValidationResult')), '400': errorResponse('Body is not JSON'), ...common },
      },
    },
    '/api/v1/services': {
      get: {
        summary: 'List services',
        parameters: [watchParam],
        responses: { '200': json(arrayOf(ref('ServiceSummary'))), ...common },
      },
      post: {
        summary: 'Create a service from a spec',
        requestBody: body(ref('ServiceSpecInput')),
        responses: {
          '201': json(
            {
              type: 'object',
              required: ['service', 'warnings'],
              properties: { service: ref('ServiceDescription'), warnings: fieldErrors },
            },
            'Created; instances are starting',
          ),
          '400': errorResponse('SPEC_INVALID (with errors) or BAD_REQUEST'),
          '409': errorResponse('SERVICE_EXISTS'),
          '413': errorResponse('BODY_TOO_LARGE'),
          '422': errorResponse('RUNTIME_UNSUPPORTED'),
          ...common,
        },
      },
    },
    '/api/v1/services/{name}': {
      parameters: [nameParam],
      get: { summary: 'Describe a service', responses: { '200': json(ref('ServiceDescription')), ...withService } },
      patch: {
        summary: 'Modify a service: merge a partial spec, replace it, or set dotted paths',
        requestBody: body(ref('ModifyRequest')),
        responses: {
          '200': json(ref('ModifyResult')),
          '400': errorResponse('SPEC_INVALID or BAD_REQUEST'),
          '409': errorResponse('CONFLICT'),
          ...withService,
        },
      },
      delete: {
        summary: 'Delete a service and its instances',
        responses: {
          '200': json({ type: 'object', required: ['deleted'], properties: { deleted: { type: 'string' } } }),
          ...withService,
        },
      },
    },
    '/api/v1/services/{name}/stop': {
      parameters: [nameParam],
      post: {
        summary: 'Stop all instances, keep the service',
        responses: { '200': json(ref('ServiceDescription')), ...withService },
      },
    },
    '/api/v1/services/{name}/start': {
      parameters: [nameParam],
      post: {
        summary: 'Start a stopped service',
        responses: { '200': json(ref('ServiceDescription')), ...withService },
      },
    },
    '/api/v1/services/{name}/scale': {
      parameters: [nameParam],
      post: {
        summary: 'Set the desired instance count',
        requestBody: body({ type: 'object', required: ['instances'], properties: { instances: int(0) } }),
        responses: {
          '200': json(ref('ServiceDescription')),
          '400': errorResponse('instances is not an integer ≥ 0'),
          ...withService,
        },
      },
    },
    '/api/v1/services/{name}/revisions': {
      parameters: [nameParam],
      get: { summary: 'List revisions', responses: { '200': json(arrayOf(ref('RevisionRecord'))), ...withService } },
    },
    '/api/v1/services/{name}/rollback': {
      parameters: [nameParam],
      post: {
        summary: 'Roll revision N out again',
        requestBody: body({ type: 'object', required: ['revision'], properties: { revision: int(1) } }),
        responses: {
          '200': json(ref('ServiceDescription')),
          '400': errorResponse('revision is not an integer ≥ 1'),
          ...withService,
        },
      },
    },
    '/api/v1/services/{name}/traffic': {
      parameters: [nameParam],
      patch: {
        summary: 'Set the traffic split between revisions (Knative-style): revision → whole percent, summing to 100',
        requestBody: body(ref('TrafficRequest')),
        responses: {
          '200': json(ref('ServiceDescription')),
          '400': errorResponse(
            'BAD_REQUEST: a percent not a whole number 0–100, a revision the service lacks, or a sum other than 100 (errors[].path traffic.<revision>)',
          ),
          '422': errorResponse('TRAFFIC_UNSUPPORTED: the platform cannot run a split (Kubernetes)'),
          ...withService,
        },
      },
    },
    '/api/v1/services/{name}/promote': {
      parameters: [nameParam],
      post: {
        summary: "Promote revision N: 100% of the traffic, the current revision; the other revisions' instances drain",
        requestBody: body({ type: 'object', required: ['revision'], properties: { revision: int(1) } }),
        responses: {
          '200': json(ref('ServiceDescription')),
          '400': errorResponse('revision is not an integer ≥ 1'),
          ...withService,
        },
      },
    },
    '/api/v1/services/{name}/restart': {
      parameters: [nameParam],
      post: {
        summary: 'Replace every instance (or one) through the rolling path',
        requestBody: body({ type: 'object', properties: { instance: { type: 'string' } } }),
        responses: {
          '200': json(ref('ServiceDescription')),
          '400': errorResponse('instance is not a string'),
          ...withService,
        },
      },
    },
    '/api/v1/services/{name}/diff': {
      parameters: [
        nameParam,
        { name: 'from', in: 'query', required: true, schema: int(1), description: 'Revision A' },
        { name: 'to', in: 'query', required: true, schema: int(1), description: 'Revision B' },
      ],
      get: {
        summary: 'What changed between two revisions',
        responses: {
          '200': json({
            type: 'object',
            properties: {
              from: int(1),
              to: int(1),
              changes: arrayOf({ type: 'object', properties: { path: { type: 'string' }, from: {}, to: {} } }),
            },
          }),
          '400': errorResponse('Bad query'),
          ...withService,
        },
      },
    },
    '/api/v1/services/{name}/activate': {
      parameters: [nameParam],
      post: {
        summary: 'A gateway holds a request for a service scaled to zero: start instances now',
        description:
          'Sent by remote gateways (pier gateway --control URL); a no-op unless the service is at 0 instances with an autoscaler min of 0.',
        responses: { '204': { description: 'Recorded' }, ...withService },
      },
    },
    '/api/v1/services/{name}/history': {
      parameters: [nameParam],
      get: {
        summary: "The console's charts: one point per 5 s step over the last hour",
        description:
          'Completed steps, oldest first: requests per second by status class, p50/p99 latency in seconds (null without requests) and instances desired/ready. Kept in memory by the control plane; empty after a restart.',
        responses: { '200': json(ref('History')), ...withService },
      },
    },
    '/api/v1/services/{name}/instances': {
      parameters: [nameParam, watchParam],
      get: { summary: 'List instances', responses: { '200': json(arrayOf(ref('InstanceView'))), ...withService } },
    },
    '/api/v1/services/{name}/queue': {
      parameters: [nameParam],
      get: {
        summary: "An async service's input and sink queues: endpoint, length, consumers, oldest item",
        responses: {
          '200': json({ type: 'object', required: ['input', 'sink', 'instances'] }),
          '400': errorResponse('Not an async service'),
          ...withService,
        },
      },
    },
    '/api/v1/groups': {
      get: { summary: 'List service groups', responses: { '200': json(arrayOf(ref('GroupSummary'))), ...common } },
    },
    '/api/v1/groups/{name}': {
      parameters: [groupParam],
      get: {
        summary: 'A service group: token, mode, affinity, members with weight, share now and requests so far',
        responses: { '200': json(ref('GroupDescription')), ...withGroup },
      },
    },
    '/api/v1/groups/{name}/traffic': {
      parameters: [groupParam],
      patch: {
        summary: 'Change how a group shares traffic: mode, custom weights, standalone members, affinity',
        requestBody: body(ref('GroupTrafficRequest')),
        responses: {
          '200': json(ref('GroupDescription')),
          '400': errorResponse(
            'BAD_REQUEST: a weight outside 0–1000 or a service that is no member (with errors[].path)',
          ),
          ...withGroup,
        },
      },
    },
    '/api/v1/services/{name}/events': {
      parameters: [
        nameParam,
        { name: 'sinceId', in: 'query', schema: int(0), description: 'Only events with a larger id' },
        { name: 'limit', in: 'query', schema: int(1), description: 'At most this many (the newest)' },
        watchParam,
      ],
      get: {
        summary: 'List events',
        responses: { '200': json(arrayOf(ref('EventRecord'))), '400': errorResponse('Bad query'), ...withService },
      },
    },
    '/api/v1/services/{name}/logs': {
      parameters: [
        nameParam,
        { name: 'instance', in: 'query', schema: { type: 'string' }, description: 'One instance (default: all)' },
        { name: 'tail', in: 'query', schema: int(0), description: 'Last N lines (default 200)' },
        {
          name: 'follow',
          in: 'query',
          schema: { type: 'string', enum: ['1', 'true'] },
          description: 'Stream new output',
        },
      ],
      get: {
        summary: 'Instance logs; with follow=1 a chunked stream until the client disconnects',
        responses: {
          '200': { description: 'Log text', content: { 'text/plain': { schema: { type: 'string' } } } },
          '400': errorResponse('Bad query'),
          ...withService,
          '404': errorResponse('SERVICE_NOT_FOUND or INSTANCE_NOT_FOUND'),
        },
      },
    },
    '/api/v1/endpoints/watch': {
      get: {
        summary: 'Endpoint snapshots for remote gateways',
        description:
          'NDJSON: the current snapshot, then one line per new snapshot, and {"heartbeat":true} every 10 s. A remote gateway passes ?gateway=<id> and acknowledges snapshots (POST /api/v1/endpoints/ack); while its stream is open, an instance is signalled only after that gateway confirmed it no longer routes to it and has nothing in flight to it (or after the grace period).',
        parameters: [
          {
            name: 'gateway',
            in: 'query',
            required: false,
            schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
            description:
              'Id of the remote gateway that acknowledges snapshots; without it nothing waits for this watcher',
          },
        ],
        responses: {
          '200': {
            description: 'A stream of lines',
            content: { 'application/x-ndjson': { schema: { oneOf: [ref('EndpointSnapshot'), ref('Heartbeat')] } } },
          },
          '400': errorResponse('BAD_REQUEST: gateway is not a valid id'),
          ...common,
        },
      },
    },
    '/api/v1/endpoints/ack': {
      post: {
        summary: 'A remote gateway acknowledges an endpoint snapshot',
        description:
          'Sent after each snapshot a gateway applied, and every 500 ms while requests to instances that left its snapshot are still running.',
        requestBody: body(ref('EndpointAck')),
        responses: {
          '204': { description: 'Recorded (ignored when the gateway has no open watch)' },
          '400': errorResponse('BAD_REQUEST (with errors: gateway, version, inflight.<id>)'),
          ...common,
        },
      },
    },
    '/api/v1/gateways/stats': {
      post: {
        summary: 'A gateway replica reports its counters for the autoscaler',
        description:
          'Sent about once a second by every `pier gateway` (with --control or --kubernetes). The autoscaler sums the replicas heard from in the last 5 s with the in-process gateway; a replica counts its requests from its first report.',
        requestBody: body(ref('GatewayStats')),
        responses: {
          '204': { description: 'Recorded' },
          '400': errorResponse('BAD_REQUEST (with errors: gateway, services.<name>.instances.<id>.requests, …)'),
          ...common,
        },
      },
    },
    '/api/v2/services/{cluster}/{name}': {
      get: {
        summary: "EAS OpenAPI DescribeService (2021-07-01), for the PAI SDK's Predictor and AsyncPredictor",
        description:
          'Signed with an AccessKey pair, not the admin token: `Authorization: acs <AccessKeyId>:<ROA signature>` (docs/pai-sdk.md). Any cluster id is accepted (Pier has one) and echoed as `Region`.',
        security: [],
        parameters: [
          {
            name: 'cluster',
            in: 'path',
            required: true,
            schema: { type: 'string' },
            description: 'EAS cluster (region) id',
          },
          nameParam,
        ],
        responses: {
          '200': json(ref('EasService')),
          '400': json(
            ref('EasError'),
            'OPENAPI_SIGNATURE: the signature is missing, does not match, is stale or replayed',
          ),
          '404': json(ref('EasError'), 'SERVICE_NOT_FOUND (Code InvalidService.NotFound)'),
        },
      },
    },
  },
  components: {
    securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } },
    schemas: {
      GroupSummary: groupSummary,
      GroupDescription: {
        ...groupSummary,
        required: [...groupSummary.required, 'token'],
        properties: { ...groupSummary.properties, token: { type: 'string' } },
      },
      GroupTrafficRequest: {
        type: 'object',
        properties: {
          mode: { type: 'string', enum: ['auto', 'custom'] },
          weights: {
            type: 'object',
            additionalProperties: { type: 'integer', minimum: 0, maximum: 1000 },
            description: 'custom weights by member; given without mode, mode becomes custom',
          },
          standalone: { type: 'object', additionalProperties: { type: 'boolean' } },
          affinity: {
            oneOf: [
              { type: 'object', required: ['header'], properties: { header: { type: 'string' } } },
              { type: 'object', required: ['cookie'], properties: { cookie: { type: 'string' } } },
              { type: 'null' },
            ],
          },
        },
      },
      History: {
        type: 'object',
        required: ['stepMs', 'windowMs', 'points'],
        properties: {
          stepMs: int(1),
          windowMs: int(1),
          points: arrayOf({
            type: 'object',
            required: ['t', 'qps', 'p50', 'p99', 'desired', 'ready'],
            properties: {
              t: { type: 'integer', description: 'start of the step, ms since the epoch' },
              qps: {
                type: 'object',
                properties: { '2xx': { type: 'number' }, '4xx': { type: 'number' }, '5xx': { type: 'number' } },
              },
              p50: { type: ['number', 'null'] },
              p99: { type: ['number', 'null'] },
              desired: { type: ['integer', 'null'] },
              ready: { type: ['integer', 'null'] },
            },
          }),
        },
      },
      Error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', description: 'Stable code, see docs/errors.md' },
          message: { type: 'string' },
          errors: fieldErrors,
          warnings: fieldErrors,
        },
      },
      EasService: {
        type: 'object',
        description: "EAS's Service object, from Pier's description of the service",
        required: [
          'RequestId',
          'ServiceName',
          'Status',
          'InternetEndpoint',
          'IntranetEndpoint',
          'AccessToken',
          'ServiceConfig',
        ],
        properties: {
          RequestId: { type: 'string' },
          ServiceName: { type: 'string' },
          ServiceId: { type: 'string' },
          Region: { type: 'string' },
          Status: serviceStatus,
          Reason: { type: 'string' },
          Message: { type: 'string' },
          InternetEndpoint: { type: 'string', description: 'http://gateway/api/predict/<name>' },
          IntranetEndpoint: { type: 'string', description: 'the same URL' },
          AccessToken: { type: 'string' },
          ServiceConfig: { type: 'string', description: 'the current spec as JSON (secrets as ***)' },
          CurrentVersion: int(1),
          LatestVersion: int(1),
          TotalInstance: int(0),
          RunningInstance: int(0),
          PendingInstance: int(0),
          Labels: arrayOf({
            type: 'object',
            properties: { LabelKey: { type: 'string' }, LabelValue: { type: 'string' } },
          }),
          CreateTime: { type: 'string' },
          UpdateTime: { type: 'string' },
        },
      },
      EasError: {
        type: 'object',
        required: ['RequestId', 'Code', 'Message', 'code'],
        properties: {
          RequestId: { type: 'string' },
          Code: { type: 'string', description: "Alibaba Cloud's error code, e.g. SignatureDoesNotMatch" },
          Message: { type: 'string' },
          code: { type: 'string', description: "Pier's stable code, see docs/errors.md" },
        },
      },
      FieldError: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
      ServiceSpecInput: {
        type: 'object',
        description: 'A PAI-EAS service spec (name, metadata, containers, storage, autoscaler, …)',
        additionalProperties: true,
      },
      ServiceSpec: {
        type: 'object',
        description: 'A normalized spec with every default filled in; secrets shown as ***',
        required: ['name', 'metadata', 'containers', 'storage'],
        additionalProperties: true,
      },
      ValidationResult: {
        type: 'object',
        required: ['ok', 'errors', 'warnings'],
        properties: {
          ok: { type: 'boolean' },
          name: { type: 'string' },
          errors: fieldErrors,
          warnings: fieldErrors,
          spec: ref('ServiceSpec'),
        },
      },
      ServiceSummary: { type: 'object', required: summaryRequired, properties: summaryProperties },
      RevisionSummary: {
        type: 'object',
        required: ['number', 'createdAt', 'summary', 'current'],
        properties: {
          number: int(1),
          createdAt: { type: 'integer' },
          summary: { type: 'string' },
          current: { type: 'boolean' },
        },
      },
      ServiceDescription: {
        type: 'object',
        required: [...summaryRequired, 'token', 'spec', 'revisions', 'traffic'],
        properties: {
          ...summaryProperties,
          token: { type: 'string' },
          group: {
            type: 'object',
            description: 'The service group of metadata.group',
            properties: { name: { type: 'string' }, endpoint: { type: 'string' } },
          },
          spec: ref('ServiceSpec'),
          revisions: arrayOf(ref('RevisionSummary')),
          hint: { type: 'string' },
          traffic: {
            ...arrayOf({
              type: 'object',
              required: ['revision', 'percent', 'readyInstances'],
              properties: { revision: int(1), percent: int(1), readyInstances: int(0) },
            }),
            description: 'The split between revisions; without one, the current revision alone at 100%',
          },
        },
      },
      TrafficRequest: {
        type: 'object',
        required: ['traffic'],
        properties: {
          traffic: {
            type: 'object',
            additionalProperties: { type: 'integer', minimum: 0, maximum: 100 },
            description: 'Revision number → whole percent; the percents sum to 100, and a revision at 0 is dropped',
            example: { '2': 50, '3': 50 },
          },
        },
      },
      ModifyRequest: {
        type: 'object',
        description: 'At least one of patch, replace, set',
        properties: {
          patch: { type: 'object', description: 'Partial spec: objects merge by key, lists replace' },
          replace: { type: 'object', description: 'Whole spec replacing the current one' },
          set: { type: 'object', additionalProperties: true, description: 'Dotted path → value' },
          traffic: {
            type: 'integer',
            minimum: 1,
            maximum: 99,
            description:
              'A canary: the new revision starts next to the current one with this percent of the traffic, instead of a rolling replacement',
          },
        },
      },
      ModifyResult: {
        type: 'object',
        required: ['service', 'newRevision', 'scaled', 'warnings'],
        properties: {
          service: ref('ServiceDescription'),
          newRevision: { type: 'boolean' },
          scaled: { type: 'boolean' },
          warnings: fieldErrors,
        },
      },
      RevisionRecord: {
        type: 'object',
        required: ['service', 'number', 'spec', 'summary', 'createdAt'],
        properties: {
          service: { type: 'string' },
          number: int(1),
          spec: ref('ServiceSpec'),
          summary: { type: 'string' },
          createdAt: { type: 'integer' },
        },
      },
      ExitInfo: {
        type: 'object',
        required: ['exitCode', 'signal', 'reason', 'message', 'finishedAt'],
        properties: {
          exitCode: { type: ['integer', 'null'] },
          signal: { type: ['string', 'null'] },
          reason: { type: 'string', enum: ['Completed', 'Error', 'OOMKilled', 'Killed', 'StartError'] },
          message: { type: 'string' },
          finishedAt: { type: 'integer' },
        },
      },
      InstanceView: {
        type: 'object',
        required: ['id', 'service', 'revision', 'state', 'ready', 'restarts', 'address', 'startedAt', 'probes'],
        properties: {
          id: { type: 'string' },
          service: { type: 'string' },
          revision: int(1),
          state: {
            type: 'string',
            enum: ['Pending', 'Starting', 'Running', 'CrashLoopBackOff', 'Terminating', 'Failed'],
          },
          ready: { type: 'boolean' },
          restarts: int(0),
          address: { type: ['string', 'null'] },
          platform: {
            description: "Where the instance runs, in its platform's terms (local: runtime and pid); for operators",
            oneOf: [ref('LocalInstanceDetail'), ref('KubernetesInstanceDetail')],
          },
          startedAt: { type: ['integer', 'null'] },
          reason: { type: 'string' },
          message: { type: 'string' },
          lastState: ref('ExitInfo'),
          probes: {
            type: 'object',
            description: 'Last outcome per probe kind (startup, liveness, readiness)',
            additionalProperties: {
              type: 'object',
              properties: { result: { type: 'string' }, message: { type: 'string' }, at: { type: 'integer' } },
            },
          },
        },
      },
      KubernetesInstanceDetail: {
        type: 'object',
        required: ['kind'],
        properties: { kind: { type: 'string', enum: ['kubernetes'] }, node: { type: 'string' } },
      },
      LocalInstanceDetail: {
        type: 'object',
        required: ['kind', 'runtime'],
        properties: {
          kind: { type: 'string', enum: ['local'] },
          runtime: { type: 'string', enum: ['process', 'container'] },
          pid: int(1),
        },
      },
      EventRecord: {
        type: 'object',
        required: ['id', 'service', 'type', 'reason', 'message', 'time'],
        properties: {
          id: int(1),
          service: { type: 'string' },
          type: { type: 'string', enum: ['Normal', 'Warning'] },
          reason: { type: 'string' },
          message: { type: 'string' },
          instance: { type: 'string' },
          revision: int(1),
          time: { type: 'integer' },
        },
      },
      EndpointSnapshot: {
        type: 'object',
        required: ['version', 'services'],
        properties: {
          version: { type: 'integer' },
          services: { type: 'object', additionalProperties: { type: 'object' } },
        },
      },
      Heartbeat: { type: 'object', required: ['heartbeat'], properties: { heartbeat: { const: true } } },
      EndpointAck: {
        type: 'object',
        required: ['gateway', 'version', 'inflight'],
        properties: {
          gateway: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
          version: { ...int(0), description: 'The snapshot version the gateway applied' },
          inflight: {
            type: 'object',
            description: 'Requests still running to instances no longer in that snapshot (instance id → count)',
            additionalProperties: int(0),
          },
        },
      },
      GatewayStats: {
        type: 'object',
        required: ['gateway', 'services'],
        properties: {
          gateway: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
          services: {
            type: 'object',
            description:
              'Per service: requests the activator holds, and per instance cumulative requests and in flight now',
            additionalProperties: {
              type: 'object',
              required: ['instances'],
              properties: {
                pending: int(0),
                instances: {
                  type: 'object',
                  additionalProperties: {
                    type: 'object',
                    required: ['requests', 'inflight'],
                    properties: { requests: int(0), inflight: int(0) },
                  },
                },
              },
            },
          },
          groups: {
            type: 'object',
            description: 'Requests through each group endpoint so far, per member',
            additionalProperties: { type: 'object', additionalProperties: int(0) },
          },
        },
      },
    },
  },
} as const;
