import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook subscriptions per account, and their deliveries as outbox rows: a delivery names its
 * webhook (and goes with it) and keeps the HTTP status of its last answer.
 */
export class AddWebhooks1796174641666 implements MigrationInterface {
  name = 'AddWebhooks1796174641666';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "webhooks" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "account_id" integer NOT NULL, "url" character varying(2048) NOT NULL, "events" character varying(64) array NOT NULL, "description" character varying(255), "secret_sealed" text NOT NULL, "active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_webhooks" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "ix_webhooks_account" ON "webhooks" ("account_id")`);
    await q.query(`ALTER TABLE "webhooks" ADD CONSTRAINT "fk_webhooks_account" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "outbox" ADD "webhook_id" uuid`);
    await q.query(`ALTER TABLE "outbox" ADD "response_status" integer`);
    await q.query(`CREATE INDEX "ix_outbox_webhook" ON "outbox" ("webhook_id", "id") WHERE "webhook_id" IS NOT NULL`);
    await q.query(`ALTER TABLE "outbox" ADD CONSTRAINT "fk_outbox_webhook" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "outbox" DROP CONSTRAINT "fk_outbox_webhook"`);
    await q.query(`DROP INDEX "ix_outbox_webhook"`);
    await q.query(`ALTER TABLE "outbox" DROP COLUMN "response_status"`);
    await q.query(`ALTER TABLE "outbox" DROP COLUMN "webhook_id"`);
    await q.query(`ALTER TABLE "webhooks" DROP CONSTRAINT "fk_webhooks_account"`);
    await q.query(`DROP INDEX "ix_webhooks_account"`);
    await q.query(`DROP TABLE "webhooks"`);
  }
}
