import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const OUTBOX_KINDS = ['mail', 'webhook'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];
export const OUTBOX_STATUSES = ['pending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/**
 * A message written in the same transaction as the change that causes it, delivered after
 * commit by the dispatcher with retries.
 */
@Entity('outbox')
@Index('ix_outbox_due', ['nextAttemptAt'], { where: `"status" = 'pending'` })
export class OutboxMessage {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_outbox' })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  kind: OutboxKind;

  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

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

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  sentAt: Date | null;
}
