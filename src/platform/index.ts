export { backoffOnExit, type BackoffEntry } from './local/backoff.js';
export { type CreateProber, type InstanceDeps, type InstanceInit, LocalInstance } from './local/instance.js';
export { createLocalRuntimes, type LocalRuntimesOptions } from './local/runtimes.js';
