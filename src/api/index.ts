export type * from './control-plane.js';
export { createApiServer } from './api-server.js';
export type { ApiServer, ApiServerOptions } from './api-server.js';
export { OPENAPI_DOCUMENT } from './openapi.js';
export { API_PREFIX } from './routes.js';
/** In-memory ControlPlane for tests of API clients (the CLI's tests use it). */
export { createFakeControl, createFakeEndpoints, type FakeControl, fakeDescription } from './fake-control.js';
