import type { FieldMap } from '../common/query/odata-to-sql.js';
import { ACCOUNT_STATUSES, ACCOUNT_TYPES } from './account.entity.js';
import type { AccountDto } from './dto/account.dto.js';

/** The account fields a list may filter and sort on, and the column behind each. */
export const ACCOUNT_FIELDS: FieldMap = {
  id: { column: 'a.id', type: 'integer' },
  name: { column: 'a.name', type: 'string' },
  description: { column: 'a.description', type: 'string' },
  status: { column: 'a.status', type: 'string', values: ACCOUNT_STATUSES },
  type: { column: 'a.type', type: 'string', values: ACCOUNT_TYPES },
  country: { column: 'a.country', type: 'string' },
  plan: { column: 'a.plan', type: 'string' },
  createdAt: { column: 'a.created_at', type: 'datetime' },
  updatedAt: { column: 'a.updated_at', type: 'datetime' },
};

/** The columns of an account row, for hand-written queries on alias `a`. */
export const ACCOUNT_COLUMNS = `a.id, a.slug, a.name, a.description, a.primary_contact, a.type, a.status, a.disabled_reason,
  a.country, a.plan, a.metadata, a.settings, a.created_at, a.updated_at`;

export interface AccountRow {
  id: number;
  slug: string;
  name: string;
  description: string | null;
  primary_contact: string | null;
  type: AccountDto['type'];
  status: AccountDto['status'];
  disabled_reason: string | null;
  country: string | null;
  plan: string | null;
  metadata: Record<string, unknown>;
  settings: AccountDto['settings'];
  created_at: Date;
  updated_at: Date;
}

export function toAccountDto(row: AccountRow): AccountDto {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    primaryContact: row.primary_contact,
    type: row.type,
    status: row.status,
    disabledReason: row.disabled_reason,
    country: row.country,
    plan: row.plan,
    metadata: row.metadata,
    settings: row.settings,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
