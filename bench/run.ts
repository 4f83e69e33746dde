/**
 * `npm run bench [-- --scale large] [-- --duration 5 --rounds 2 --warmup 1 --only me,account --reseed --seed-only
 *   --service-node-options=--max-old-space-size=128 --no-results]`
 *
 * The service runs with the Node flags of `npm run start:prod` (package.json), as deployed.
 *
 * Seeds a dedicated PostgreSQL database, starts the service (dist/src/main.js) and the bare
 * reference server (dist/bench/reference-server.js) as child processes on the same database,
 * checks that both answer the same JSON, then measures each endpoint with autocannon, service and
 * reference alternately (A B A B), and prints per endpoint: req/s, p50, p99, errors and non-2xx,
 * server CPU ms per request (from /proc/<pid>/stat), the database's CPU ms per request, peak RSS,
 * and the ratios service/reference. The table also goes into bench/RESULTS.md.
 */
import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { mintApiToken } from '../src/tokens/token-format.js';
import {
  ACCOUNT_ID,
  ADMIN_EMAIL,
  LISTER_EMAIL,
  LOGIN_FIRST_ID,
  LOGIN_POOL,
  MEMBER_EMAIL,
  MEMBER_ID,
  PASSWORD,
  SCALES,
  type Scale,
  brandOf,
  userEmail,
} from './lib/fixtures.js';
import { cpuMs, postgresCpu, postgresCpuDelta, watchRss } from './lib/proc.js';
import { existingSeed, seed, seedMatches } from './seed.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RESULTS_FILE = join(ROOT, 'bench', 'RESULTS.md');

const { values: opts } = parseArgs({
  options: {
    scale: { type: 'string', default: 'small' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '2' },
    only: { type: 'string' },
    reseed: { type: 'boolean', default: false },
    'seed-only': { type: 'boolean', default: false },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'no-results': { type: 'boolean', default: false },
    /** Node flags for the service instead of those of `npm run start:prod`, e.g. `--max-old-space-size=128`. */
    'service-node-options': { type: 'string' },
  },
});
if (!Object.hasOwn(SCALES, opts.scale!)) throw new Error(`--scale is small or large, not ${opts.scale}`);
const scale: Scale = SCALES[opts.scale as Scale['name']];
const DURATION = Number(opts.duration);
const WARMUP = Number(opts.warmup);
const ROUNDS = Number(opts.rounds);
const DB_NAME = scale.name === 'small' ? 'accounts_bench' : 'accounts_bench_large';

type Role = 'admin' | 'member' | 'lister';
interface Endpoint {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  connections: number;
  /** Who calls: a role's access JWT, the member's API token, or nobody (login). */
  auth: Role | 'apitoken' | null;
}

const filters = {
  /** A narrow search, like looking up a customer: about 8 accounts in a million. */
  admin: `contains(tolower(name),'${brandOf(4242)}') and status eq 'active'`,
  /** A broad one: 1 account in 1,024. */
  broad: `contains(tolower(name),'amber falcon') and status eq 'active'`,
  member: `type eq 'business' and country in ('US','DE','FR','GB')`,
};
const list = (filter: string, extra = '') => `/api/accounts?$filter=${encodeURIComponent(filter)}&$top=20${extra}`;
const ENDPOINTS: Endpoint[] = [
  { name: 'login', method: 'POST', path: '/api/auth/login', connections: 10, auth: null },
  { name: 'me', method: 'GET', path: '/api/auth/me', connections: 50, auth: 'member' },
  { name: 'account', method: 'GET', path: `/api/accounts/${ACCOUNT_ID}`, connections: 50, auth: 'member' },
  { name: 'account (API token)', method: 'GET', path: `/api/accounts/${ACCOUNT_ID}`, connections: 50, auth: 'apitoken' },
  { name: 'members', method: 'GET', path: `/api/accounts/${ACCOUNT_ID}/users`, connections: 50, auth: 'member' },
  { name: 'list (admin)', method: 'GET', path: list(filters.admin), connections: 50, auth: 'admin' },
  { name: 'list (member)', method: 'GET', path: list(filters.member), connections: 50, auth: 'lister' },
  { name: 'list (admin) c10', method: 'GET', path: list(filters.admin), connections: 10, auth: 'admin' },
  { name: 'list (member) c10', method: 'GET', path: list(filters.member), connections: 10, auth: 'lister' },
  { name: 'list (admin, broad) c10', method: 'GET', path: list(filters.broad), connections: 10, auth: 'admin' },
  {
    name: 'list (admin) deep $skip c10',
    method: 'GET',
    path: list(`status eq 'active'`, `&$skip=${scale.accounts / 2}`),
    connections: 10,
    auth: 'admin',
  },
  {
    // The same page reached by its keyset (the last id of the page before) instead of $skip.
    name: 'list (admin) keyset c10',
    method: 'GET',
    path: list(`status eq 'active' and id gt ${scale.accounts / 2}`),
    connections: 10,
    auth: 'admin',
  },
];

interface Server {
  name: 'service' | 'reference';
  url: string;
  child: ChildProcess;
  log: string;
  tokens: Partial<Record<Role, string>>;
}

interface Run {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  cpuMs: number;
  dbCpuMs: number;
  peakRss: number;
}

const log = (line: string) => console.log(line);

async function main(): Promise<void> {
  const started = performance.now();
  loadBefore = loadavg()[0];
  for (const file of ['dist/src/main.js', 'dist/bench/reference-server.js']) {
    if (!existsSync(join(ROOT, file))) throw new Error(`${file} is missing: run \`npm run bench\` (it builds first)`);
  }
  const databaseUrl = withDatabase(opts['database-url']!, DB_NAME);
  await ensureDatabase(opts['database-url']!, DB_NAME);
  const logDir = mkdtempSync(join(tmpdir(), 'accounts-bench-'));
  const secret = randomBytes(32).toString('base64url');
  const [servicePort, referencePort] = [await freePort(), await freePort()];

  log(`Scale ${scale.name}: ${scale.users.toLocaleString('en-US')} users, ${scale.accounts.toLocaleString('en-US')} accounts; database ${DB_NAME}; logs in ${logDir}`);
  // The service runs the migrations at start-up, so it starts before the seeder.
  const service = await start('service', [...serviceNodeFlags(), join(ROOT, 'dist/src/main.js')], servicePort, logDir, {
    DATABASE_URL: databaseUrl,
    RATE_LIMIT_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    JWT_SECRET: secret,
    ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    METRICS_TOKEN: METRICS_TOKEN,
    DATA_DIR: join(logDir, 'data'),
    MIGRATIONS_RUN: 'true',
  });
  const reference = await (async () => {
    try {
      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        const found = await existingSeed(db);
        let seedNote: string;
        if (!opts.reseed && seedMatches(found, scale)) {
          seedNote = `reused (seeded earlier in ${found!.seconds} s)`;
          log(`Seed: ${seedNote}`);
        } else {
          log('Seeding…');
          const info = await seed(db, scale, (line) => log(line));
          seedNote = `${info.seconds} s (${info.users.toLocaleString('en-US')} users, ${info.accounts.toLocaleString('en-US')} accounts, ${info.memberships.toLocaleString('en-US')} memberships)`;
          log(`Seeded in ${seedNote}`);
        }
        seedInfo = seedNote;
        apiToken = await createApiToken(db);
      } finally {
        await db.end();
      }
      return await start('reference', [join(ROOT, 'dist/bench/reference-server.js')], referencePort, logDir, {
        DATABASE_URL: databaseUrl,
        JWT_SECRET: randomBytes(32).toString('base64url'),
        NODE_ENV: 'production',
      });
    } catch (error) {
      stop(service);
      throw error;
    }
  })();
  const servers = [service, reference];
  if (opts['seed-only']) {
    for (const server of servers) stop(server);
    return;
  }

  try {
    const selected = opts.only ? ENDPOINTS.filter((e) => opts.only!.split(',').some((name) => e.name.startsWith(name.trim()))) : ENDPOINTS;
    await login(servers);
    const mismatches = await compareAnswers(servers, selected);
    const rows: Row[] = [];
    for (const endpoint of selected) {
      await login(servers); // fresh access tokens: a large run outlasts their 15 minutes
      const runs: Record<Server['name'], Run[]> = { service: [], reference: [] };
      for (const server of servers) await measure(server, endpoint, WARMUP);
      for (let round = 0; round < ROUNDS; round++) {
        for (const server of servers) runs[server.name].push(await measure(server, endpoint, DURATION));
      }
      const row = summarize(endpoint, runs, mismatches.has(endpoint.name));
      rows.push(row);
      log(formatRow(row, true));
    }
    const minutes = (performance.now() - started) / 60_000;
    const table = renderTable(rows, servers);
    console.log(`\n${table}`);
    log(`Whole run: ${minutes.toFixed(1)} min; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`);
    if (!opts['no-results']) writeResults(table, minutes);
  } finally {
    for (const server of servers) stop(server);
  }
}

/** The service's `/metrics` token: its event-loop delay is read from there during the login run. */
const METRICS_TOKEN = randomBytes(16).toString('hex');
/** The service's event-loop p99 delay (ms) while logins saturate the hash threads, per round. */
const loginLoopDelays: number[] = [];

let seedInfo = '';
let loadBefore = 0;
let postgresVersion = '?';
let apiToken = '';

// --- database ----------------------------------------------------------------------------------

async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    postgresVersion = (await client.query(`SHOW server_version`)).rows[0].server_version.split(' ')[0];
    const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}

/** An API token of the member, made by SQL as the service stores them: SHA-256 hex of the secret. */
async function createApiToken(db: pg.Client): Promise<string> {
  const token = mintApiToken();
  await db.query(`DELETE FROM api_tokens WHERE name = 'bench'`);
  await db.query(`INSERT INTO api_tokens (name, user_id, secret_hash, secret_hint) VALUES ('bench', $1, $2, $3)`, [
    MEMBER_ID,
    createHash('sha256').update(token, 'utf8').digest('hex'),
    token.slice(-4),
  ]);
  return token;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

// --- servers -----------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** The Node flags `npm run start:prod` gives the service (package.json), or `--service-node-options`. */
function serviceNodeFlags(): string[] {
  if (opts['service-node-options'] !== undefined) return opts['service-node-options'].split(/\s+/).filter(Boolean);
  const script: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['start:prod'];
  return script.split(/\s+/).filter((word) => word.startsWith('--'));
}

async function start(name: Server['name'], args: string[], port: number, logDir: string, env: Record<string, string>): Promise<Server> {
  const logFile = join(logDir, `${name}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20 * 60_000; // migrations on a million rows take a while
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The ${name} exited with ${child.exitCode} at start-up:\n${tail(logFile)}`);
    try {
      const res = await fetch(`${url}/health/live`);
      if (res.ok) {
        log(`The ${name} listens on ${url} (pid ${child.pid})`);
        return { name, url, child, log: logFile, tokens: {} };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`The ${name} did not start:\n${tail(logFile)}`);
}

function stop(server: Server): void {
  if (server.child.exitCode !== null) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  server.child.once('exit', () => clearTimeout(timer));
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-40).join('\n') : '';
}

async function login(servers: Server[]): Promise<void> {
  const emails: Record<Role, string> = { admin: ADMIN_EMAIL, member: MEMBER_EMAIL, lister: LISTER_EMAIL };
  for (const server of servers) {
    for (const [role, email] of Object.entries(emails) as [Role, string][]) {
      const res = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      if (!res.ok) throw new Error(`Login of ${email} on the ${server.name} answered ${res.status}: ${await res.text()}`);
      server.tokens[role] = ((await res.json()) as { accessToken: string }).accessToken;
    }
  }
}

function authorization(server: Server, endpoint: Endpoint): Record<string, string> {
  if (!endpoint.auth) return {};
  return { authorization: `Bearer ${endpoint.auth === 'apitoken' ? apiToken : server.tokens[endpoint.auth]}` };
}

/** Both servers must answer every read with status 200 and the same JSON. */
async function compareAnswers(servers: Server[], endpoints: Endpoint[]): Promise<Set<string>> {
  const mismatches = new Set<string>();
  for (const endpoint of endpoints) {
    if (endpoint.method !== 'GET') continue;
    const answers: string[] = [];
    for (const server of servers) {
      const res = await fetch(server.url + endpoint.path, { headers: authorization(server, endpoint) });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${endpoint.name} on the ${server.name} answered ${res.status}: ${body.slice(0, 500)}`);
      answers.push(canonical(JSON.parse(body)));
    }
    if (answers[0] !== answers[1]) {
      mismatches.add(endpoint.name);
      log(`WARNING: ${endpoint.name}: the service and the reference answer differently\n  service:   ${answers[0].slice(0, 400)}\n  reference: ${answers[1].slice(0, 400)}`);
    }
  }
  if (!mismatches.size) log('The service and the reference answer every read with the same JSON.');
  return mismatches;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

// --- measuring ---------------------------------------------------------------------------------

async function measure(server: Server, endpoint: Endpoint, seconds: number): Promise<Run> {
  const pid = server.child.pid!;
  let next = 0;
  const request: autocannon.Request = { method: endpoint.method, path: endpoint.path };
  if (endpoint.name === 'login') {
    // Each login is a different user of the pool (all share the seeded password).
    request.setupRequest = (req) => ({
      ...req,
      body: JSON.stringify({ email: userEmail(LOGIN_FIRST_ID + (next++ % LOGIN_POOL)), password: PASSWORD }),
    });
  }
  // prom-client resets its event-loop delay histogram on every scrape: scraping before and after
  // the run gives the p99 delay within it.
  const watchLoop = server.name === 'service' && endpoint.name === 'login' && seconds === DURATION;
  if (watchLoop) await eventLoopP99(server);
  const rss = watchRss(pid);
  const cpuBefore = cpuMs(pid);
  const dbBefore = postgresCpu();
  const result = await autocannon({
    url: server.url,
    connections: endpoint.connections,
    duration: seconds,
    timeout: 10,
    headers: { 'content-type': 'application/json', ...authorization(server, endpoint) },
    requests: [request],
  });
  const cpu = cpuMs(pid) - cpuBefore;
  const dbCpu = postgresCpuDelta(dbBefore, postgresCpu());
  const peakRss = rss.stop();
  if (watchLoop) loginLoopDelays.push(await eventLoopP99(server));
  if (server.child.exitCode !== null) throw new Error(`The ${server.name} died during ${endpoint.name}:\n${tail(server.log)}`);
  await new Promise((r) => setTimeout(r, 300)); // let stragglers and background writes settle
  return {
    requests: result.requests.total,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    cpuMs: cpu,
    dbCpuMs: dbCpu,
    peakRss,
  };
}

/** `nodejs_eventloop_lag_p99_seconds` from the service's `/metrics`, in ms. */
async function eventLoopP99(server: Server): Promise<number> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await res.text();
  const value = /^nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text)?.[1];
  if (!res.ok || value === undefined) throw new Error(`No event-loop delay in the service's /metrics (${res.status})`);
  return Number(value) * 1000;
}

interface Side {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  cpuPerRequest: number;
  dbCpuPerRequest: number;
  peakRss: number;
}

interface Row {
  endpoint: Endpoint;
  service: Side;
  reference: Side;
  mismatch: boolean;
}

/** Over the rounds: req/s from the totals, p50 the mean, p99 the worst, RSS the peak. */
function side(runs: Run[]): Side {
  const requests = runs.reduce((s, r) => s + r.requests, 0);
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  return {
    rps: requests / seconds,
    p50: runs.reduce((s, r) => s + r.p50, 0) / runs.length,
    p99: Math.max(...runs.map((r) => r.p99)),
    errors: runs.reduce((s, r) => s + r.errors, 0),
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    cpuPerRequest: runs.reduce((s, r) => s + r.cpuMs, 0) / Math.max(1, requests),
    dbCpuPerRequest: runs.reduce((s, r) => s + r.dbCpuMs, 0) / Math.max(1, requests),
    peakRss: Math.max(...runs.map((r) => r.peakRss)),
  };
}

function summarize(endpoint: Endpoint, runs: Record<Server['name'], Run[]>, mismatch: boolean): Row {
  return { endpoint, service: side(runs.service), reference: side(runs.reference), mismatch };
}

const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const f1 = (n: number) => (n >= 100 ? f0(n) : n.toFixed(1));
const f2 = (n: number) => n.toFixed(2);
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)}`;

function formatRow(row: Row, short = false): string {
  const { service: s, reference: r } = row;
  const cells = [
    row.endpoint.name + (row.mismatch ? ' (answers differ!)' : ''),
    String(row.endpoint.connections),
    `${f0(s.rps)} / ${f0(r.rps)}`,
    `**${f2(s.rps / r.rps)}**`,
    `${f1(s.p50)} / ${f1(s.p99)}`,
    `${f1(r.p50)} / ${f1(r.p99)}`,
    `${s.errors + s.non2xx} / ${r.errors + r.non2xx}`,
    `${f2(s.cpuPerRequest)} / ${f2(r.cpuPerRequest)}`,
    f2(s.cpuPerRequest / r.cpuPerRequest),
    `${f2(s.dbCpuPerRequest)} / ${f2(r.dbCpuPerRequest)}`,
    `${mb(s.peakRss)} / ${mb(r.peakRss)}`,
  ];
  return short ? cells.join('  ·  ').replace(/\*\*/g, '') : `| ${cells.join(' | ')} |`;
}

function renderTable(rows: Row[], servers: Server[]): string {
  const header =
    '| endpoint | conns | req/s service / reference | ratio | service p50 / p99 ms | reference p50 / p99 ms | errors + non-2xx | server CPU ms/req | CPU ratio | DB CPU ms/req | peak RSS MB |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const peak = servers.map((s) => {
    try {
      return `${s.name} ${mb(Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024)} MB`;
    } catch {
      return `${s.name} ?`;
    }
  });
  const loop = loginLoopDelays.length
    ? `\n\nThe service's event-loop p99 delay while logins saturate the hash threads: ${loginLoopDelays.map((ms) => `${f1(ms)} ms`).join(', ')} (one per round).`
    : '';
  return `${header}\n${rows.map((row) => formatRow(row)).join('\n')}\n\nPeak RSS over the whole run (VmHWM): ${peak.join(', ')}.${loop}`;
}

function writeResults(table: string, minutes: number): void {
  const command = scale.name === 'small' ? 'npm run bench' : 'npm run bench -- --scale large';
  const extra = process.argv.slice(2).filter((a, i, all) => !(a === '--scale' || all[i - 1] === '--scale'));
  const section = [
    `<!-- results:${scale.name} -->`,
    `### ${scale.name === 'small' ? 'Small' : 'Large'} scale: ${scale.users.toLocaleString('en-US')} users, ${scale.accounts.toLocaleString('en-US')} accounts`,
    '',
    `\`${command}${extra.length ? ' ' + extra.join(' ') : ''}\` — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
      `${describeMachine()}; ${ROUNDS} rounds of ${DURATION} s per side (A B A B) after ${WARMUP} s of warm-up each; ` +
      `seed: ${seedInfo}; whole run ${minutes.toFixed(1)} min; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after.`,
    '',
    table,
    `<!-- /results:${scale.name} -->`,
  ].join('\n');
  let text = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : '# Benchmark results\n';
  const pattern = new RegExp(`<!-- results:${scale.name} -->[\\s\\S]*?<!-- /results:${scale.name} -->`);
  text = pattern.test(text) ? text.replace(pattern, () => section) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(RESULTS_FILE, text);
  log(`Written to bench/RESULTS.md`);
}

function describeMachine(): string {
  return `${cpus().length} cores, Node ${process.versions.node}, PostgreSQL ${postgresVersion}`;
}

await main();
