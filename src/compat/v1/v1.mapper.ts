import type { AccountWithOwner } from '../compat-accounts.service.js';
import { isoSeconds } from '../iso-seconds.js';
import type { V1AccountDto } from './v1.dto.js';

/** Account ids on `/v1` are `acct_<n>`, the same account `n` as on `/api`. */
export function toV1Account({ account, owner }: AccountWithOwner): V1AccountDto {
  return {
    id: `acct_${account.id}`,
    email: owner.email,
    name: account.name,
    type: account.type,
    status: account.status,
    created_at: isoSeconds(account.createdAt),
    updated_at: isoSeconds(account.updatedAt),
    settings: account.settings,
  };
}
