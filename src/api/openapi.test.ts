import { describe, expect, it } from 'vitest';
import { createApiServer } from './api-server.js';
import { createFakeControl } from '../../test/support/fake-control.js';
import { OPENAPI_DOCUMENT } from './openapi.js';

const METHODS = ['get', 'post', 'patch', 'put', 'delete'];

describe('OpenAPI document', () => {
  it('describes exactly the routes the router knows', () => {
    const api = createApiServer({ control: createFakeControl(), adminToken: 'x' });
    const fromRouter = api.routes.map((r) => `${r.method} ${r.path}`).sort();
    const fromDocument = Object.entries(OPENAPI_DOCUMENT.paths)
      .flatMap(([path, item]) =>
        Object.keys(item)
          .filter((k) => METHODS.includes(k))
          .map((m) => `${m.toUpperCase()} ${path}`),
      )
      .sort();
    expect(fromDocument).toEqual(fromRouter);
  });

  it('marks exactly the public routes as needing no token', () => {
    const api = createApiServer({ control: createFakeControl(), adminToken: 'x' });
    const publicRoutes = api.routes.filter((r) => !r.auth).map((r) => `${r.method} ${r.path}`);
    const paths = OPENAPI_DOCUMENT.paths as unknown as Record<string, Record<string, { security?: unknown[] }>>;
    const publicInDoc = Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([m, op]) => METHODS.includes(m) && Array.isArray(op.security) && op.security.length === 0)
        .map(([m]) => `${m.toUpperCase()} ${path}`),
    );
    expect(publicInDoc.sort()).toEqual(publicRoutes.sort());
  });

  it('resolves every $ref', () => {
    const schemas = OPENAPI_DOCUMENT.components.schemas as Record<string, unknown>;
    const refs = JSON.stringify(OPENAPI_DOCUMENT).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const ref of refs) expect(schemas[ref.split('/').pop()!], ref).toBeDefined();
  });
});
