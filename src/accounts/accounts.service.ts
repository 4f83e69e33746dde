import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomInt } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { PasswordPolicy } from '../auth/password-policy.js';
import { PasswordsService } from '../auth/passwords.service.js';
import { UserTokensService } from '../auth/user-tokens.service.js';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { Principal, RequestContext } from '../common/http/principal.js';
import { success, type SuccessDto } from '../common/http/success.dto.js';
import { TEST_FAULT_AFTER_LAST_INSERT } from '../common/http/test-fault.decorator.js';
import { boundedCountSql, countOfPage } from '../common/query/count.js';
import { compileListQuery, type ListQueryInput } from '../common/query/odata-to-sql.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Membership } from '../memberships/membership.entity.js';
import type { AccountRole } from '../memberships/account-role.js';
import { type AccountAccess, accessFrom, requireRole } from '../memberships/memberships.service.js';
import { UsersService } from '../users/users.service.js';
import { Account, DEFAULT_ACCOUNT_SETTINGS } from './account.entity.js';
import { ACCOUNT_COLUMNS, ACCOUNT_FIELDS, type AccountRow, toAccountDto } from './accounts.query.js';
import type {
  AccountDto,
  AccountListDto,
  CreateAccountDto,
  SignupDto,
  SignupResponseDto,
  UpdateAccountDto,
} from './dto/account.dto.js';

const SLUG_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** From this `$skip` on, a list page is found by its ids first (see `list`). */
const DEFERRED_JOIN_OFFSET = 1000;

export type NewAccount = Pick<CreateAccountDto, 'name' | 'description' | 'primaryContact' | 'type' | 'country' | 'plan' | 'metadata' | 'settings'> & {
  slug?: string;
};

@Injectable()
export class AccountsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly passwords: PasswordsService,
    private readonly audit: AuditService,
    private readonly userTokens: UserTokensService,
    private readonly passwordPolicy: PasswordPolicy,
  ) {}

  /**
   * Creates an account with `ownerId` as its owner, inside the caller's transaction: every
   * surface that creates accounts goes through here. A taken name (in any case) fails on
   * `uq_accounts_name_ci` and answers 409 `ACCOUNT_ALREADY_EXISTS`.
   */
  async createWithOwner(
    em: EntityManager,
    fields: NewAccount,
    ownerId: number,
    actor: Pick<Principal, 'userId' | 'tokenId'> | null,
    context: RequestContext | null,
  ): Promise<Account> {
    const accounts = em.getRepository(Account);
    const account = await accounts.save(
      accounts.create({
        slug: fields.slug ?? randomSlug(),
        name: fields.name,
        description: fields.description ?? null,
        primaryContact: fields.primaryContact ?? null,
        type: fields.type ?? 'business',
        country: fields.country ?? null,
        plan: fields.plan ?? this.config.defaultPlan,
        metadata: fields.metadata ?? {},
        settings: { ...DEFAULT_ACCOUNT_SETTINGS, ...fields.settings },
      }),
    );
    await em.getRepository(Membership).insert({ accountId: account.id, userId: ownerId, roles: ['owner'], status: 'active' });
    await this.audit.record(em, actor, context, {
      action: 'account.created',
      accountId: account.id,
      targetType: 'account',
      targetId: account.id,
      data: { name: account.name, ownerId },
    });
    return account;
  }

  /** Self-service signup: a user, an account and the owner membership, in one transaction. */
  async signup(dto: SignupDto, context: RequestContext, fault?: string): Promise<SignupResponseDto> {
    if (!this.config.selfServiceSignup) throw new AppError(ErrorCode.SELF_SERVICE_DISABLED, 'Self-service signup is disabled');
    this.passwordPolicy.assertAcceptable(dto.password, [dto.email, dto.firstName, dto.lastName, dto.accountName]);
    const passwordHash = await this.passwords.hash(dto.password);
    const created = await this.dataSource.transaction(async (em) => {
      const user = await this.users.create(em, {
        email: dto.email,
        passwordHash,
        firstName: dto.firstName,
        lastName: dto.lastName,
        status: 'active',
      });
      const account = await this.createWithOwner(em, { name: dto.accountName, country: dto.country }, user.id, { userId: user.id }, context);
      await this.userTokens.sendEmailVerification(em, user);
      if (this.config.isTest && fault === TEST_FAULT_AFTER_LAST_INSERT) throw new Error('Test fault injected after the last insert');
      return {
        id: user.id,
        email: user.email,
        accountId: account.id,
        accountName: account.name,
        createdAt: account.createdAt.toISOString(),
      };
    });
    this.userTokens.flush();
    return created;
  }

  async create(principal: Principal, dto: CreateAccountDto, context: RequestContext): Promise<AccountDto> {
    if (principal.accountScope) {
      throw new AppError(ErrorCode.UNAUTHORIZED, 'A token limited to an account cannot create accounts');
    }
    if (dto.plan !== undefined && !principal.isAdmin) {
      throw new AppError(ErrorCode.UNAUTHORIZED, 'Only platform administrators set the plan');
    }
    const account = await this.dataSource.transaction((em) => this.createWithOwner(em, dto, principal.userId, principal, context));
    return this.get(account.id);
  }

  /**
   * Accounts matching the OData query. Platform administrators see every account; anyone else
   * only the active accounts they are an active member of (the scope is ANDed with the filter).
   * One round trip: the count (bounded, see `common/query/count.ts`) rides on the page's rows as an
   * uncorrelated subquery (run once); a page past the end has no rows, and only then is the count
   * asked for alone. A deep page finds
   * its ids first, on the narrowest index that serves the filter and order, and reads only those
   * rows (a deferred join) instead of reading and dropping every row it skips.
   */
  async list(principal: Principal, query: ListQueryInput): Promise<AccountListDto> {
    const params: unknown[] = [];
    let from = 'accounts a';
    const scope: string[] = [];
    if (!principal.isAdmin) {
      params.push(principal.userId);
      from += ` JOIN memberships m ON m.account_id = a.id AND m.user_id = $${params.length} AND m.status = 'active'`;
      scope.push(`a.status = 'active'`);
    }
    if (principal.accountScope) {
      params.push(principal.accountScope);
      scope.push(`a.id = $${params.length}`);
    }
    const compiled = compileListQuery(query, ACCOUNT_FIELDS, params, { defaultOrder: 'a.id ASC', tiebreak: 'a.id' });
    const where = [...scope, `(${compiled.where})`].join(' AND ');
    const count = boundedCountSql(from, where);
    const page = `ORDER BY ${compiled.orderBy} LIMIT ${compiled.limit} OFFSET ${compiled.offset}`;
    const rows = await this.dataSource.query<(AccountRow & { total: number })[]>(
      compiled.offset >= DEFERRED_JOIN_OFFSET
        ? `SELECT ${ACCOUNT_COLUMNS}, (${count}) AS total
             FROM accounts a JOIN (SELECT a.id FROM ${from} WHERE ${where} ${page}) p ON p.id = a.id
            ORDER BY ${compiled.orderBy}`
        : `SELECT ${ACCOUNT_COLUMNS}, (${count}) AS total FROM ${from} WHERE ${where} ${page}`,
      params,
    );
    const total = await countOfPage((sql, p) => this.dataSource.query(sql, p), rows, compiled, from, where, params);
    return { value: rows.map(toAccountDto), count: total };
  }

  /**
   * `GET /api/accounts/{idOrName}`: digits only are an id, anything else a name (any case). One
   * query reads the account and the caller's membership; the access rules are those of
   * `@RequireAccountRole('viewer')`.
   */
  async getByIdOrName(principal: Principal, idOrName: string): Promise<AccountDto> {
    let where: string;
    if (/^\d+$/.test(idOrName)) {
      const id = Number(idOrName);
      if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) throw notFound();
      where = 'a.id = $2';
    } else {
      where = 'lower(a.name) = lower($2)';
    }
    const [row] = await this.dataSource.query<(AccountRow & { roles: AccountRole[] | null })[]>(
      `SELECT ${ACCOUNT_COLUMNS}, m.roles
         FROM accounts a LEFT JOIN memberships m ON m.account_id = a.id AND m.user_id = $1 AND m.status = 'active'
        WHERE ${where}`,
      [principal.userId, idOrName],
    );
    requireRole(row ? accessFrom(principal, row.id, row) : null, 'viewer');
    return toAccountDto(row);
  }

  async update(principal: Principal, access: AccountAccess, dto: UpdateAccountDto, context: RequestContext): Promise<AccountDto> {
    if (dto.plan !== undefined && !principal.isAdmin) {
      throw new AppError(ErrorCode.UNAUTHORIZED, 'Only platform administrators change the plan');
    }
    await this.dataSource.transaction(async (em) => {
      const accounts = em.getRepository(Account);
      const account = await accounts.findOne({ where: { id: access.accountId }, lock: { mode: 'pessimistic_write' } });
      if (!account) throw notFound();
      if (account.status === 'disabled' && !access.isPlatformAdmin && Object.keys(dto).some((k) => k !== 'status' && k !== 'disabledReason')) {
        throw new AppError(ErrorCode.ACCOUNT_DISABLED, 'The account is disabled: its owners may only enable it');
      }
      const statusChanges = dto.status !== undefined && dto.status !== account.status;
      if ((statusChanges || (dto.disabledReason !== undefined && dto.disabledReason !== account.disabledReason)) && !access.atLeast('owner')) {
        throw new AppError(ErrorCode.UNAUTHORIZED, 'Changing the status requires the owner role');
      }
      const { settings, ...fields } = dto;
      Object.assign(account, fields);
      if (settings) account.settings = { ...account.settings, ...settings };
      if (account.status === 'active') account.disabledReason = null;
      await accounts.save(account);
      await this.audit.record(em, principal, context, {
        action: statusChanges ? `account.${account.status === 'active' ? 'enabled' : 'disabled'}` : 'account.updated',
        accountId: account.id,
        targetType: 'account',
        targetId: account.id,
        data: { fields: Object.keys(dto) },
      });
    });
    return this.get(access.accountId);
  }

  async remove(principal: Principal, access: AccountAccess, context: RequestContext): Promise<SuccessDto> {
    await this.dataSource.transaction(async (em) => {
      const deleted = await em.getRepository(Account).delete({ id: access.accountId });
      if (!deleted.affected) throw notFound();
      await this.audit.record(em, principal, context, {
        action: 'account.deleted',
        accountId: access.accountId,
        targetType: 'account',
        targetId: access.accountId,
      });
    });
    return success('Account deleted');
  }

  async get(id: number): Promise<AccountDto> {
    const [row] = await this.dataSource.query<AccountRow[]>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1`, [id]);
    if (!row) throw notFound();
    return toAccountDto(row);
  }
}

function notFound(): AppError {
  return new AppError(ErrorCode.ACCOUNT_NOT_FOUND, 'Account not found');
}

function randomSlug(): string {
  return Array.from({ length: 8 }, () => SLUG_ALPHABET[randomInt(SLUG_ALPHABET.length)]).join('');
}
