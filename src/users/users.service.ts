import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { AccountRole } from '../memberships/account-role.js';
import type { MembershipStatus } from '../memberships/membership.entity.js';
import { User } from './user.entity.js';

export interface UserMembership {
  accountId: number;
  accountName: string;
  roles: AccountRole[];
  status: MembershipStatus;
}

export interface NewUser {
  email: string;
  passwordHash: string | null;
  firstName?: string;
  lastName?: string;
  status?: User['status'];
  isAdmin?: boolean;
}

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** Inserts a user; a taken email (in any case) fails on `uq_users_email_ci`. */
  async create(em: EntityManager, user: NewUser): Promise<User> {
    const repository = em.getRepository(User);
    return repository.save(repository.create({ firstName: '', lastName: '', ...user }));
  }

  findById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** The accounts a user belongs to, with roles and membership status. */
  membershipsOf(userId: number): Promise<UserMembership[]> {
    return this.users.query(
      `SELECT m.account_id AS "accountId", a.name AS "accountName", m.roles, m.status
         FROM memberships m JOIN accounts a ON a.id = m.account_id
        WHERE m.user_id = $1
        ORDER BY m.account_id`,
      [userId],
    );
  }

  /** Case-insensitive, served by the unique index on `lower(email)`. */
  findByEmail(email: string, em?: EntityManager): Promise<User | null> {
    return (em?.getRepository(User) ?? this.users)
      .createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email }).getOne();
  }
}
