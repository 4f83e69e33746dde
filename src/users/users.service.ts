import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { User } from './user.entity.js';

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

  /** Case-insensitive, served by the unique index on `lower(email)`. */
  findByEmail(email: string): Promise<User | null> {
    return this.users.createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email }).getOne();
  }
}
