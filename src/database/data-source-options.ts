import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { AuditEvent } from '../audit/audit-event.entity.js';
import { Session } from '../auth/session.entity.js';
import { UserToken } from '../auth/user-token.entity.js';
import { IdempotencyKey } from '../common/idempotency/idempotency-key.entity.js';
import type { AppConfig } from '../config/app-config.js';
import { Invitation } from '../memberships/invitation.entity.js';
import { Membership } from '../memberships/membership.entity.js';
import { OutboxMessage } from '../outbox/outbox-message.entity.js';
import { ApiToken } from '../tokens/api-token.entity.js';
import { User } from '../users/user.entity.js';
import { Webhook } from '../webhooks/webhook.entity.js';
import { EmbeddedDatabase } from './embedded-database.js';
import { InitialSchema1764050000000 } from './migrations/1764050000000-initial-schema.js';
import { AddUserTokensAndIdempotencyKeys1764060000000 } from './migrations/1764060000000-add-user-tokens-and-idempotency-keys.js';
import { AddListIndexes1795586637824 } from './migrations/1795586637824-add-list-indexes.js';
import { AddWebhooks1796174641666 } from './migrations/1796174641666-add-webhooks.js';
import { SnakeNamingStrategy } from './naming.js';
import { TypeOrmLogger } from './typeorm-logger.js';

export const ENTITIES = [User, Account, Membership, Invitation, Session, ApiToken, AuditEvent, OutboxMessage, UserToken, IdempotencyKey, Webhook];
export const MIGRATIONS = [InitialSchema1764050000000, AddUserTokensAndIdempotencyKeys1764060000000, AddListIndexes1795586637824, AddWebhooks1796174641666];

const logger = new Logger('Database');

/**
 * A PostgreSQL connection that always has an `error` listener. pg-pool takes its own listener off
 * a connection when it hands it out, and TypeORM adds its listener a few microtasks later: a new
 * connection that the server ends in that gap (ready and terminated in one packet, as
 * `pg_terminate_backend` or a server restart can do) emitted an unhandled `error` that killed the
 * process. The error still fails the connection's next query, which then leaves the pool.
 */
class GuardedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', (error: Error) => {
      if (this.listenerCount('error') === 1) logger.warn(`A database connection was lost before use: ${error.message}`);
    });
  }
}

export interface DatabaseSetup {
  options: DataSourceOptions;
  /** Set when the embedded database is used: the app closes it on shutdown. */
  embedded?: EmbeddedDatabase;
}

/** The one place the data source is described, for the app and the TypeORM CLI alike. */
export function buildDataSourceOptions(config: AppConfig): DatabaseSetup {
  const common = {
    type: 'postgres',
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: config.database.migrationsRun,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    logger: new TypeOrmLogger(),
    maxQueryExecutionTime: 1000,
    applicationName: 'accounts-service',
  } as const;

  if (config.database.url) {
    // A request waits at most 5 s for a connection and 5 s for a lock (a table locked by a
    // migration or an operator fails requests instead of queueing them until it is released);
    // no statement runs longer than 10 s.
    const extra = { Client: GuardedClient, max: 10, connectionTimeoutMillis: 5000, lock_timeout: 5000, statement_timeout: 10000 };
    if (config.database.replicaUrls.length === 0) return { options: { ...common, url: config.database.url, extra } };
    // Replicas serve only the reads that ask for them (`readReplica`); everything else, every
    // authorization check included, reads the primary.
    return {
      options: {
        ...common,
        replication: {
          master: { url: config.database.url },
          slaves: config.database.replicaUrls.map((url) => ({ url })),
          defaultMode: 'master',
        },
        extra,
      },
    };
  }

  const embedded = new EmbeddedDatabase(config.database.dataDir);
  return {
    embedded,
    options: {
      ...common,
      // PGlite is one connection: a pool of one, which never lets it go idle.
      extra: { connection: embedded.connection, max: 1, idleTimeoutMillis: 0, connectionTimeoutMillis: 10000 },
    },
  };
}
