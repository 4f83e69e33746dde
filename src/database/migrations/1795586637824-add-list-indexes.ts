import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the lists at a million rows. Accounts: a trigram index behind `contains`,
 * `startswith` and `endswith` on names (as typed and through `tolower`) and on descriptions; a
 * btree for every other filterable field, with the id after each equality field so a filtered page
 * in id order is read in order and stops after `$top`. Memberships: a member's accounts in account
 * order, and an account's members in membership order (the member list's default order, which
 * otherwise walks the ids of every membership). `pg_trgm` ships with PostgreSQL (contrib, trusted
 * since 13) and is loaded into the embedded database by `embedded-database.ts`.
 */
export class AddListIndexes1795586637824 implements MigrationInterface {
  name = 'AddListIndexes1795586637824';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`CREATE INDEX "ix_accounts_name" ON "accounts" ("name")`);
    await q.query(`CREATE INDEX "ix_accounts_name_trgm" ON "accounts" USING gin ("name" gin_trgm_ops)`);
    await q.query(`CREATE INDEX "ix_accounts_name_lower_trgm" ON "accounts" USING gin (lower("name") gin_trgm_ops)`);
    await q.query(`CREATE INDEX "ix_accounts_description_trgm" ON "accounts" USING gin ("description" gin_trgm_ops)`);
    await q.query(`CREATE INDEX "ix_accounts_status_id" ON "accounts" ("status", "id")`);
    await q.query(`CREATE INDEX "ix_accounts_type_id" ON "accounts" ("type", "id")`);
    await q.query(`CREATE INDEX "ix_accounts_country_id" ON "accounts" ("country", "id")`);
    await q.query(`CREATE INDEX "ix_accounts_plan_id" ON "accounts" ("plan", "id")`);
    await q.query(`CREATE INDEX "ix_accounts_updated_at" ON "accounts" ("updated_at")`);
    await q.query(`CREATE INDEX "ix_memberships_user_account" ON "memberships" ("user_id", "account_id") INCLUDE ("status")`);
    await q.query(`CREATE INDEX "ix_memberships_account_id" ON "memberships" ("account_id", "id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "ix_memberships_account_id"`);
    await q.query(`DROP INDEX "ix_memberships_user_account"`);
    await q.query(`DROP INDEX "ix_accounts_updated_at"`);
    await q.query(`DROP INDEX "ix_accounts_plan_id"`);
    await q.query(`DROP INDEX "ix_accounts_country_id"`);
    await q.query(`DROP INDEX "ix_accounts_type_id"`);
    await q.query(`DROP INDEX "ix_accounts_status_id"`);
    await q.query(`DROP INDEX "ix_accounts_description_trgm"`);
    await q.query(`DROP INDEX "ix_accounts_name_lower_trgm"`);
    await q.query(`DROP INDEX "ix_accounts_name_trgm"`);
    await q.query(`DROP INDEX "ix_accounts_name"`);
    // pg_trgm stays: other objects may have come to use it.
  }
}
