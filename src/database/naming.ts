import { DefaultNamingStrategy, type NamingStrategyInterface } from 'typeorm';

/** Tables and columns in snake_case: `firstName` is stored as `first_name`. */
export class SnakeNamingStrategy extends DefaultNamingStrategy implements NamingStrategyInterface {
  override columnName(propertyName: string, customName: string | undefined, prefixes: string[]): string {
    return snake(prefixes.concat(customName ?? propertyName).join('_'));
  }

  override relationName(propertyName: string): string {
    return snake(propertyName);
  }

  override joinColumnName(relationName: string, referencedColumnName: string): string {
    return snake(`${relationName}_${referencedColumnName}`);
  }
}

function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * The names of the constraints that carry a meaning for the API. A unique violation is mapped
 * to its error code by these names (see `common/errors/unique-violation.ts`).
 */
export const Constraint = {
  usersEmail: 'uq_users_email_ci',
  accountsName: 'uq_accounts_name_ci',
  accountsSlug: 'uq_accounts_slug',
  membershipsAccountUser: 'uq_memberships_account_user',
  invitationsPendingEmail: 'uq_invitations_pending_email',
  invitationsTokenHash: 'uq_invitations_token_hash',
  sessionsRefreshTokenHash: 'uq_sessions_refresh_token_hash',
  apiTokensSecretHash: 'uq_api_tokens_secret_hash',
} as const;
