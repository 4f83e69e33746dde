import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { Constraint } from '../database/naming.js';

export const ACCOUNT_TYPES = ['individual', 'business'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];
export const ACCOUNT_STATUSES = ['active', 'disabled'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export interface AccountSettings {
  currency: string;
  timezone: string;
  language: string;
}

export const DEFAULT_ACCOUNT_SETTINGS: Readonly<AccountSettings> = Object.freeze({
  currency: 'USD',
  timezone: 'UTC',
  language: 'en',
});

@Entity('accounts')
@Unique(Constraint.accountsSlug, ['slug'])
@Check('ck_accounts_status', `"status" IN ('active', 'disabled')`)
@Check('ck_accounts_type', `"type" IN ('individual', 'business')`)
@Index('ix_accounts_created_at', ['createdAt'])
// The list indexes of migration AddListIndexes (trigram and composite): written by hand there.
@Index('ix_accounts_name', { synchronize: false })
@Index('ix_accounts_name_trgm', { synchronize: false })
@Index('ix_accounts_name_lower_trgm', { synchronize: false })
@Index('ix_accounts_description_trgm', { synchronize: false })
@Index('ix_accounts_status_id', { synchronize: false })
@Index('ix_accounts_type_id', { synchronize: false })
@Index('ix_accounts_country_id', { synchronize: false })
@Index('ix_accounts_plan_id', { synchronize: false })
@Index('ix_accounts_updated_at', { synchronize: false })
export class Account {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'pk_accounts' })
  id: number;

  /** Short unique key: 8 random lowercase alphanumerics, or `standalone`. */
  @Column({ type: 'varchar', length: 32 })
  slug: string;

  /** Unique case-insensitively through an index on `lower(name)` (see the migration). */
  @Index(Constraint.accountsName, { synchronize: false })
  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  description: string | null;

  @Column({ type: 'varchar', length: 254, nullable: true })
  primaryContact: string | null;

  @Column({ type: 'varchar', length: 16, default: 'business' })
  type: AccountType;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: AccountStatus;

  @Column({ type: 'varchar', length: 255, nullable: true })
  disabledReason: string | null;

  /** ISO 3166-1 alpha-2. */
  @Column({ type: 'char', length: 2, nullable: true })
  country: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  plan: string | null;

  @Column({ type: 'jsonb', default: {} })
  metadata: Record<string, unknown>;

  @Column({ type: 'jsonb', default: DEFAULT_ACCOUNT_SETTINGS })
  settings: AccountSettings;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
