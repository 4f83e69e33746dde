import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';

/**
 * The embedded PostgreSQL (PGlite) under `<dataDir>/db`. PGlite itself takes no lock on its
 * folder and two processes on one folder corrupt it, so an exclusive lock file guards it: a
 * second process fails fast; a lock left by a dead process is taken over.
 */
export class EmbeddedDatabase {
  readonly pglite: PGlite;
  /** Pass as the `pg` driver's `connection`: every query goes to this process's PGlite. */
  readonly connection: unknown;
  private readonly lockFile: string;
  private closed = false;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.lockFile = join(dataDir, 'db.lock');
    takeLock(this.lockFile);
    // pg_trgm backs the trigram indexes of the account list (migration add-list-indexes).
    this.pglite = new PGlite(join(dataDir, 'db'), { extensions: { pg_trgm } });
    this.connection = createPgConfig(this.pglite).connection;
    process.once('exit', () => this.releaseLock());
  }

  /**
   * Resolves once PGlite is open: its first start in a new folder runs initdb (5 to 10 s, longer
   * on a busy machine). Await it before the pool connects, or the pool's connection timeout can
   * run out first.
   */
  get ready(): Promise<void> {
    return this.pglite.waitReady;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pglite.close();
    this.releaseLock();
  }

  private releaseLock(): void {
    try {
      if (readFileSync(this.lockFile, 'utf8') === String(process.pid)) unlinkSync(this.lockFile);
    } catch {
      // already gone
    }
  }
}

function takeLock(lockFile: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockFile, 'utf8'));
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `The embedded database in ${lockFile.slice(0, -'/db.lock'.length)} is in use by process ${holder}. ` +
            'Stop that process, or give this one another DATA_DIR or a DATABASE_URL.',
        );
      }
      if (holder === process.pid) {
        throw new Error(`The embedded database in this folder is already open in this process (${lockFile}).`);
      }
      unlinkSync(lockFile); // left by a process that is gone
    }
  }
  throw new Error(`Could not take the lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
