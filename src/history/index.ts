export {
  type HistoryOptions,
  type HistoryPoint,
  type HistoryReading,
  ServiceHistory,
  type StatusClass,
} from './history.js';
export { Ring } from './ring.js';
