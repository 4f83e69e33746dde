import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema.js';

export type { components, operations, paths } from './schema.js';

/**
 * A typed client for the accounts service, for internal microservices: paths, parameters, bodies
 * and answers are checked by TypeScript against the service's OpenAPI document.
 *
 * ```ts
 * const accounts = createAccountsClient({ baseUrl: 'http://accounts:3000', token: process.env.ACCOUNTS_TOKEN });
 * const { data, error } = await accounts.GET('/api/accounts/{id}', { params: { path: { id: '42' } } });
 * ```
 */
export function createAccountsClient(options: { baseUrl: string; token?: string; fetch?: typeof fetch }): Client<paths> {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: options.fetch,
    headers: options.token ? { authorization: `Bearer ${options.token}` } : undefined,
  });
}
