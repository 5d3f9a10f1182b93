export type * from './types.js';
export { containerEnvPlan, makeInstancePlan, resolveEnv, servingOf } from './make.js';
