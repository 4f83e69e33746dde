import { Injectable } from '@nestjs/common';

/**
 * The service's notion of now. Expiry of tokens, invitations and lockouts is computed from it,
 * so tests move it instead of sleeping; outside the test environment it cannot be moved.
 */
@Injectable()
export class Clock {
  private offsetMs = 0;

  constructor(private readonly movable = false) {}

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Seconds since the epoch, as JWTs count. */
  nowSeconds(): number {
    return Math.floor((Date.now() + this.offsetMs) / 1000);
  }

  /** Moves the clock forward (test environment only). */
  advance(ms: number): void {
    if (!this.movable) throw new Error('The clock can only be moved in the test environment');
    this.offsetMs += ms;
  }
}
