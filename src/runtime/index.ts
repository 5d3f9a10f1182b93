export type * from './types.js';
export { processUnsupportedReason, type SplitResult, splitCommand } from './command.js';
export { followLog, logFilePath, readLogTail } from './logs.js';
export { createProcessRuntime, type ProcessRuntimeOptions } from './process-runtime.js';
export { type ContainerRuntime, createContainerRuntime, detectContainerEngine } from './container/index.js';
export {
  createRuntimeSelector,
  type RuntimeChoice,
  type RuntimeSelector,
  type RuntimeSelectorOptions,
} from './select.js';
export {
  createGpuReservations,
  type GpuReservations,
  detectGpus,
  GpuAllocator,
  type GpuAllocation,
  parseNvidiaSmiList,
} from './gpu/index.js';
