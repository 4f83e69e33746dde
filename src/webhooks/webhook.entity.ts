import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, UpdateDateColumn } from 'typeorm';
import { Account } from '../accounts/account.entity.js';

/**
 * The events a webhook may subscribe to: the audit actions that change an account, its members,
 * roles, invitations and tokens (`*` for all). `webhook.ping` is sent on request only.
 */
export const WEBHOOK_EVENTS = [
  'account.updated',
  'account.enabled',
  'account.disabled',
  'account.ownership_transferred',
  'membership.added',
  'membership.invited',
  'membership.updated',
  'membership.removed',
  'membership.left',
  'invitation.accepted',
  'invitation.resent',
  'invitation.revoked',
  'token.created',
  'token.revoked',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const ALL_EVENTS = '*';

/** A subscription of one account's events, delivered by POST to `url`, signed with its secret. */
@Entity('webhooks')
@Index('ix_webhooks_account', ['accountId'])
export class Webhook {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_webhooks' })
  id: string;

  @Column({ type: 'int' })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'fk_webhooks_account' })
  account?: Relation<Account>;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  /** Event names from `WEBHOOK_EVENTS`, or `*`. */
  @Column({ type: 'varchar', length: 64, array: true })
  events: string[];

  @Column({ type: 'varchar', length: 255, nullable: true })
  description: string | null;

  /** The signing secret, encrypted (`SecretBox`): it is shown once, but deliveries need it. */
  @Column({ type: 'text' })
  secretSealed: string;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
