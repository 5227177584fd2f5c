export {
  ClusterClosedError,
  ClusterError,
  ClusterOverloadedError,
  ClusterQueryError,
  ClusterSchemaError,
  ClusterUnavailableError,
} from './errors.js';
export {
  type MembershipStats,
  PostgresMembership,
  type PostgresMembershipOptions,
} from './postgres-membership.js';
export {
  type Claimed,
  type OwnershipStats,
  PostgresSessionOwnership,
  type PostgresSessionOwnershipOptions,
} from './postgres-session-ownership.js';
export { type ClusterPoolOptions, migrateCluster, openClusterPool } from './schema.js';
