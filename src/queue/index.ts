/**
 * The EAS queue service for asynchronous services (`metadata.type: "Async"`):
 * input and sink queues behind the gateway, durable on SQLite or Redis Streams, watched over
 * WebSocket, and the dispatcher that feeds ready instances (docs/queue.md).
 */

export { createQueueService, type QueueService, type QueueServiceOptions, type QueueStatus } from './service.js';
export { asyncRoute } from './route.js';
export { openRedisQueueStorage, parseRedisUrl } from './redis-storage.js';
export { openQueueStorage, type QueueStorage } from './storage.js';
export { decodeFrame, decodeFrameList, decodeAttributes, encodeFrame, PROTOBUF } from './proto.js';
export { REQUEST_ID_HEADER } from './http.js';
