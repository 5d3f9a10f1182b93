// A gateway worker thread runs the TypeScript sources as the main thread does
// (bin/pier.js): module hooks are per thread, so tsx is registered here again.
const { register } = await import('tsx/esm/api');
register();
await import('./worker.ts');
