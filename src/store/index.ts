export type * from './types.js';
export { ADMIN_TOKEN_FILE, ensureAdminToken, generateToken, resolveHome } from './admin-token.js';
export { MIGRATIONS, migrate, migrateComponent } from './migrations.js';
export {
  type CreateServiceInput,
  DB_FILE,
  type ListEventsOptions,
  MAX_EVENTS_PER_SERVICE,
  openStore,
  type ServicePatch,
  Store,
  type StoreOptions,
} from './store.js';
export { DEFAULT_GROUP_WEIGHT, GroupTable, type GroupTrafficPatch } from './groups.js';
export { TrafficTable } from './traffic.js';
