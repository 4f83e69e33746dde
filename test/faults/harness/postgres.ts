import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, waitFor } from './wait.js';

const execFileAsync = promisify(execFile);

/** How `pg_ctl stop` ends the server: `fast` rolls back and disconnects, `immediate` crashes it (recovery on start). */
export type StopMode = 'fast' | 'immediate';

/**
 * A throwaway PostgreSQL cluster of its own, on a free port in a temporary folder, that the fault
 * tests stop, crash and restart at will. Run as the `postgres` user when the tests run as root
 * (PostgreSQL refuses to run as root), else as the current user. Never the system's cluster.
 */
export class PostgresCluster {
  readonly port: number;
  readonly database = 'accounts_faults';
  private readonly bin: string;
  private readonly dir: string;
  private admin?: pg.Pool;

  private constructor(bin: string, dir: string, port: number) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
  }

  /** `initdb`, start, and create the service's (empty) database: the service migrates it. */
  static async create(): Promise<PostgresCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'accounts-faults-pg-'));
    const cluster = new PostgresCluster(postgresBinDir(), dir, await freePort());
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    await cluster.run('initdb', ['-D', cluster.dataDir, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--no-sync']);
    await cluster.start();
    await cluster.query(`CREATE DATABASE ${cluster.database}`, [], 'postgres');
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${this.database}`;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** Starts the server and waits until it accepts connections (crash recovery included). */
  async start(): Promise<void> {
    // fsync off: the tests kill processes, never the machine, and written WAL survives a killed server.
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
    await this.run('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
    await waitFor('PostgreSQL accepting connections', async () => (await this.query('SELECT 1', [], 'postgres').then(() => true, () => false)), 30_000);
  }

  /** Stops the server: `fast` (sessions rolled back and disconnected) or `immediate` (a crash). */
  async stop(mode: StopMode): Promise<void> {
    await this.closeAdmin();
    await this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  /** Runs SQL as the superuser, on the service's database unless told otherwise. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = [], database = this.database): Promise<T[]> {
    if (database !== this.database) {
      const client = new pg.Client({ connectionString: this.urlOf(database) });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end();
      }
    }
    this.admin ??= this.newAdminPool();
    return (await this.admin.query(sql, params)).rows as T[];
  }

  /** A connection of its own (to hold a lock in a transaction), application name `faults`. */
  async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'faults' });
    client.on('error', () => undefined); // it may be terminated along with the server
    await client.connect();
    return client;
  }

  /** The service's sessions (its pool), by application name. */
  async serviceBackends(): Promise<number> {
    const [row] = await this.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'accounts-service'`);
    return row.n;
  }

  /** The service's sessions inside a transaction that has written (holds a transaction id), not yet committed. */
  async serviceWritingTransactions(): Promise<number> {
    const [row] = await this.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'accounts-service' AND backend_xid IS NOT NULL`,
    );
    return row.n;
  }

  /** `pg_terminate_backend` on every session of the service; returns how many were ended. */
  async terminateServiceBackends(): Promise<number> {
    const [row] = await this.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
         WHERE application_name = 'accounts-service' AND pid <> pg_backend_pid()) t WHERE ended`,
    );
    return row.n;
  }

  async destroy(): Promise<void> {
    await this.closeAdmin();
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
      try {
        await this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already down
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private newAdminPool(): pg.Pool {
    const pool = new pg.Pool({ connectionString: this.url, max: 2, application_name: 'faults' });
    pool.on('error', () => undefined); // an idle connection ended by a stop or a crash
    return pool;
  }

  private async closeAdmin(): Promise<void> {
    const pool = this.admin;
    this.admin = undefined;
    await pool?.end().catch(() => undefined);
  }

  private urlOf(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** A PostgreSQL program, as `postgres` when running as root; asynchronous, so that the load goes on meanwhile. */
  private async run(program: string, args: string[]): Promise<void> {
    const path = join(this.bin, program);
    const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
    await execFileAsync(file, argv, { cwd: this.dir, timeout: 90_000 });
  }
}

/**
 * The folder of `initdb` and `pg_ctl`: `PG_BINDIR`, else the newest `/usr/lib/postgresql/<version>/bin`
 * (Debian's layout), else `pg_config --bindir`.
 */
function postgresBinDir(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((name) => /^\d+(\.\d+)?$/.test(name) && existsSync(join(debian, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(debian, versions[0], 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('No PostgreSQL server binaries (initdb, pg_ctl) found: install PostgreSQL or set PG_BINDIR');
  }
}
