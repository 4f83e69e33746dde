import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { UserManagementService } from './user-management.service.js';
import { UsersController } from './users.controller.js';

/** The `/api/users` routes. Apart from `UsersModule`, which auth builds on, so that neither imports the other in a circle. */
@Module({
  imports: [AuthModule],
  controllers: [UsersController],
  providers: [UserManagementService],
})
export class UserManagementModule {}
