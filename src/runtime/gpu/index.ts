export { type GpuAllocation, GpuAllocator } from './allocator.js';
export { detectGpus, parseNvidiaSmiList } from './detect.js';
export { createGpuReservations, type GpuReservations } from './reservations.js';
