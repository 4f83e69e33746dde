import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import type { Mail } from './mailer.js';
import { OutboxMessage } from './outbox-message.entity.js';
import { OutboxDispatcher } from './outbox.dispatcher.js';

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

  /** Asks the dispatcher to run soon (call it after the transaction has committed). */
  kick(): void {
    this.dispatcher.kick();
  }
}
