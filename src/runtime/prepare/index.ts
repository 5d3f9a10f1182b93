export { pipInstallArgs, type Requirements, readRequirements, requirementsHash } from './requirements.js';
export { type StepResult, runStep } from './run.js';
export { ensureVenv, READY_MARKER, type VenvResult, venvArgs, venvEnv } from './venv.js';
export { type ProcessPrepared, prepareProcessInstance } from './instance.js';
export { type ContainerDepsResult, ensureContainerDeps, PYDEPS_MOUNT, pipRunArgs } from './container.js';
