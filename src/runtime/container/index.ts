export { buildRuns, containerUnsupportedReason, LABEL } from './args.js';
export { detectContainerEngine, type EngineKind, shippedContainersConf } from './engine.js';
export { type ContainerRuntime, type ContainerRuntimeOptions, createContainerRuntime } from './runtime.js';
