import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { User } from '../users/user.entity.js';

export const USER_TOKEN_PURPOSES = ['password_reset', 'email_verification'] as const;
export type UserTokenPurpose = (typeof USER_TOKEN_PURPOSES)[number];

/** A single-use token sent by mail (password reset, email verification); only its hash is kept. */
@Entity('user_tokens')
@Unique('uq_user_tokens_token_hash', ['tokenHash'])
@Index('ix_user_tokens_user', ['userId'])
@Check('ck_user_tokens_purpose', `"purpose" IN ('password_reset', 'email_verification')`)
export class UserToken {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'pk_user_tokens' })
  id: number;

  @Column({ type: 'int' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'fk_user_tokens_user' })
  user?: Relation<User>;

  @Column({ type: 'varchar', length: 32 })
  purpose: UserTokenPurpose;

  /** SHA-256 of the token (hex). */
  @Column({ type: 'char', length: 64 })
  tokenHash: string;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
