import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import { randomSecret, sha256Hex } from '../common/security/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { UserToken, type UserTokenPurpose } from './user-token.entity.js';

const LIFETIME_MS: Record<UserTokenPurpose, number> = {
  password_reset: 3600 * 1000,
  email_verification: 7 * 24 * 3600 * 1000,
};

const PREFIX: Record<UserTokenPurpose, string> = { password_reset: 'acs_pwr_', email_verification: 'acs_evt_' };

/** Single-use tokens sent by mail. The mail goes through the outbox, in the caller's transaction. */
@Injectable()
export class UserTokensService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
  ) {}

  async sendPasswordReset(em: EntityManager, user: { id: number; email: string }): Promise<void> {
    const token = await this.issue(em, user.id, 'password_reset');
    await this.outbox.enqueueMail(em, {
      to: user.email,
      subject: 'Reset your password',
      text:
        `Someone asked to reset the password of this account. To choose a new one within an hour, open:\n` +
        `${this.config.appUrl}/password/reset?token=${token}\n\nIf it was not you, ignore this mail: your password stays as it is.\n`,
    });
  }

  async sendEmailVerification(em: EntityManager, user: { id: number; email: string }): Promise<void> {
    const token = await this.issue(em, user.id, 'email_verification');
    await this.outbox.enqueueMail(em, {
      to: user.email,
      subject: 'Confirm your email address',
      text: `Confirm your email address within 7 days:\n${this.config.appUrl}/email/verify?token=${token}\n`,
    });
  }

  /** Uses a live token once, atomically; returns its user, or null for anything else. */
  async consume(em: EntityManager, token: string, purpose: UserTokenPurpose): Promise<number | null> {
    if (!token.startsWith(PREFIX[purpose])) return null;
    const [rows]: [{ user_id: number }[], number] = await em.query(
      `UPDATE user_tokens SET used_at = $3
        WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
        RETURNING user_id`,
      [sha256Hex(token), purpose, this.clock.now()],
    );
    return rows[0]?.user_id ?? null;
  }

  /** Ends every other live token of that purpose (a reset link dies once the password changed). */
  async revokeAll(em: EntityManager, userId: number, purpose: UserTokenPurpose): Promise<void> {
    await em.query(`UPDATE user_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, [
      userId,
      purpose,
      this.clock.now(),
    ]);
  }

  /** Wakes the outbox after the transaction that wrote a mail committed. */
  flush(): void {
    this.outbox.kick();
  }

  private async issue(em: EntityManager, userId: number, purpose: UserTokenPurpose): Promise<string> {
    const token = randomSecret(PREFIX[purpose]);
    await em.getRepository(UserToken).insert({
      userId,
      purpose,
      tokenHash: sha256Hex(token),
      expiresAt: new Date(this.clock.now().getTime() + LIFETIME_MS[purpose]),
    });
    return token;
  }
}
