import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, QueryFailedError } from 'typeorm';
import type { Account } from '../accounts/account.entity.js';
import { AccountsService, type NewAccount } from '../accounts/accounts.service.js';
import { AuditService } from '../audit/audit.service.js';
import { PasswordPolicy } from '../auth/password-policy.js';
import { PasswordsService } from '../auth/passwords.service.js';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { Principal, RequestContext } from '../common/http/principal.js';
import { TEST_FAULT_AFTER_LAST_INSERT } from '../common/http/test-fault.decorator.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Constraint } from '../database/naming.js';
import type { CreatedTokenDto } from '../tokens/dto/token.dto.js';
import { TokensService } from '../tokens/tokens.service.js';
import { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';

export const STANDALONE_SLUG = 'standalone';
const STANDALONE_NAME = 'Organization';


export interface NewOwner {
  email: string;
  password: string;
  firstName?: string;
  lastName?: string;
  isAdmin?: boolean;
}

export interface AccountWithOwner {
  account: Account;
  owner: User;
  /** The API token minted for the owner, with its secret. */
  token?: CreatedTokenDto;
}

export interface Administrator {
  firstName: string;
  lastName: string;
  email: string;
  openid: string | null;
}

/** An account as Landscape describes it: with its administrators and the caller's last login. */
export interface AccountSummary {
  account: Account;
  administrators: Administrator[];
  lastLoginAt: Date | null;
}

/**
 * The account creations of the compatible surfaces, composed from the domain services
 * (`AccountsService.createWithOwner`, `UsersService.create`, `TokensService.issue`): each one
 * transaction, its rules checked inside it or decided by a unique constraint.
 */
@Injectable()
export class CompatAccountsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly accounts: AccountsService,
    private readonly users: UsersService,
    private readonly passwords: PasswordsService,
    private readonly policy: PasswordPolicy,
    private readonly tokens: TokensService,
    private readonly audit: AuditService,
  ) {}

  /** Landscape `POST /api/v2/accounts`: an account owned by the caller, who must not belong to one yet. */
  async createForCaller(principal: Principal, name: string, context: RequestContext): Promise<AccountSummary> {
    if (!this.config.selfServiceSignup && !principal.isAdmin) {
      throw new AppError(ErrorCode.SELF_SERVICE_DISABLED, 'Self-service account creation is disabled');
    }
    const { account, caller } = await this.dataSource.transaction(async (em) => {
      // The caller's row lock makes their concurrent requests take turns: only the first passes the check.
      const caller = await em.getRepository(User).findOneOrFail({ where: { id: principal.userId }, lock: { mode: 'pessimistic_write' } });
      const [member] = await em.query(`SELECT 1 FROM memberships WHERE user_id = $1 AND status = 'active' LIMIT 1`, [caller.id]);
      if (member) throw new AppError(ErrorCode.USER_ALREADY_HAS_ACCOUNT, 'You already belong to an account');
      return { account: await this.accounts.createWithOwner(em, { name }, caller.id, principal, context), caller };
    });
    return this.summarize(account, caller);
  }

  /**
   * Landscape `POST /api/v2/standalone-account`: the account `standalone` and its first
   * administrator, also a platform administrator. Only once: the unique slug decides.
   */
  async createStandalone(admin: { email: string; name: string; password: string }, context: RequestContext): Promise<AccountSummary> {
    const [existing] = await this.dataSource.query(`SELECT 1 FROM accounts WHERE slug = $1`, [STANDALONE_SLUG]);
    if (existing) throw standaloneExists();
    const [firstName, ...rest] = admin.name.trim().split(/\s+/);
    const created = await this.createWithNewOwner(
      { email: admin.email, password: admin.password, firstName, lastName: rest.join(' '), isAdmin: true },
      { slug: STANDALONE_SLUG, name: STANDALONE_NAME },
      { actor: null, context },
    ).catch((error: unknown) => {
      throw isUniqueViolation(error, Constraint.accountsSlug) ? standaloneExists() : error;
    });
    return this.summarize(created.account, created.owner);
  }

  /**
   * Portal `POST /api/portal/v1/admin/createAccount` (platform administrators): an account on the
   * plan of the caller's account, its primary user and an API token `Default` scoped to it.
   */
  async createForPortal(
    principal: Principal,
    dto: { name: string; username: string; password: string },
    context: RequestContext,
    fault?: string,
  ): Promise<AccountWithOwner> {
    return this.createWithNewOwner(
      { email: dto.username, password: dto.password },
      { name: dto.name, primaryContact: dto.username, plan: await this.planOf(principal) },
      { actor: principal, context, tokenName: 'Default', fault },
    );
  }

  /** v1 `POST /v1/accounts`: self-service without a token, else by a platform administrator. */
  async createForV1(
    principal: Principal | null,
    dto: { email: string; password: string } & Pick<NewAccount, 'name' | 'type' | 'settings'>,
    context: RequestContext,
    fault?: string,
  ): Promise<AccountWithOwner> {
    if (principal && !principal.isAdmin) throw new AppError(ErrorCode.UNAUTHORIZED, 'Only platform administrators create accounts for others');
    if (!principal && !this.config.selfServiceSignup) throw new AppError(ErrorCode.SELF_SERVICE_DISABLED, 'Self-service signup is disabled');
    return this.createWithNewOwner(
      { email: dto.email, password: dto.password },
      { name: dto.name, type: dto.type, settings: dto.settings, primaryContact: dto.email },
      { actor: principal, context, fault },
    );
  }

  /** A new active user who owns a new account (and, given a name, an API token scoped to it), in one transaction. */
  private async createWithNewOwner(
    owner: NewOwner,
    fields: NewAccount,
    options: { actor: Principal | null; context: RequestContext; tokenName?: string; fault?: string },
  ): Promise<AccountWithOwner> {
    this.policy.assertAcceptable(owner.password, [owner.email, owner.firstName ?? '', owner.lastName ?? '', fields.name]);
    const passwordHash = await this.passwords.hash(owner.password);
    const failAfterInserts = this.config.isTest && options.fault === TEST_FAULT_AFTER_LAST_INSERT;
    const { context } = options;
    return this.dataSource.transaction(async (em) => {
      const user = await this.users.create(em, {
        email: owner.email,
        passwordHash,
        firstName: owner.firstName,
        lastName: owner.lastName,
        isAdmin: owner.isAdmin ?? false,
        status: 'active',
      });
      const actor = options.actor ?? { userId: user.id };
      await this.audit.record(em, actor, context, { action: 'user.created', targetType: 'user', targetId: user.id, data: { isAdmin: user.isAdmin } });
      const account = await this.accounts.createWithOwner(em, fields, user.id, actor, context);
      let token: CreatedTokenDto | undefined;
      if (options.tokenName) {
        token = await this.tokens.issue(em, { userId: user.id, accountId: account.id, name: options.tokenName });
        await this.audit.record(em, actor, context, {
          action: 'token.created',
          accountId: account.id,
          targetType: 'token',
          targetId: token.id,
          data: { userId: user.id, name: token.name },
        });
      }
      if (failAfterInserts) throw new Error('Test fault injected after the last insert');
      return { account, owner: user, token };
    });
  }

  /** The plan of the caller's account: the one its API token is scoped to, else its first; undefined for the default. */
  private async planOf(principal: Principal): Promise<string | undefined> {
    const [row] = principal.accountScope
      ? await this.dataSource.query<{ plan: string | null }[]>(`SELECT plan FROM accounts WHERE id = $1`, [principal.accountScope])
      : await this.dataSource.query<{ plan: string | null }[]>(
          `SELECT a.plan FROM memberships m JOIN accounts a ON a.id = m.account_id
            WHERE m.user_id = $1 AND m.status = 'active' ORDER BY a.id LIMIT 1`,
          [principal.userId],
        );
    return row?.plan ?? undefined;
  }

  private async summarize(account: Account, user: User): Promise<AccountSummary> {
    const administrators = await this.dataSource.query<Administrator[]>(
      `SELECT u.first_name AS "firstName", u.last_name AS "lastName", u.email, u.openid
         FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.account_id = $1 AND m.status = 'active' AND u.status = 'active' AND m.roles && ARRAY['owner', 'admin']::text[]
        ORDER BY m.id`,
      [account.id],
    );
    return { account, administrators, lastLoginAt: user.lastLoginAt };
  }
}

function standaloneExists(): AppError {
  return new AppError(ErrorCode.STANDALONE_ACCOUNT_EXISTS, 'The standalone account already exists');
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const driverError = error instanceof QueryFailedError ? (error.driverError as { code?: string; constraint?: string }) : undefined;
  return driverError?.code === '23505' && driverError.constraint === constraint;
}
