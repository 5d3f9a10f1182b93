export type * from './control-plane.js';
export { createApiServer, metricsAuthFor } from './api-server.js';
export type { ApiServer, ApiServerOptions } from './api-server.js';
export { OPENAPI_DOCUMENT } from './openapi.js';
export { API_PREFIX, type MetricsAuth } from './routes.js';
export { type AccessKey, DEFAULT_OPENAPI_ACCESS_KEY_ID, openApiKeyFromEnv } from './eas-openapi-auth.js';
