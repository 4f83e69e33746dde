import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory.js';
import { APP_CONFIG, type AppConfig, loadConfig } from '../../src/config/app-config.js';
import { buildDataSourceOptions } from '../../src/database/data-source-options.js';
import { type Mail, Mailer } from '../../src/outbox/mailer.js';
import { OutboxDispatcher } from '../../src/outbox/outbox.dispatcher.js';
import { OutboxService } from '../../src/outbox/outbox.service.js';
import { WebhookSender } from '../../src/outbox/webhook-sender.js';
import { createTestDatabase } from '../setup/database.js';
import { startSmtpServer, type TestSmtpServer } from '../setup/smtp.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../setup/test-app.js';
import { eventually } from '../setup/eventually.js';

interface OutboxRow {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  locked_until: Date | null;
  sent_at: Date | null;
}

let sequence = 0;
const uniqueSubject = (label: string) => `${label} ${process.pid}-${++sequence}`;


function outboxHelpers(get: () => TestApp) {
  const rowsOf = (subject: string): Promise<OutboxRow[]> =>
    get().db.query(
      `SELECT id, status, attempts, last_error, next_attempt_at, locked_until, sent_at FROM outbox WHERE payload->>'subject' = $1`,
      [subject],
    );
  return {
    rowsOf,
    /** Waits for the one row of `subject` to satisfy `done`. */
    rowOf: (subject: string, done: (row: OutboxRow) => boolean) =>
      eventually(() => rowsOf(subject), (rows) => rows.length === 1 && done(rows[0])).then((rows) => rows[0]),
    /** Enqueues in a committed transaction, then kicks the dispatcher, as a service does. */
    async send(mail: Mail) {
      const outbox = get().app.get(OutboxService);
      await get().db.transaction((em) => outbox.enqueueMail(em, mail));
      outbox.kick();
    },
  };
}

describe('outbox over SMTP', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  const { rowsOf, rowOf, send } = outboxHelpers(() => t);
  const received = (subject: string) => smtp.messages.filter((mail) => mail.subject === subject);

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({
      SMTP_URL: smtp.url,
      OUTBOX_POLL_MS: '50',
      APP_URL: 'https://accounts.example.test',
      MAIL_FROM: 'Accounts <no-reply@example.test>',
    });
  });

  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('delivers a mail of a committed transaction once, with its From, To, Subject and Message-ID', async () => {
    const subject = uniqueSubject('Bienvenue, Zoë');
    const link = `https://accounts.example.test/verify?token=${'a1='.repeat(30)}`; // long: wrapped by quoted-printable
    await send({ to: 'zoe@example.test', subject, text: `Hello Zoë,\nconfirm at ${link}\n`, html: `<a href="${link}">Confirm</a>` });

    const mail = await smtp.waitFor((m) => m.subject === subject);
    const row = await rowOf(subject, (r) => r.status === 'sent');
    expect(mail.to).toEqual(['zoe@example.test']);
    expect(mail.from).toBe('no-reply@example.test');
    expect(mail.headers.from).toBe('Accounts <no-reply@example.test>');
    expect(mail.headers.to).toBe('zoe@example.test');
    expect(mail.headers['message-id']).toBe(`<outbox-${row.id}@accounts.example.test>`);
    expect(mail.text).toBe(`Hello Zoë,\nconfirm at ${link}`);
    expect(row).toMatchObject({ attempts: 1, last_error: null, locked_until: null, sent_at: expect.any(Date) });

    // Another round finds nothing to send.
    await t.app.get(OutboxDispatcher).dispatchDue();
    expect(received(subject)).toHaveLength(1);
    await expect(rowsOf(subject)).resolves.toMatchObject([{ status: 'sent', attempts: 1 }]);
  });

  it('never sends the mail of a transaction that rolls back, and leaves no row', async () => {
    const outbox = t.app.get(OutboxService);
    const subject = uniqueSubject('Rolled back');
    await expect(
      t.db.transaction(async (em) => {
        await outbox.enqueueMail(em, { to: 'nobody@example.test', subject, text: 'never' });
        throw new Error('change refused');
      }),
    ).rejects.toThrow('change refused');
    outbox.kick();

    const marker = uniqueSubject('After the rollback');
    await send({ to: 'someone@example.test', subject: marker, text: 'sent' });
    await smtp.waitFor((m) => m.subject === marker);
    await rowOf(marker, (r) => r.status === 'sent');
    await expect(rowsOf(subject)).resolves.toEqual([]);
    expect(received(subject)).toEqual([]);
  });

  it('retries a refused delivery after the backoff, recording attempts and the error', async () => {
    const dispatcher = t.app.get(OutboxDispatcher);
    const subject = uniqueSubject('Retried');
    smtp.rejectNext(1);
    await send({ to: 'retry@example.test', subject, text: 'second time lucky' });

    const failed = await rowOf(subject, (r) => r.attempts === 1 && r.locked_until === null);
    expect(failed.status).toBe('pending');
    expect(failed.last_error).toMatch(/451/);
    const delay = failed.next_attempt_at.getTime() - t.clock.now().getTime();
    expect(delay).toBeGreaterThan(4000);
    expect(delay).toBeLessThanOrEqual(5000);

    // Not due before the backoff has passed.
    await dispatcher.dispatchDue();
    await expect(rowsOf(subject)).resolves.toMatchObject([{ status: 'pending', attempts: 1 }]);
    expect(received(subject)).toEqual([]);

    t.clock.advance(5000);
    t.app.get(OutboxService).kick();
    const mail = await smtp.waitFor((m) => m.subject === subject);
    const sent = await rowOf(subject, (r) => r.status === 'sent');
    expect(mail.text).toBe('second time lucky');
    expect(sent).toMatchObject({ attempts: 2, locked_until: null, sent_at: expect.any(Date) });
    expect(sent.last_error).toMatch(/451/);
    expect(received(subject)).toHaveLength(1);
  });

  it('gives up after 10 refused attempts, backing off 5 s, 10 s, 20 s... between them', async () => {
    const dispatcher = t.app.get(OutboxDispatcher);
    const subject = uniqueSubject('Hopeless');
    smtp.rejectNext(10);
    await send({ to: 'hopeless@example.test', subject, text: 'no luck' });

    for (let attempt = 1; attempt < 10; attempt++) {
      const row = await rowOf(subject, (r) => r.attempts === attempt && r.locked_until === null);
      const backoff = 5000 * 2 ** (attempt - 1);
      const delay = row.next_attempt_at.getTime() - t.clock.now().getTime();
      expect(row.status).toBe('pending');
      expect(delay).toBeGreaterThan(backoff - 1000);
      expect(delay).toBeLessThanOrEqual(backoff);
      t.clock.advance(backoff);
      t.app.get(OutboxService).kick();
    }
    const last = await rowOf(subject, (r) => r.attempts === 10 && r.locked_until === null);
    expect(last.status).toBe('failed');
    expect(last.last_error).toMatch(/451/);

    t.clock.advance(2 * 3600_000);
    await dispatcher.dispatchDue();
    await expect(rowsOf(subject)).resolves.toMatchObject([{ status: 'failed', attempts: 10 }]);
    expect(received(subject)).toEqual([]);
  });

  it('never delivers a message twice when dispatchers claim at the same time', async () => {
    const outbox = t.app.get(OutboxService);
    const subjects = Array.from({ length: 45 }, (_, i) => uniqueSubject(`Concurrent ${i}`));
    await t.db.transaction(async (em) => {
      for (const subject of subjects) await outbox.enqueueMail(em, { to: 'many@example.test', subject, text: subject });
    });
    // This app's loop, plus rounds of this dispatcher and of a second one (as another instance).
    const here = t.app.get(OutboxDispatcher);
    const other = new OutboxDispatcher(t.db, t.app.get<AppConfig>(APP_CONFIG), t.clock, t.app.get(Mailer), t.app.get(WebhookSender));
    outbox.kick();
    await Promise.all([here.dispatchDue(), other.dispatchDue(), other.dispatchDue(), here.dispatchDue()]);

    const rows = await eventually(
      (): Promise<OutboxRow[]> => t.db.query(`SELECT status, attempts FROM outbox WHERE payload->>'subject' = ANY($1)`, [subjects]),
      (rows) => rows.length === subjects.length && rows.every((r) => r.status === 'sent'),
    );
    expect(rows.filter((r) => r.attempts !== 1)).toEqual([]); // claimed once each
    for (const subject of subjects) expect(received(subject)).toHaveLength(1);
  });
});

describe('outbox without SMTP_URL', () => {
  let t: TestApp;
  // On PostgreSQL the app has no data folder of its own: give it one, so no mail lands in ./data.
  const dataDir = process.env.DATABASE_URL ? mkdtempSync(join(tmpdir(), 'accounts-mail-')) : undefined;
  const { rowOf, send } = outboxHelpers(() => t);

  beforeAll(async () => {
    t = await startTestApp({ OUTBOX_POLL_MS: '50', ...(dataDir ? { DATA_DIR: dataDir } : {}) });
  });

  afterAll(async () => {
    await t.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes each mail as <outbox id>.eml, and a redelivery replaces the file', async () => {
    const { fileDir } = t.app.get<AppConfig>(APP_CONFIG).mail;
    const subject = uniqueSubject('Written to a file');
    const mail = { to: 'file@example.test', subject, text: 'Hello from the file transport' };
    await send(mail);

    const row = await rowOf(subject, (r) => r.status === 'sent');
    const eml = readFileSync(join(fileDir, `${row.id}.eml`), 'utf8');
    expect(eml).toContain(`Message-ID: <outbox-${row.id}@localhost>\r\n`);
    expect(eml).toContain('From: Accounts <no-reply@localhost>\r\n');
    expect(eml).toContain('To: file@example.test\r\n');
    expect(eml).toContain(`Subject: ${subject}\r\n`);
    expect(eml).toContain('\r\n\r\nHello from the file transport');

    await t.app.get(Mailer).send(row.id, mail);
    expect(readdirSync(fileDir).filter((name) => name.startsWith(`${row.id}.`))).toEqual([`${row.id}.eml`]);
    expect(readFileSync(join(fileDir, `${row.id}.eml`), 'utf8')).toContain(`Subject: ${subject}\r\n`);
  });
});

describe('outbox across a restart', () => {
  it('delivers what was committed while no dispatcher ran, and a shutdown finishes the round in flight', async () => {
    const smtp = await startSmtpServer();
    const database = await createTestDatabase();
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      JWT_SECRET: TEST_JWT_SECRET,
      SMTP_URL: smtp.url,
      OUTBOX_POLL_MS: '60000', // only the round started at bootstrap
      ...database.env,
    };
    /** The database with the app down. */
    const withDatabase = async <T>(work: (db: DataSource) => Promise<T>): Promise<T> => {
      const setup = buildDataSourceOptions(loadConfig(env));
      const db = new DataSource({ ...setup.options, logger: undefined, logging: false });
      await setup.embedded?.ready;
      await db.initialize();
      try {
        return await work(db);
      } finally {
        await db.destroy();
        await setup.embedded?.close();
      }
    };
    const fresh = uniqueSubject('Committed before the start');
    const abandoned = uniqueSubject('Claimed by a dispatcher that crashed');
    try {
      await withDatabase((db) =>
        db.query(
          `INSERT INTO outbox (kind, payload, status, attempts, next_attempt_at, locked_until) VALUES
             ('mail', $1, 'pending', 0, now(), NULL),
             ('mail', $2, 'pending', 1, now() - interval '1 minute', now() - interval '1 second')`,
          [
            { to: 'a@example.test', subject: fresh, text: 'one' },
            { to: 'b@example.test', subject: abandoned, text: 'two' },
          ],
        ),
      );

      const app = await createApp({ env });
      await app.init(); // starts the dispatcher's first round
      await app.close(); // returns once that round is done

      const rows = await withDatabase((db) =>
        db.query(`SELECT payload->>'subject' AS subject, status, attempts, locked_until FROM outbox ORDER BY id`),
      );
      expect(rows).toEqual([
        { subject: fresh, status: 'sent', attempts: 1, locked_until: null },
        { subject: abandoned, status: 'sent', attempts: 2, locked_until: null },
      ]);
      expect(smtp.messages.map((mail) => mail.subject)).toEqual([fresh, abandoned]);
    } finally {
      await database.drop();
      await smtp.close();
    }
  });
});
