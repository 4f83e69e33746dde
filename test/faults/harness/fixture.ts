import { PostgresCluster } from './postgres.js';
import { ServiceProcess } from './service.js';

export interface Fixture {
  db: PostgresCluster;
  service: ServiceProcess;
  /** An API token of a platform administrator (created with the CLI), for the Portal's createAccount. */
  adminToken: string;
  close(): Promise<void>;
}

/** A cluster of its own, the service running on it (migrated by its start-up), and an administrator. */
export async function startFixture(label: string): Promise<Fixture> {
  const db = await PostgresCluster.create();
  const service = await ServiceProcess.create(db.url);
  const close = async () => {
    try {
      await service.destroy();
    } finally {
      await db.destroy();
    }
  };
  try {
    await service.startReady();
    const adminToken = await service.createAdminToken(`admin-${label}@faults.example.com`);
    return { db, service, adminToken, close };
  } catch (error) {
    await close();
    throw error;
  }
}
