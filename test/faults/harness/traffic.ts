import { randomBytes } from 'node:crypto';
import type { Reply } from './http.js';
import { PASSWORD, type ServiceProcess } from './service.js';
import { sleep } from './wait.js';

export type CreationKind = 'signup' | 'createAccount';

/** One multi-row creation sent to the service, and what the client saw of it. */
export interface Creation {
  kind: CreationKind;
  /** Lower case, as stored. */
  email: string;
  accountName: string;
  sentAt: number;
  /** Undefined while the request is in flight. */
  reply?: Reply;
}

export const is2xx = (reply: Reply | undefined): boolean => reply !== undefined && reply.status >= 200 && reply.status < 300;

/**
 * The client side of the fault tests: `POST /api/accounts/signup` (user, account, owner membership,
 * verification token and mail in one transaction) and the Portal's
 * `POST /api/portal/v1/admin/createAccount` (user, account, owner membership and a `Default` API
 * token), each with a unique email and account name, every answer recorded.
 */
export class Traffic {
  readonly creations: Creation[] = [];
  readonly reads: Reply[] = [];
  private sequence = 0;

  constructor(
    private readonly service: ServiceProcess,
    private readonly adminToken: string,
    private readonly label: string,
  ) {}

  async create(kind: CreationKind): Promise<Creation> {
    const tag = `${this.label}-${kind === 'signup' ? 's' : 'p'}${++this.sequence}-${randomBytes(3).toString('hex')}`;
    const creation: Creation = { kind, email: `${tag}@faults.example.com`, accountName: `Fault ${tag}`, sentAt: performance.now() };
    this.creations.push(creation);
    creation.reply =
      kind === 'signup'
        ? await this.service.post('/api/accounts/signup', {
            email: creation.email,
            password: PASSWORD,
            firstName: 'Fault',
            lastName: 'Test',
            accountName: creation.accountName,
          })
        : await this.service.post(
            '/api/portal/v1/admin/createAccount',
            { name: creation.accountName, username: creation.email, password: PASSWORD },
            this.adminToken,
          );
    return creation;
  }

  /** `count` creations at once, signups and createAccounts alternating. */
  burst(count: number): Promise<Creation[]> {
    return Promise.all(Array.from({ length: count }, (_, i) => this.create(i % 2 === 0 ? 'signup' : 'createAccount')));
  }

  /**
   * Load until stopped: `writers` loops of creations (half signups, half createAccounts) and one
   * loop of authenticated reads. A loop pauses 50 ms after a failure rather than spinning.
   */
  run(writers: number): { stop: () => Promise<void> } {
    let stopped = false;
    const loops = Array.from({ length: writers }, async (_, i) => {
      while (!stopped) {
        const creation = await this.create(i % 2 === 0 ? 'signup' : 'createAccount');
        if (!is2xx(creation.reply)) await sleep(50);
      }
    });
    loops.push(
      (async () => {
        while (!stopped) {
          const reply = await this.service.get('/api/accounts?$top=5', this.adminToken);
          this.reads.push(reply);
          await sleep(is2xx(reply) ? 10 : 50);
        }
      })(),
    );
    return {
      stop: async () => {
        stopped = true;
        await Promise.all(loops);
      },
    };
  }

  /** Creations answered 2xx, optionally only those sent after `since` (a `performance.now()`). */
  succeeded(since = 0): number {
    return this.creations.filter((creation) => creation.sentAt >= since && is2xx(creation.reply)).length;
  }

  get answered(): number {
    return this.creations.filter((creation) => creation.reply !== undefined).length;
  }
}
