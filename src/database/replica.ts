import type { DataSource } from 'typeorm';

/**
 * Runs a read that may lag behind the primary (a list of audit events or users) on a read replica
 * when `DATABASE_REPLICA_URLS` is set, on the primary otherwise. Never for what authorizes a
 * request: a replica may not have seen a logout, a revocation or a removed member yet.
 */
export async function readReplica<T = any>(dataSource: DataSource, sql: string, params: unknown[]): Promise<T> {
  const runner = dataSource.createQueryRunner('slave');
  try {
    return (await runner.query(sql, params)) as T;
  } finally {
    await runner.release();
  }
}
