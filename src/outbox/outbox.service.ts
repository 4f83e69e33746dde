import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import type { Mail } from './mailer.js';
import { OutboxMessage } from './outbox-message.entity.js';
import { OutboxDispatcher } from './outbox.dispatcher.js';

/** The body of a webhook delivery: one event of one account. */
export interface WebhookEventBody {
  /** `evt_<audit event id>`: the same event delivered twice has the same id. */
  id: string;
  type: string;
  createdAt: string;
  accountId: number;
  actor: { userId: number | null; tokenId: string | null };
  target: { type: string; id: string } | null;
  data: Record<string, unknown> | null;
}

/**
 * The transactional outbox. A service writes its mail with the same `em` as the change that causes
 * it, so both commit or neither does, and calls `kick()` after the commit to have it sent at once.
 */
@Injectable()
export class OutboxService {
  constructor(
    private readonly clock: Clock,
    private readonly dispatcher: OutboxDispatcher,
  ) {}

  /** Inserts the mail through the caller's transaction; no I/O beyond that insert. */
  async enqueueMail(em: EntityManager, mail: Mail): Promise<void> {
    await em.getRepository(OutboxMessage).insert({
      kind: 'mail',
      payload: { to: mail.to, subject: mail.subject, text: mail.text, html: mail.html }, // jsonb drops an undefined html
      status: 'pending',
      nextAttemptAt: this.clock.now(),
    });
  }

  /**
   * Queues an account's event for each of its active webhooks subscribed to it (or to `*`), or
   * only for `webhookId` when given (a ping), through the caller's transaction.
   */
  async enqueueWebhookEvent(em: EntityManager, event: WebhookEventBody, webhookId?: string): Promise<void> {
    const params: unknown[] = [event.accountId, JSON.stringify(event), this.clock.now()];
    const subscribed = webhookId ? `w.id = $${params.push(webhookId)}` : `($${params.push(event.type)} = ANY(w.events) OR '*' = ANY(w.events))`;
    await em.query(
      `INSERT INTO outbox (kind, webhook_id, payload, status, next_attempt_at)
       SELECT 'webhook', w.id, $2::jsonb, 'pending', $3 FROM webhooks w WHERE w.account_id = $1 AND w.active AND ${subscribed}`,
      params,
    );
  }

  /** Asks the dispatcher to run soon (call it after the transaction has committed). */
  kick(): void {
    this.dispatcher.kick();
  }
}
