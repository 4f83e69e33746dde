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

export const MEMBERSHIP_STATUSES = ['active', 'invited', 'disabled'] as const;
export type MembershipStatus = (typeof MEMBERSHIP_STATUSES)[number];

@Entity('memberships')
@Unique(Constraint.membershipsAccountUser, ['accountId', 'userId'])
@Index('ix_memberships_user', ['userId'])
// The list indexes of migration AddListIndexes (with INCLUDE and ordering columns): written by hand there.
@Index('ix_memberships_user_account', { synchronize: false })
@Index('ix_memberships_account_id', { synchronize: false })
@Check('ck_memberships_status', `"status" IN ('active', 'invited', 'disabled')`)
@Check('ck_memberships_roles', `cardinality("roles") > 0 AND "roles" <@ ARRAY['viewer','user','manage','admin','owner']::text[]`)
export class Membership {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'pk_memberships' })
  id: number;

  @Column({ type: 'int' })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'fk_memberships_account' })
  account?: Relation<Account>;

  @Column({ type: 'int' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'fk_memberships_user' })
  user?: Relation<User>;

  /** A non-empty set of roles (checked by `ck_memberships_roles`). */
  @Column({ type: 'text', array: true })
  roles: AccountRole[];

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: MembershipStatus;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
