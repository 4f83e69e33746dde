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

/** The columns of a user row as `User` fields (the password hash aside), for hand-written queries on alias `u`. */
export const USER_COLUMNS = `u.id, u.email, u.first_name AS "firstName", u.last_name AS "lastName", u.openid, u.is_admin AS "isAdmin", u.status,
  u.email_verified_at AS "emailVerifiedAt", u.last_login_at AS "lastLoginAt", u.created_at AS "createdAt", u.updated_at AS "updatedAt"`;

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** Inserts a user; a taken email (in any case) fails on `uq_users_email_ci`. */
  async create(em: EntityManager, user: NewUser): Promise<User> {
    const repository = em.getRepository(User);
    return repository.save(repository.create({ firstName: '', lastName: '', ...user }));
  }

  /** The user with this id, or null (a lean query: this runs on logins and refreshes). */
  async findById(id: number, em?: EntityManager): Promise<User | null> {
    const [user] = await (em ?? this.users.manager).query<User[]>(`SELECT ${USER_COLUMNS}, u.password_hash AS "passwordHash" FROM users u WHERE u.id = $1`, [id]);
    return user ?? null;
  }

  /** Case-insensitive, served by the unique index on `lower(email)`. */
  async findByEmail(email: string, em?: EntityManager): Promise<User | null> {
    const [user] = await (em ?? this.users.manager).query<User[]>(
      `SELECT ${USER_COLUMNS}, u.password_hash AS "passwordHash" FROM users u WHERE lower(u.email) = lower($1)`,
      [email],
    );
    return user ?? null;
  }

  /** The user and the accounts they belong to (roles and membership status), in one query. */
  async findWithMemberships(id: number): Promise<(User & { memberships: UserMembership[] }) | null> {
    const [user] = await this.users.query<(User & { memberships: UserMembership[] })[]>(
      `SELECT ${USER_COLUMNS},
              COALESCE((SELECT json_agg(json_build_object('accountId', m.account_id, 'accountName', a.name, 'roles', m.roles, 'status', m.status)
                                 ORDER BY m.account_id)
                          FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.user_id = u.id), '[]') AS memberships
         FROM users u WHERE u.id = $1`,
      [id],
    );
    return user ?? null;
  }
}
