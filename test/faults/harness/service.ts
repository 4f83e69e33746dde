import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, type Reply } from './http.js';
import { freePort, waitFor } from './wait.js';

export const PASSWORD = 'Keel-Harbor-Onward-42';

/** The service as built by the global setup (`tsc -p tsconfig.build.json` into a folder of its own). */
function buildDir(): string {
  const dir = process.env.ACCOUNTS_FAULTS_BUILD;
  if (!dir) throw new Error('Run the fault tests through `npm run test:faults`: its global setup builds the service');
  return dir;
}

/** Runs a compiled entry point (`src/cli.js`) to completion; rejects with its output when it fails. */
export function runNode(entry: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(buildDir(), entry), ...args], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${entry} ${args.join(' ')} exited ${code}: ${output}`))));
  });
}

/**
 * The service as a real child process (`node dist/src/main.js`) on a database URL, restartable on
 * the same port. Its JSON log lines are kept for the assertions on messages.
 */
export class ServiceProcess {
  readonly logs: string[] = [];
  private child?: ChildProcess;
  private exit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly env: Record<string, string>;

  private constructor(
    readonly port: number,
    databaseUrl: string,
    private readonly dataDir: string,
  ) {
    // Only what it needs, none of the test runner's environment. NODE_ENV=test adds nothing these
    // tests use (a movable clock, a fault header) and spares them production's required secrets.
    this.env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir, // mails are written there as files
      JWT_SECRET: randomBytes(32).toString('base64url'),
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'warn',
      OUTBOX_POLL_MS: '1000',
    };
  }

  static async create(databaseUrl: string): Promise<ServiceProcess> {
    return new ServiceProcess(await freePort(), databaseUrl, mkdtempSync(join(tmpdir(), 'accounts-faults-data-')));
  }

  /** Spawns the process; `waitFor` the readiness yourself or call `startReady`. */
  start(): void {
    if (this.alive) throw new Error('The service is already running');
    const child = spawn(process.execPath, [join(buildDir(), 'src/main.js')], { cwd: process.cwd(), env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        this.logs.push(...lines.filter(Boolean));
      };
    };
    child.stdout?.on('data', collect());
    child.stderr?.on('data', collect());
    this.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts it and waits until `/health/ready` answers 200. */
  async startReady(timeoutMs = 60_000): Promise<void> {
    this.start();
    await this.waitReady(timeoutMs);
  }

  async waitReady(timeoutMs = 60_000): Promise<number> {
    return waitFor(
      `the service on port ${this.port} to be ready`,
      async () => {
        this.assertAlive();
        return (await this.get('/health/ready', undefined, 3000)).status === 200;
      },
      timeoutMs,
      200,
    );
  }

  /** True while the process has not exited. */
  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `check` for `waitFor`, failing at once (not at the timeout) if the process has exited meanwhile. */
  whileAlive(check: () => boolean | Promise<boolean>): () => boolean | Promise<boolean> {
    return () => {
      this.assertAlive();
      return check();
    };
  }

  /** Throws, with the last log lines, when the process has exited: a wait on it would be pointless. */
  assertAlive(): void {
    if (!this.alive) throw new Error(`The service exited (${this.child?.exitCode ?? this.child?.signalCode}):\n${this.logs.slice(-30).join('\n')}`);
  }

  /** Sends `signal` and waits for the process to end. */
  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.child || !this.exit) throw new Error('The service was not started');
    if (this.alive) this.child.kill(signal);
    return this.exit;
  }

  /** `ADMIN_PASSWORD=… node dist/src/cli.js create-admin`, then an API token of that administrator. */
  async createAdminToken(email: string): Promise<string> {
    await runNode('src/cli.js', ['create-admin', '--email', email, '--first-name', 'Fault', '--last-name', 'Admin'], {
      ...this.env,
      ADMIN_PASSWORD: PASSWORD,
    });
    const login = await this.post('/api/auth/login', { email, password: PASSWORD });
    if (login.status !== 200) throw new Error(`Admin login answered ${login.status}: ${JSON.stringify(login.body)}`);
    const token = await this.post('/api/tokens', { name: 'faults' }, login.body.accessToken);
    if (token.status !== 201) throw new Error(`Admin token answered ${token.status}: ${JSON.stringify(token.body)}`);
    return token.body.token as string;
  }

  /** Log lines whose message matches. */
  messages(pattern: RegExp): string[] {
    return this.logs.map((line) => messageOf(line)).filter((message) => pattern.test(message));
  }

  get(path: string, token?: string, timeoutMs?: number): Promise<Reply> {
    return call(this.port, 'GET', path, undefined, token, timeoutMs);
  }

  post(path: string, body: unknown, token?: string, timeoutMs?: number): Promise<Reply> {
    return call(this.port, 'POST', path, body, token, timeoutMs);
  }

  async destroy(): Promise<void> {
    if (this.alive) await this.kill('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
    // FAULTS_LOG_DIR: keep each service's log lines, to see what it did in a failed run.
    const logDir = process.env.FAULTS_LOG_DIR;
    if (logDir) {
      mkdirSync(logDir, { recursive: true });
      writeFileSync(join(logDir, `service-${this.port}.log`), `${this.logs.join('\n')}\n`);
    }
  }
}

function messageOf(line: string): string {
  try {
    const parsed = JSON.parse(line) as { msg?: unknown };
    return typeof parsed.msg === 'string' ? parsed.msg : line;
  } catch {
    return line;
  }
}
