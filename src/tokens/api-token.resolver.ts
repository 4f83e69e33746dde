import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import type { Principal } from '../common/http/principal.js';
import { sha256Hex } from '../common/security/secrets.js';
import type { TokenRestrictions } from './api-token.entity.js';
import { ipAllowed } from './cidr.js';
import { isWellFormedApiToken } from './token-format.js';

const LAST_USED_RESOLUTION_MS = 60_000;

export interface LiveApiToken {
  id: string;
  user_id: number;
  account_id: number | null;
  expires_at: Date | null;
  created_at: Date;
  last_used_at: Date | null;
  restrictions: TokenRestrictions | null;
  email: string;
  is_admin: boolean;
}

/**
 * Resolves API tokens for the global guard: a malformed token or a bad checksum is refused without
 * touching the database; otherwise one indexed lookup by hash. Provided by the auth module (the
 * guard's home); it depends on nothing but the database and the clock.
 */
@Injectable()
export class ApiTokenResolver {
  private readonly logger = new Logger(ApiTokenResolver.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** The live token (unexpired, unrevoked, its user active), or null. */
  async lookup(token: string): Promise<LiveApiToken | null> {
    if (!isWellFormedApiToken(token)) return null;
    const [row] = await this.dataSource.query<LiveApiToken[]>(
      `SELECT t.id, t.user_id, t.account_id, t.expires_at, t.created_at, t.last_used_at, t.restrictions, u.email, u.is_admin
         FROM api_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.status = 'active'`,
      [sha256Hex(token), this.clock.now()],
    );
    return row ?? null;
  }

  /**
   * The principal behind an API token used from `ip`, or null. `lastUsedAt` is written at most
   * once a minute per token, off the request's path.
   */
  async resolve(token: string, ip: string): Promise<Principal | null> {
    const row = await this.lookup(token);
    if (!row) return null;
    const allowlist = row.restrictions?.ipAllowlist;
    if (allowlist && !ipAllowed(ip, allowlist)) return null;
    const now = this.clock.now();
    if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) this.touch(row.id, now);
    return {
      userId: row.user_id,
      email: row.email,
      isAdmin: row.is_admin,
      tokenId: row.id,
      accountScope: row.account_id,
      readOnly: row.restrictions?.readOnly === true,
      ipAllowlist: allowlist ?? null,
      expiresAt: row.expires_at,
    };
  }

  private touch(id: string, now: Date): void {
    this.dataSource
      .query(`UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`, [
        id,
        now,
        new Date(now.getTime() - LAST_USED_RESOLUTION_MS),
      ])
      .catch((error: Error) => this.logger.warn(`Could not record the use of token ${id}: ${error.message}`));
  }
}
