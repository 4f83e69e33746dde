import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { Constraint } from '../database/naming.js';
import { User } from '../users/user.entity.js';

export interface TokenRestrictions {
  /** CIDR blocks the token may be used from. */
  ipAllowlist?: string[];
  /** Only safe methods (GET, HEAD, OPTIONS). */
  readOnly?: boolean;
}

@Entity('api_tokens')
@Unique(Constraint.apiTokensSecretHash, ['secretHash'])
@Index('ix_api_tokens_user', ['userId'])
@Index('ix_api_tokens_account', ['accountId'])
export class ApiToken {
  /** The public id. */
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_api_tokens' })
  id: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'int' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'fk_api_tokens_user' })
  user?: Relation<User>;

  /** When set, the token acts only within this account. */
  @Column({ type: 'int', nullable: true })
  accountId: number | null;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'fk_api_tokens_account' })
  account?: Relation<Account> | null;

  /** SHA-256 of the secret (hex); the secret is shown once, at creation. */
  @Column({ type: 'char', length: 64 })
  secretHash: string;

  /** The last characters of the secret, to recognise it in lists. */
  @Column({ type: 'varchar', length: 8 })
  secretHint: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  restrictions: TokenRestrictions | null;
}
