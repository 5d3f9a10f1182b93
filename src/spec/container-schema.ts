/** containers[] and storage[]: what each instance runs and mounts. */

import { quote } from 'shell-quote';
import { z } from 'zod';
import { bool, type Ctx, isSet, issue, list, obj, oneOf, port, str } from './fields.js';
import { describe } from './format.js';
import { documented, trimmed } from './json-schema.js';
import { PROBE_KINDS, probeSchema } from './probe.js';
import { checkImage, checkNoNul, checkRequirement } from './references.js';

export const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

const envVar = obj(
  {
    name: str({
      required: true,
      label: 'env name',
      example: 'MODEL_DIR',
      check: (v) =>
        ENV_NAME.test(v)
          ? undefined
          : 'is not a valid environment variable name; use letters, digits, "_", "-" and ".", not starting with a digit, e.g. "MODEL_DIR"',
    }),
    value: str({ coerce: true, default: '', check: checkNoNul }),
  },
  { example: '{"name": "MODEL_DIR", "value": "/models"}' },
);

const MAX_WORDS = 1000;

/** `command` is one command line; a list of words is accepted and joined the way a shell would read it. */
const commandLine = documented(
  z.unknown().transform((raw, ctx) => {
    if (raw === undefined || raw === null) return undefined;
    const nul = (words: string[]) => words.some((w) => checkNoNul(w) !== undefined);
    const nulMessage = `command ${describe(raw)} ${checkNoNul('\u0000')}`;
    if (typeof raw === 'string') {
      if (raw.trim() === '') return issue(ctx, 'command is empty; give the command line to run, e.g. "python3 app.py"');
      if (nul([raw])) return issue(ctx, nulMessage);
      return raw;
    }
    if (Array.isArray(raw) && raw.length > 0 && raw.length <= MAX_WORDS && raw.every((w) => typeof w === 'string')) {
      if (nul(raw)) return issue(ctx, nulMessage);
      return quote(raw);
    }
    return issue(ctx, `command ${describe(raw)} is not a string; give one command line, e.g. "python3 app.py"`);
  }),
  {
    schema: {
      type: ['string', 'array'],
      description: 'one command line, or a list of words joined as a shell would read them',
      items: { type: 'string' },
      minLength: 1,
      minItems: 1,
      maxItems: MAX_WORDS,
    },
  },
);

const prepare = obj(
  {
    pythonRequirements: list(str({ required: true, example: 'numpy==1.26.4', check: checkRequirement }), {
      optional: true,
      max: 1000,
      example: '["numpy==1.26.4"]',
    }),
    pythonRequirementsPath: str({
      nonEmpty: true,
      example: '/code/requirements.txt',
      check: (v) =>
        v.startsWith('-')
          ? 'must not start with "-" (pip would read it as an option); give the path of the file'
          : checkNoNul(v),
    }),
  },
  { optional: true, example: '{"pythonRequirements": ["numpy==1.26.4"]}' },
);

const probes = Object.fromEntries(PROBE_KINDS.map((k) => [k, probeSchema(k)]));

export const containerSchema = obj(
  {
    image: str({ nonEmpty: true, example: 'registry.example.com/team/app:1', check: checkImage }),
    command: commandLine,
    script: str({ nonEmpty: true, example: 'python3 app.py', check: checkNoNul }),
    port: port(false),
    env: list(envVar, { max: 1000, example: '[{"name": "MODEL_DIR", "value": "/models"}]' }),
    prepare,
    ...probes,
  },
  { example: '{"command": "python3 app.py", "port": 8000}' },
  checkContainer,
);

function checkContainer(c: Record<string, unknown>, ctx: Ctx): void {
  if (c.command !== undefined && c.script !== undefined) {
    issue(
      ctx,
      'container has both command and script; keep exactly one: command is one command line run without a shell, script is a shell script',
    );
  } else if (c.command === undefined && c.script === undefined && c.image === undefined) {
    issue(
      ctx,
      'container has none of command, script or image; give a command line such as "command": "python3 app.py" (or an image with its own entrypoint)',
    );
  }
}

export const containersSchema = list(
  containerSchema,
  { min: 1, max: 16, example: '[{"command": "python3 app.py", "port": 8000}]' },
  (containers, ctx) => {
    const items = containers.filter((c): c is Record<string, unknown> => isSet(c) && typeof c === 'object');
    if (items.length === containers.length && items.every((c) => c.port === undefined)) {
      issue(
        ctx,
        'no container has a port; the serving container (the first with a port) needs one, e.g. "port": 8000',
        [0, 'port'],
      );
    }
    const seen = new Map<number, number>();
    containers.forEach((c, i) => {
      const p = isSet(c) && typeof c === 'object' ? (c as Record<string, unknown>).port : undefined;
      if (typeof p !== 'number') return;
      const first = seen.get(p);
      if (first !== undefined) {
        issue(
          ctx,
          `port ${p} is already used by containers[${first}]; containers of one instance share its network, so give each its own port`,
          [i, 'port'],
        );
      } else seen.set(p, i);
    });
  },
);

const sizeLimit = documented(
  z.unknown().transform((raw, ctx) => {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return raw;
    if (typeof raw === 'string' && /^\d+(\.\d+)?([KMGTPE]i?)?$/.test(raw.trim())) return raw.trim();
    return issue(ctx, `size_limit ${describe(raw)} is not a size; use bytes or a quantity such as "1Gi"`);
  }),
  {
    schema: {
      type: ['number', 'string'],
      description: 'bytes, or a quantity such as "1Gi"',
      minimum: 0,
      pattern: trimmed('\\d+(\\.\\d+)?([KMGTPE]i?)?'),
    },
  },
);

export const STORAGE_KINDS = ['oss', 'nfs', 'empty_dir', 'local'] as const;

const storageItem = obj(
  {
    mount_path: str({
      required: true,
      example: '/models',
      check: (v) => (v.startsWith('/') ? undefined : 'is not an absolute path; start it with "/", e.g. "/models"'),
    }),
    oss: obj(
      {
        path: str({
          required: true,
          example: 'oss://bucket/models/',
          check: (v) =>
            v.startsWith('oss://') ? undefined : 'does not start with oss://; write it as "oss://bucket/dir/"',
        }),
        readOnly: bool(false),
        endpoint: str({ nonEmpty: true }),
      },
      { optional: true, example: '{"path": "oss://bucket/models/"}' },
    ),
    nfs: obj(
      {
        server: str({ required: true, example: '10.0.0.5' }),
        path: str({ required: true, example: '/exports/models' }),
        readOnly: bool(false),
      },
      { optional: true, example: '{"server": "10.0.0.5", "path": "/exports/models"}' },
    ),
    empty_dir: obj({ medium: oneOf(['memory'] as const), size_limit: sizeLimit }, { optional: true, example: '{}' }),
    local: obj(
      { path: str({ required: true, example: '/data/models' }), readOnly: bool(false) },
      { optional: true, example: '{"path": "/data/models"}' },
    ),
  },
  { example: '{"mount_path": "/models", "local": {"path": "/data/models"}}' },
  (item, ctx) => {
    const kinds = STORAGE_KINDS.filter((k) => item[k] !== undefined);
    if (kinds.length === 0) {
      issue(
        ctx,
        'storage item has no source; give exactly one of oss, nfs, empty_dir, local, e.g. "local": {"path": "/data/models"}',
      );
    } else if (kinds.length > 1) {
      issue(ctx, `storage item has ${kinds.length} sources (${kinds.join(', ')}); keep exactly one`);
    }
  },
);

export const storageSchema = list(storageItem, { max: 64 }, (items, ctx) => {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const mp = isSet(item) && typeof item === 'object' ? (item as Record<string, unknown>).mount_path : undefined;
    if (typeof mp !== 'string') return;
    const key = mp.replace(/\/+$/, '') || '/';
    const first = seen.get(key);
    if (first !== undefined)
      issue(ctx, `mount_path ${describe(mp)} is already used by storage[${first}]; give each mount its own path`, [
        i,
        'mount_path',
      ]);
    else seen.set(key, i);
  });
});
