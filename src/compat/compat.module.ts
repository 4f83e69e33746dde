import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { CompatAccountsService } from './compat-accounts.service.js';
import { LandscapeController } from './landscape/landscape.controller.js';
import { PortalController } from './portal/portal.controller.js';
import { V1AccountsController } from './v1/v1-accounts.controller.js';

/** The Landscape-, Portal- and v1-compatible surfaces: mappings of the domain services. Nothing imports this folder. */
@Module({
  imports: [AccountsModule, AuthModule, TokensModule, UsersModule],
  controllers: [LandscapeController, PortalController, V1AccountsController],
  providers: [CompatAccountsService],
})
export class CompatModule {}
