import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The whole domain model: users, accounts, memberships, invitations, sessions, API tokens, audit, outbox. */
export class InitialSchema1764050000000 implements MigrationInterface {
  name = 'InitialSchema1764050000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "accounts" ("id" SERIAL NOT NULL, "slug" character varying(32) NOT NULL, "name" character varying(255) NOT NULL, "description" character varying(2000), "primary_contact" character varying(254), "type" character varying(16) NOT NULL DEFAULT 'business', "status" character varying(16) NOT NULL DEFAULT 'active', "disabled_reason" character varying(255), "country" character(2), "plan" character varying(64), "metadata" jsonb NOT NULL DEFAULT '{}', "settings" jsonb NOT NULL DEFAULT '{"currency":"USD","timezone":"UTC","language":"en"}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_accounts_slug" UNIQUE ("slug"), CONSTRAINT "ck_accounts_type" CHECK ("type" IN ('individual', 'business')), CONSTRAINT "ck_accounts_status" CHECK ("status" IN ('active', 'disabled')), CONSTRAINT "pk_accounts" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "ix_accounts_created_at" ON "accounts" ("created_at")`);
    await q.query(`CREATE TABLE "audit_events" ("id" BIGSERIAL NOT NULL, "action" character varying(64) NOT NULL, "actor_user_id" integer, "actor_token_id" uuid, "account_id" integer, "target_type" character varying(32), "target_id" character varying(64), "data" jsonb, "ip" character varying(64), "request_id" character varying(128), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_audit_events" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "ix_audit_events_created" ON "audit_events" ("created_at")`);
    await q.query(`CREATE INDEX "ix_audit_events_account_created" ON "audit_events" ("account_id", "created_at")`);
    await q.query(`CREATE TABLE "users" ("id" SERIAL NOT NULL, "email" character varying(254) NOT NULL, "password_hash" text, "first_name" character varying(100) NOT NULL DEFAULT '', "last_name" character varying(100) NOT NULL DEFAULT '', "openid" character varying(255), "is_admin" boolean NOT NULL DEFAULT false, "status" character varying(16) NOT NULL DEFAULT 'active', "email_verified_at" TIMESTAMP WITH TIME ZONE, "last_login_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_users_status" CHECK ("status" IN ('active', 'invited', 'disabled')), CONSTRAINT "pk_users" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" integer NOT NULL, "family_id" uuid NOT NULL, "refresh_token_hash" character(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_reason" character varying(32), "user_agent" character varying(512), "ip" character varying(64), CONSTRAINT "uq_sessions_refresh_token_hash" UNIQUE ("refresh_token_hash"), CONSTRAINT "pk_sessions" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "ix_sessions_family" ON "sessions" ("family_id")`);
    await q.query(`CREATE INDEX "ix_sessions_user" ON "sessions" ("user_id")`);
    await q.query(`CREATE TABLE "invitations" ("id" SERIAL NOT NULL, "account_id" integer NOT NULL, "email" character varying(254) NOT NULL, "roles" text array NOT NULL, "user_id" integer NOT NULL, "invited_by_id" integer, "token_hash" character(64) NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'pending', "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "accepted_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "send_count" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_invitations_token_hash" UNIQUE ("token_hash"), CONSTRAINT "ck_invitations_roles" CHECK (cardinality("roles") > 0 AND "roles" <@ ARRAY['viewer','user','manage','admin','owner']::text[]), CONSTRAINT "ck_invitations_status" CHECK ("status" IN ('pending', 'accepted', 'expired', 'revoked')), CONSTRAINT "pk_invitations" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "memberships" ("id" SERIAL NOT NULL, "account_id" integer NOT NULL, "user_id" integer NOT NULL, "roles" text array NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'active', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_memberships_account_user" UNIQUE ("account_id", "user_id"), CONSTRAINT "ck_memberships_roles" CHECK (cardinality("roles") > 0 AND "roles" <@ ARRAY['viewer','user','manage','admin','owner']::text[]), CONSTRAINT "ck_memberships_status" CHECK ("status" IN ('active', 'invited', 'disabled')), CONSTRAINT "pk_memberships" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "ix_memberships_user" ON "memberships" ("user_id")`);
    await q.query(`CREATE TABLE "outbox" ("id" BIGSERIAL NOT NULL, "kind" character varying(16) NOT NULL, "payload" jsonb NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL, "locked_until" TIMESTAMP WITH TIME ZONE, "last_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "sent_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_outbox" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "ix_outbox_due" ON "outbox" ("next_attempt_at") WHERE "status" = 'pending'`);
    await q.query(`CREATE TABLE "api_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(100) NOT NULL, "user_id" integer NOT NULL, "account_id" integer, "secret_hash" character(64) NOT NULL, "secret_hint" character varying(8) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, "expires_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "restrictions" jsonb, CONSTRAINT "uq_api_tokens_secret_hash" UNIQUE ("secret_hash"), CONSTRAINT "pk_api_tokens" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "ix_api_tokens_account" ON "api_tokens" ("account_id")`);
    await q.query(`CREATE INDEX "ix_api_tokens_user" ON "api_tokens" ("user_id")`);
    await q.query(`ALTER TABLE "sessions" ADD CONSTRAINT "fk_sessions_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "invitations" ADD CONSTRAINT "fk_invitations_account" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "invitations" ADD CONSTRAINT "fk_invitations_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "invitations" ADD CONSTRAINT "fk_invitations_invited_by" FOREIGN KEY ("invited_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "memberships" ADD CONSTRAINT "fk_memberships_account" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "memberships" ADD CONSTRAINT "fk_memberships_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "api_tokens" ADD CONSTRAINT "fk_api_tokens_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "api_tokens" ADD CONSTRAINT "fk_api_tokens_account" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    // Case-insensitive uniqueness, and one pending invitation per account and email.
    await q.query(`CREATE UNIQUE INDEX "uq_users_email_ci" ON "users" (lower("email"))`);
    await q.query(`CREATE UNIQUE INDEX "uq_accounts_name_ci" ON "accounts" (lower("name"))`);
    await q.query(`CREATE UNIQUE INDEX "uq_invitations_pending_email" ON "invitations" ("account_id", lower("email")) WHERE "status" = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "uq_invitations_pending_email"`);
    await q.query(`DROP INDEX "uq_accounts_name_ci"`);
    await q.query(`DROP INDEX "uq_users_email_ci"`);
    await q.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "fk_api_tokens_account"`);
    await q.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "fk_api_tokens_user"`);
    await q.query(`ALTER TABLE "memberships" DROP CONSTRAINT "fk_memberships_user"`);
    await q.query(`ALTER TABLE "memberships" DROP CONSTRAINT "fk_memberships_account"`);
    await q.query(`ALTER TABLE "invitations" DROP CONSTRAINT "fk_invitations_invited_by"`);
    await q.query(`ALTER TABLE "invitations" DROP CONSTRAINT "fk_invitations_user"`);
    await q.query(`ALTER TABLE "invitations" DROP CONSTRAINT "fk_invitations_account"`);
    await q.query(`ALTER TABLE "sessions" DROP CONSTRAINT "fk_sessions_user"`);
    await q.query(`DROP INDEX "public"."ix_api_tokens_user"`);
    await q.query(`DROP INDEX "public"."ix_api_tokens_account"`);
    await q.query(`DROP TABLE "api_tokens"`);
    await q.query(`DROP INDEX "public"."ix_outbox_due"`);
    await q.query(`DROP TABLE "outbox"`);
    await q.query(`DROP INDEX "public"."ix_memberships_user"`);
    await q.query(`DROP TABLE "memberships"`);
    await q.query(`DROP TABLE "invitations"`);
    await q.query(`DROP INDEX "public"."ix_sessions_user"`);
    await q.query(`DROP INDEX "public"."ix_sessions_family"`);
    await q.query(`DROP TABLE "sessions"`);
    await q.query(`DROP TABLE "users"`);
    await q.query(`DROP INDEX "public"."ix_audit_events_account_created"`);
    await q.query(`DROP INDEX "public"."ix_audit_events_created"`);
    await q.query(`DROP TABLE "audit_events"`);
    await q.query(`DROP INDEX "public"."ix_accounts_created_at"`);
    await q.query(`DROP TABLE "accounts"`);
  }
}
