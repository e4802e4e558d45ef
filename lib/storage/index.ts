export {
  type AuditEvent,
  type AuditRejection,
  type AuditTable,
  type AuditTopology,
  type AuditValidation,
  AuditValidationError,
  toJsonbText,
  validateAuditBatch,
} from "./audit-rows.js";
export { AUDIT_TABLES, auditSchemaStatements, hypertableStatement } from "./audit-schema.js";
export {
  type AuditSchemaReport,
  type AuditTimeRange,
  type DecisionLineage,
  PostgresAuditLog,
  type PostgresAuditLogOptions,
  type TimescaleMode,
} from "./postgres-audit-log.js";
export {
  type AuditAppender,
  type AuditConsumerHandle,
  type AuditConsumerOptions,
  type AuditConsumerStats,
  startAuditConsumer,
} from "./audit-consumer.js";
