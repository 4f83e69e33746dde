import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Webhook } from '../webhooks/webhook.entity.js';

export const OUTBOX_KINDS = ['mail', 'webhook'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];
export const OUTBOX_STATUSES = ['pending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/**
 * A message (a mail, or a webhook delivery) written in the same transaction as the change that
 * causes it, delivered after commit by the dispatcher with retries.
 */
@Entity('outbox')
@Index('ix_outbox_due', ['nextAttemptAt'], { where: `"status" = 'pending'` })
@Index('ix_outbox_webhook', ['webhookId', 'id'], { where: `"webhook_id" IS NOT NULL` })
export class OutboxMessage {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_outbox' })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  kind: OutboxKind;

  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  /** A webhook delivery's subscription; its deliveries go when it (or its account) goes. */
  @Column({ type: 'uuid', nullable: true })
  webhookId: string | null;

  @ManyToOne(() => Webhook, { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'fk_outbox_webhook' })
  webhook?: Relation<Webhook> | null;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: OutboxStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ type: 'timestamptz' })
  nextAttemptAt: Date;

  /** Set while a dispatcher holds the message, so that no other one takes it. */
  @Column({ type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  @Column({ type: 'text', nullable: true })
  lastError: string | null;

  /** A webhook delivery: the HTTP status of the last attempt that got an answer. */
  @Column({ type: 'int', nullable: true })
  responseStatus: number | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  sentAt: Date | null;
}
