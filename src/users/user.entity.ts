import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Constraint } from '../database/naming.js';

export const USER_STATUSES = ['active', 'invited', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

@Entity('users')
@Check('ck_users_status', `"status" IN ('active', 'invited', 'disabled')`)
export class User {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'pk_users' })
  id: number;

  /** Kept as typed; unique case-insensitively through an index on `lower(email)` (see the migration). */
  @Index(Constraint.usersEmail, { synchronize: false })
  @Column({ type: 'varchar', length: 254 })
  email: string;

  /** argon2id; null while the user is only invited. */
  @Column({ type: 'text', nullable: true })
  passwordHash: string | null;

  @Column({ type: 'varchar', length: 100, default: '' })
  firstName: string;

  @Column({ type: 'varchar', length: 100, default: '' })
  lastName: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  openid: string | null;

  /** Platform administrator. */
  @Column({ type: 'boolean', default: false })
  isAdmin: boolean;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: UserStatus;

  @Column({ type: 'timestamptz', nullable: true })
  emailVerifiedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastLoginAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
