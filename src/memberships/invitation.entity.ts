import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { Constraint } from '../database/naming.js';
import { User } from '../users/user.entity.js';
import type { AccountRole } from './account-role.js';

export const INVITATION_STATUSES = ['pending', 'accepted', 'expired', 'revoked'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

@Entity('invitations')
@Unique(Constraint.invitationsTokenHash, ['tokenHash'])
@Check('ck_invitations_status', `"status" IN ('pending', 'accepted', 'expired', 'revoked')`)
@Check('ck_invitations_roles', `cardinality("roles") > 0 AND "roles" <@ ARRAY['viewer','user','manage','admin','owner']::text[]`)
export class Invitation {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'pk_invitations' })
  id: number;

  @Column({ type: 'int' })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'fk_invitations_account' })
  account?: Relation<Account>;

  /**
   * At most one pending invitation per account and email: a partial unique index on
   * `(account_id, lower(email)) WHERE status = 'pending'` (see the migration).
   */
  @Index(Constraint.invitationsPendingEmail, { synchronize: false })
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ type: 'text', array: true })
  roles: AccountRole[];

  /** The invited user (created as `invited` when the email had no user). */
  @Column({ type: 'int' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'fk_invitations_user' })
  user?: Relation<User>;

  @Column({ type: 'int', nullable: true })
  invitedById: number | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ foreignKeyConstraintName: 'fk_invitations_invited_by' })
  invitedBy?: Relation<User> | null;

  /** SHA-256 of the token (hex); the token itself exists only in the mail. */
  @Column({ type: 'char', length: 64 })
  tokenHash: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: InvitationStatus;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  acceptedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ type: 'int', default: 1 })
  sendCount: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
