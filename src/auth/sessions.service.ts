import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import type { Principal, RequestContext } from '../common/http/principal.js';
import { pageWithCount } from '../common/query/count.js';
import { compileListQuery, type FieldMap, type ListQueryInput } from '../common/query/odata-to-sql.js';
import { randomSecret, sha256Hex } from '../common/security/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

const REFRESH_TOKEN_PREFIX = 'acs_rt_';

const SESSION_FIELDS: FieldMap = {
  createdAt: { column: 's.created_at', type: 'datetime' },
  lastUsedAt: { column: 's.last_used_at', type: 'datetime' },
  expiresAt: { column: 's.expires_at', type: 'datetime' },
  userAgent: { column: 's.user_agent', type: 'string' },
  ip: { column: 's.ip', type: 'string' },
};

export interface IssuedSession {
  sessionId: string;
  userId: number;
  refreshToken: string;
}

export interface SessionView {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
}

/**
 * Login sessions and their refresh tokens. Each refresh rotates the token in one statement;
 * a rotated token presented again revokes its whole family (RFC 9700, 4.14.2).
 */
@Injectable()
export class SessionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** Starts a session (a login): inserts it and records the login time on the user, in one statement. */
  async start(em: EntityManager, userId: number, context: RequestContext): Promise<IssuedSession & { startedAt: Date }> {
    const now = this.clock.now();
    const refreshToken = randomSecret(REFRESH_TOKEN_PREFIX);
    const id = randomUUID();
    await em.query(
      `WITH login AS (UPDATE users SET last_login_at = $4 WHERE id = $2)
       INSERT INTO sessions (id, user_id, family_id, refresh_token_hash, created_at, last_used_at, expires_at, user_agent, ip)
       VALUES ($1, $2, $1, $3, $4, $4, $5, $6, $7)`,
      [id, userId, sha256Hex(refreshToken), now, this.refreshExpiry(now), context.userAgent, context.ip],
    );
    return { sessionId: id, userId, refreshToken, startedAt: now };
  }

  /**
   * Exchanges a live refresh token for a new one, atomically: the old row is revoked and its
   * successor inserted by one statement, so two concurrent refreshes cannot both succeed. A
   * disabled user's refresh only revokes. Returns null when the token is not live; when it was
   * rotated away already, someone replays it and the whole family is revoked. Both run under a
   * lock on the family, so a revocation never misses a successor that a refresh in flight inserts.
   */
  async rotate(refreshToken: string, context: RequestContext): Promise<IssuedSession | null> {
    if (!refreshToken.startsWith(REFRESH_TOKEN_PREFIX)) return null;
    const hash = sha256Hex(refreshToken);
    const next = randomSecret(REFRESH_TOKEN_PREFIX);
    return this.dataSource.transaction(async (em) => {
      const [presented]: { family_id: string }[] = await em.query(
        `SELECT family_id, pg_advisory_xact_lock(hashtextextended(family_id::text, 0)) FROM sessions WHERE refresh_token_hash = $1`,
        [hash],
      );
      if (!presented) return null;
      const now = this.clock.now();
      const rows: { id: string; user_id: number }[] = await em.query(
        `WITH old AS (
           UPDATE sessions SET revoked_at = $2, revoked_reason = 'rotated'
            WHERE refresh_token_hash = $1 AND revoked_at IS NULL AND expires_at > $2
            RETURNING user_id, family_id, created_at)
         INSERT INTO sessions (id, user_id, family_id, refresh_token_hash, created_at, last_used_at, expires_at, user_agent, ip)
         SELECT $3, old.user_id, old.family_id, $4, old.created_at, $2, $5, $6, $7
           FROM old JOIN users u ON u.id = old.user_id AND u.status = 'active'
         RETURNING id, user_id`,
        [hash, now, randomUUID(), sha256Hex(next), this.refreshExpiry(now), context.userAgent, context.ip],
      );
      if (rows.length === 1) return { sessionId: rows[0].id, userId: rows[0].user_id, refreshToken: next };

      await em.query(
        `UPDATE sessions SET revoked_at = $2, revoked_reason = 'reuse'
          WHERE family_id = $3 AND revoked_at IS NULL
            AND EXISTS (SELECT 1 FROM sessions WHERE refresh_token_hash = $1 AND revoked_reason = 'rotated')`,
        [hash, now, presented.family_id],
      );
      return null;
    });
  }

  /** Revokes one live session of the user; false when there is none with that id. */
  async revoke(userId: number, sessionId: string, reason: string): Promise<boolean> {
    const [, affected] = await this.dataSource.query(
      `UPDATE sessions SET revoked_at = $3, revoked_reason = $4
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [sessionId, userId, this.clock.now(), reason],
    );
    return affected === 1;
  }

  /** Revokes every live session of the user but `keep` (password changed, user disabled). */
  async revokeAllForUser(em: EntityManager, userId: number, reason: string, keep?: string): Promise<void> {
    await em.query(
      `UPDATE sessions SET revoked_at = $2, revoked_reason = $3
        WHERE user_id = $1 AND revoked_at IS NULL AND ($4::uuid IS NULL OR id <> $4::uuid)`,
      [userId, this.clock.now(), reason, keep ?? null],
    );
  }

  /** The user's live sessions matching the OData query, most recently used first, and how many match. */
  async listLive(userId: number, query: ListQueryInput): Promise<{ value: SessionView[]; count: number }> {
    const params: unknown[] = [userId, this.clock.now()];
    const compiled = compileListQuery(query, SESSION_FIELDS, params, { defaultOrder: 's.last_used_at DESC', tiebreak: 's.id' });
    const where = `s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND (${compiled.where})`;
    const { rows, count } = await pageWithCount<SessionView>(
      (sql, p) => this.dataSource.query(sql, p),
      's.id, s.created_at AS "createdAt", s.last_used_at AS "lastUsedAt", s.expires_at AS "expiresAt", s.user_agent AS "userAgent", s.ip',
      'sessions s',
      where,
      compiled,
      params,
    );
    return { value: rows, count };
  }

  /**
   * The principal behind an access token, in one indexed query: the session must be live and
   * the user active. This runs on every authenticated request.
   */
  async resolvePrincipal(sessionId: string, userId: number): Promise<Principal | null> {
    const rows: { id: number; email: string; is_admin: boolean }[] = await this.dataSource.query(
      `SELECT u.id, u.email, u.is_admin
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 AND u.status = 'active'`,
      [sessionId, userId, this.clock.now()],
    );
    const row = rows[0];
    return row ? { userId: row.id, email: row.email, isAdmin: row.is_admin, sessionId } : null;
  }

  private refreshExpiry(now: Date): Date {
    return new Date(now.getTime() + this.config.jwt.refreshTtl * 1000);
  }
}
