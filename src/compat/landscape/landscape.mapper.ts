import type { AccountSummary } from '../compat-accounts.service.js';
import { isoSeconds } from '../iso-seconds.js';
import type { LandscapeAccountDto } from './landscape.dto.js';

export function toLandscapeAccount({ account, administrators, lastLoginAt }: AccountSummary): LandscapeAccountDto {
  return {
    account: account.slug,
    creation_time: isoSeconds(account.createdAt),
    administrators: administrators.map((admin) => ({
      name: `${admin.firstName} ${admin.lastName}`.trim(),
      email: admin.email,
      openid: admin.openid,
    })),
    disabled: account.status === 'disabled',
    disabled_reason: account.disabledReason,
    computers: 0,
    company: account.name,
    last_login_time: lastLoginAt && isoSeconds(lastLoginAt),
    licenses: [],
    salesforce_account_key: null,
    enabled_features: [],
    subdomain: null,
  };
}
