import { Module } from '@nestjs/common';
import { AccountRoleGuard } from './account-role.guard.js';
import { MembershipsService } from './memberships.service.js';

@Module({
  providers: [MembershipsService, AccountRoleGuard],
  exports: [MembershipsService, AccountRoleGuard],
})
export class MembershipsModule {}
