import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountRoleGuard } from './account-role.guard.js';
import { InvitationsController } from './invitations.controller.js';
import { InvitationsService } from './invitations.service.js';
import { MembersController } from './members.controller.js';
import { MembersService } from './members.service.js';
import { MembershipsService } from './memberships.service.js';

@Module({
  imports: [UsersModule, AuthModule],
  controllers: [MembersController, InvitationsController],
  providers: [MembershipsService, AccountRoleGuard, MembersService, InvitationsService],
  exports: [MembershipsService, AccountRoleGuard],
})
export class MembershipsModule {}
