export { findNfsMount } from './nfs.js';
export { ossCacheDir, parseOssPath, syncOss } from './oss.js';
export { linkProcessMounts } from './process.js';
export { type ResolvedMount, type ResolveResult, resolveMounts } from './resolve.js';
