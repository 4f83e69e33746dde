import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { isEmail } from 'class-validator';
import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { AppModule } from './app.module.js';
import { AuditService } from './audit/audit.service.js';
import { PasswordPolicy } from './auth/password-policy.js';
import { PasswordsService } from './auth/passwords.service.js';
import { AppError } from './common/errors/app-error.js';
import { mapDatabaseError } from './common/errors/unique-violation.js';
import { EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN } from './common/validation/fields.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { User } from './users/user.entity.js';
import { UsersService } from './users/users.service.js';

const USAGE = `Usage: npm run cli -- create-admin --email <email> [--first-name <name>] [--last-name <name>] [--promote]

  Creates a platform administrator on the configured database (DATABASE_URL, or the embedded one).
  The password is read from ADMIN_PASSWORD or, when it is not set and stdin is a terminal, from a
  hidden prompt; never from an argument. With --promote, an existing user with that email becomes
  a platform administrator instead (their password is left alone).
  Exit status: 0 done, 1 failed.`;

/** A failure explained to the operator: printed without a stack. */
class CliError extends Error {}

interface AdminOptions {
  email: string;
  firstName: string;
  lastName: string;
  promote: boolean;
}

function parseCommand(argv: string[]): AdminOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        email: { type: 'string' },
        'first-name': { type: 'string', default: '' },
        'last-name': { type: 'string', default: '' },
        promote: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { positionals, values } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1 || positionals[0] !== 'create-admin') throw new CliError(USAGE);
  const email = values.email ?? '';
  if (email.length > EMAIL_MAX || !isEmail(email)) throw new CliError('--email must be an email address');
  for (const [flag, value] of [['--first-name', values['first-name']], ['--last-name', values['last-name']]] as const) {
    if (value.length > 100) throw new CliError(`${flag} must be at most 100 characters`);
  }
  return { email, firstName: values['first-name'], lastName: values['last-name'], promote: values.promote };
}

/** Creates the administrator, or promotes the existing user; returns what was done. */
async function createAdmin(app: INestApplicationContext, options: AdminOptions): Promise<string> {
  const dataSource = app.get<DataSource>(getDataSourceToken());
  const users = app.get(UsersService);
  const audit = app.get(AuditService);

  const existing = await users.findByEmail(options.email);
  if (existing) {
    if (!options.promote) throw new CliError(`A user with the email ${existing.email} already exists (add --promote to make them an administrator)`);
    if (existing.isAdmin) return `${existing.email} (user ${existing.id}) is already a platform administrator`;
    await dataSource.transaction(async (em) => {
      await em.getRepository(User).update({ id: existing.id }, { isAdmin: true });
      await audit.record(em, null, null, { action: 'user.updated', targetType: 'user', targetId: existing.id, data: { fields: ['isAdmin'], via: 'cli' } });
    });
    return `Promoted ${existing.email} (user ${existing.id}) to platform administrator`;
  }

  const password = await readPassword();
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    throw new CliError(`The password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
  app.get(PasswordPolicy).assertAcceptable(password, [options.email, options.firstName, options.lastName]);
  const passwordHash = await app.get(PasswordsService).hash(password);
  const user = await dataSource.transaction(async (em) => {
    const { email, firstName, lastName } = options;
    const created = await users.create(em, { email, firstName, lastName, passwordHash, isAdmin: true, status: 'active' });
    await audit.record(em, null, null, { action: 'user.created', targetType: 'user', targetId: created.id, data: { isAdmin: true, via: 'cli' } });
    return created;
  });
  return `Created platform administrator ${user.email} (user ${user.id})`;
}

/** The CLI's own input, not service configuration: the one `process.env` read outside `loadConfig`. */
async function readPassword(): Promise<string> {
  const fromEnv = process.env.ADMIN_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) throw new CliError('Set ADMIN_PASSWORD, or run in a terminal to be asked for the password');
  const password = await promptHidden('Password for the new administrator: ');
  if ((await promptHidden('Repeat the password: ')) !== password) throw new CliError('The passwords do not match');
  return password;
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const { stdin, stderr } = process;
  stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new CliError('Cancelled'));
        value = char === '\u007f' || char === '\b' ? value.slice(0, -1) : value + char;
      }
    };
    stdin.on('data', onData);
  });
}

async function main(argv: string[]): Promise<number> {
  try {
    const command = parseCommand(argv);
    if (command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const config = loadConfig();
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
      logger: config.logLevel === 'silent' ? false : ['fatal', 'error', 'warn'],
      abortOnError: false,
    });
    try {
      process.stdout.write(`${await createAdmin(app, command)}\n`);
    } finally {
      await app.close();
    }
    return 0;
  } catch (error) {
    process.stderr.write(`Error: ${explain(error)}\n`);
    return 1;
  }
}

function explain(error: unknown): string {
  if (error instanceof CliError || error instanceof ConfigError || error instanceof AppError) return error.message;
  const database = mapDatabaseError(error);
  if (database) return database.message;
  return error instanceof Error ? error.message : String(error);
}

process.exitCode = await main(process.argv.slice(2));
