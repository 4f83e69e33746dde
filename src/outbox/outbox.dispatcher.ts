import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { type Mail, Mailer } from './mailer.js';
import type { OutboxKind } from './outbox-message.entity.js';
import { DeliveryError, WebhookSender } from './webhook-sender.js';

const BATCH_SIZE = 20;
/** How long a claim keeps other dispatchers off a message. */
const CLAIM_MS = 60_000;
const MAX_ATTEMPTS = 10;
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 3_600_000;

interface ClaimedMessage {
  id: string;
  kind: OutboxKind;
  payload: Record<string, unknown>;
  attempts: number;
  webhook_id: string | null;
}

/**
 * Delivers the outbox (mails and webhook events): a round every `OUTBOX_POLL_MS`, or at once when
 * kicked. Each round claims due messages in one statement (`FOR UPDATE SKIP LOCKED`, then
 * `locked_until`), so that two instances never take the same one, and delivers them with no
 * transaction open. A failure is retried with exponential backoff; after 10 attempts (or at once
 * when retrying is pointless, such as a paused webhook) the message is `failed`.
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxDispatcher.name);
  private stopped = true;
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private again = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly mailer: Mailer,
    private readonly webhooks: WebhookSender,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.kick();
  }

  /**
   * Stops the loop once the round in flight is done. `beforeApplicationShutdown` rather than
   * `onApplicationShutdown` because the data source is destroyed in the latter.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  /** Runs a round now, or right after the one in flight: rounds never overlap. */
  kick(): void {
    if (this.stopped) return;
    if (this.round) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.round = this.dispatchDue()
      .then((claimed) => {
        if (claimed === BATCH_SIZE) this.again = true; // there may be more due
      })
      .catch((error: Error) => this.logger.error(`Outbox round failed: ${error.message}`))
      .finally(() => {
        this.round = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.kick();
        } else {
          this.timer = setTimeout(() => this.kick(), this.config.outbox.pollMs).unref();
        }
      });
  }

  /**
   * One round: claims up to 20 due messages and delivers them. Returns how many were claimed.
   * Safe to run concurrently with other rounds, here or in another instance.
   */
  async dispatchDue(): Promise<number> {
    const startedAt = performance.now();
    const claimed = await this.claim();
    for (const [index, message] of claimed.entries()) {
      if (performance.now() - startedAt > CLAIM_MS / 2) {
        // Slow deliveries: give back the rest before the claim runs out and another takes them.
        await this.release(claimed.slice(index));
        break;
      }
      await this.deliver(message);
    }
    return claimed.length;
  }

  private async claim(): Promise<ClaimedMessage[]> {
    const now = this.clock.now();
    const [rows] = await this.dataSource.query(
      `UPDATE outbox SET locked_until = $2, attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM outbox
         WHERE status = 'pending' AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)
         ORDER BY id LIMIT ${BATCH_SIZE}
         FOR UPDATE SKIP LOCKED)
       RETURNING id, kind, payload, attempts, webhook_id`,
      [now, new Date(now.getTime() + CLAIM_MS)],
    );
    return (rows as ClaimedMessage[]).sort((a, b) => Number(a.id) - Number(b.id));
  }

  private async deliver(message: ClaimedMessage): Promise<void> {
    let responseStatus: number | null = null;
    try {
      if (message.kind === 'mail') await this.mailer.send(message.id, message.payload as unknown as Mail);
      else if (message.kind === 'webhook' && message.webhook_id) responseStatus = await this.webhooks.send(message.id, message.webhook_id, message.payload);
      else throw new DeliveryError(`No delivery for outbox messages of kind ${message.kind}`, null, true);
    } catch (error) {
      await this.recordFailure(message, error);
      return;
    }
    // A sent mail's body held a single-use link: only who and what are kept. A webhook event
    // stays readable in its delivery log. `last_error` keeps the failure of an earlier attempt.
    await this.dataSource.query(
      `UPDATE outbox SET status = 'sent', sent_at = $2, locked_until = NULL, response_status = $3,
              payload = CASE WHEN kind = 'mail' THEN jsonb_build_object('to', payload->'to', 'subject', payload->'subject') ELSE payload END
        WHERE id = $1`,
      [message.id, this.clock.now(), responseStatus],
    );
  }

  private async recordFailure(message: ClaimedMessage, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    const delivery = error instanceof DeliveryError ? error : undefined;
    const failed = message.attempts >= MAX_ATTEMPTS || delivery?.final === true;
    const delayMs = Math.min(FIRST_RETRY_MS * 2 ** (message.attempts - 1), MAX_RETRY_MS);
    await this.dataSource.query(
      `UPDATE outbox SET status = $2, last_error = $3, next_attempt_at = $4, locked_until = NULL, response_status = $5 WHERE id = $1`,
      [message.id, failed ? 'failed' : 'pending', reason.slice(0, 1000), new Date(this.clock.now().getTime() + delayMs), delivery?.responseStatus ?? null],
    );
    const what = `Outbox message ${message.id} (${message.kind}) attempt ${message.attempts} failed: ${reason}`;
    if (failed) this.logger.error(`${what}. Giving up.`);
    else this.logger.warn(`${what}. Retrying in ${delayMs / 1000} s.`);
  }

  private async release(messages: ClaimedMessage[]): Promise<void> {
    await this.dataSource.query(`UPDATE outbox SET locked_until = NULL, attempts = attempts - 1 WHERE id = ANY($1)`, [
      messages.map((message) => message.id),
    ]);
  }
}
