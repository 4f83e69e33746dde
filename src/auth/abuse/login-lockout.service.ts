import { Inject, Injectable, Logger } from '@nestjs/common';
import { MetricsService } from '../../metrics/metrics.service.js';
import type { Redis } from 'ioredis';
import { Clock } from '../../common/clock/clock.js';
import { REDIS } from '../../common/redis/redis.module.js';

export const MAX_FAILURES = 10;
const FIRST_LOCK_MS = 60_000;
const MAX_LOCK_MS = 15 * 60_000;
/** How long failures and past lockouts are remembered. */
const MEMORY_MS = 24 * 3600_000;

interface LockoutState {
  failures: number;
  /** Lockouts so far: the next one lasts 60 s × 2^locks, at most 15 minutes. */
  locks: number;
  lockedUntil: number;
}

/**
 * Brute-force protection per normalised email, whether or not it has a user (as Keycloak's):
 * after 10 failures further attempts are refused for 60 s, then 120 s, … up to 15 minutes.
 * Attempts during a lockout neither count nor extend it. Times come from the service clock;
 * the state lives in Redis when configured (shared by every instance), else in memory.
 */
@Injectable()
export class LoginLockoutService {
  private readonly memory = new Map<string, { state: LockoutState; expiresAt: number }>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  private readonly logger = new Logger('Security');

  /** Whether logins for this email are refused right now. */
  async isLocked(email: string): Promise<boolean> {
    return (await this.read(email)).lockedUntil > this.clock.now().getTime();
  }

  /** Counts a failed attempt (outside a lockout); the tenth starts one. */
  async recordFailure(email: string): Promise<void> {
    const now = this.clock.now().getTime();
    const state = await this.read(email);
    if (state.lockedUntil > now) return;
    state.failures += 1;
    if (state.failures >= MAX_FAILURES) {
      state.lockedUntil = now + Math.min(FIRST_LOCK_MS * 2 ** state.locks, MAX_LOCK_MS);
      state.locks += 1;
      state.failures = 0;
      this.metrics.lockouts.inc();
      this.logger.warn({ event: 'login.lockout', lockedForMs: state.lockedUntil - now });
    }
    await this.write(email, state);
  }

  /** A successful login forgets the failures. */
  async recordSuccess(email: string): Promise<void> {
    await this.clear(email);
  }

  /** A platform administrator lifts the lockout and forgets the history. */
  async clear(email: string): Promise<void> {
    const key = keyOf(email);
    this.memory.delete(key);
    await this.redis?.del(key);
  }

  private async read(email: string): Promise<LockoutState> {
    const key = keyOf(email);
    const empty: LockoutState = { failures: 0, locks: 0, lockedUntil: 0 };
    if (this.redis) {
      const raw = await this.redis.get(key);
      return raw ? { ...empty, ...(JSON.parse(raw) as LockoutState) } : empty;
    }
    const entry = this.memory.get(key);
    if (!entry || entry.expiresAt <= this.clock.now().getTime()) return empty;
    return { ...entry.state };
  }

  private async write(email: string, state: LockoutState): Promise<void> {
    const key = keyOf(email);
    if (this.redis) {
      await this.redis.set(key, JSON.stringify(state), 'PX', MEMORY_MS);
      return;
    }
    this.memory.set(key, { state, expiresAt: this.clock.now().getTime() + MEMORY_MS });
    if (this.memory.size > 100_000) this.prune();
  }

  private prune(): void {
    const now = this.clock.now().getTime();
    for (const [key, entry] of this.memory) if (entry.expiresAt <= now) this.memory.delete(key);
  }
}

/** One key per email, however it is cased or padded. */
function keyOf(email: string): string {
  return `lockout:${email.trim().toLowerCase()}`;
}
