import type { AccountWithOwner } from '../compat-accounts.service.js';
import type { PortalCreateAccountResponseDto } from './portal.dto.js';

/** The Portal's answer: camelCase, times in epoch milliseconds, the token's secret as its `id`. */
export function toPortalCreateAccount({ account, owner, token }: AccountWithOwner): PortalCreateAccountResponseDto {
  if (!token) throw new Error('A Portal account is created with its initial token');
  return {
    account: {
      id: account.id,
      name: account.name,
      planInstance: account.plan,
      metadata: account.metadata,
      createdAt: account.createdAt.getTime(),
    },
    user: { id: owner.id, accountId: account.id, email: owner.email, isAdmin: owner.isAdmin, createdAt: owner.createdAt.getTime() },
    initialToken: {
      id: token.token,
      name: token.name,
      userId: owner.id,
      accountId: account.id,
      userEmail: owner.email,
      createdAt: Date.parse(token.createdAt),
      lastUsedAt: token.lastUsedAt === null ? null : Date.parse(token.lastUsedAt),
      restrictions: token.restrictions,
    },
  };
}
