import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Single-use mailed tokens (password reset, email verification) and stored idempotent answers. */
export class AddUserTokensAndIdempotencyKeys1764060000000 implements MigrationInterface {
  name = 'AddUserTokensAndIdempotencyKeys1764060000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "user_tokens" ("id" SERIAL NOT NULL, "user_id" integer NOT NULL, "purpose" character varying(32) NOT NULL, "token_hash" character(64) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_user_tokens_token_hash" UNIQUE ("token_hash"), CONSTRAINT "ck_user_tokens_purpose" CHECK ("purpose" IN ('password_reset', 'email_verification')), CONSTRAINT "pk_user_tokens" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "ix_user_tokens_user" ON "user_tokens" ("user_id")`);
    await q.query(`ALTER TABLE "user_tokens" ADD CONSTRAINT "fk_user_tokens_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`CREATE TABLE "idempotency_keys" ("scope" character varying(64) NOT NULL, "key" character varying(255) NOT NULL, "request_hash" character(64) NOT NULL, "response_status" integer, "response_body" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_idempotency_keys" PRIMARY KEY ("scope", "key"))`);
    await q.query(`CREATE INDEX "ix_idempotency_keys_expires" ON "idempotency_keys" ("expires_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "ix_idempotency_keys_expires"`);
    await q.query(`DROP TABLE "idempotency_keys"`);
    await q.query(`ALTER TABLE "user_tokens" DROP CONSTRAINT "fk_user_tokens_user"`);
    await q.query(`DROP INDEX "ix_user_tokens_user"`);
    await q.query(`DROP TABLE "user_tokens"`);
  }
}
