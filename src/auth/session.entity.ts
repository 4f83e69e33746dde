import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { Constraint } from '../database/naming.js';
import { User } from '../users/user.entity.js';

/**
 * One refresh token generation of a login. A refresh rotates it: this row is revoked and a new
 * row of the same `familyId` is created, in one statement. Presenting a rotated token again
 * revokes every row of its family.
 */
@Entity('sessions')
@Unique(Constraint.sessionsRefreshTokenHash, ['refreshTokenHash'])
@Index('ix_sessions_user', ['userId'])
@Index('ix_sessions_family', ['familyId'])
export class Session {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_sessions' })
  id: string;

  @Column({ type: 'int' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'fk_sessions_user' })
  user?: Relation<User>;

  @Column({ type: 'uuid' })
  familyId: string;

  /** SHA-256 of the refresh token (hex). */
  @Column({ type: 'char', length: 64 })
  refreshTokenHash: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz' })
  lastUsedAt: Date;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** `logout`, `rotated`, `reuse`, `revoked`, `password_changed`, ... */
  @Column({ type: 'varchar', length: 32, nullable: true })
  revokedReason: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;
}
