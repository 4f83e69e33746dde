import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** zxcvbn scores 0 to 4; 3 is "safely unguessable: moderate protection from offline slow-hash attacks". */
const MIN_SCORE = 3;

/** The ~49,000 most common passwords (zxcvbn's list, lower case), compared case-insensitively. */
const COMMON_PASSWORDS = new Set(common.dictionary['passwords-common'].map((word) => String(word).toLowerCase()));

/**
 * What a new password must be beyond its length (8 to 128, checked by the DTOs): never one of the
 * most common passwords, and, when `ENFORCE_PASSWORD_STRENGTH=true`, scored at least 3 of 4 by
 * the zxcvbn estimator, which also penalises the user's own email and names.
 */
@Injectable()
export class PasswordPolicy implements OnModuleInit {
  /** Built at start-up only when strength is enforced (the English dictionaries take about 20 MB). */
  private estimator?: ZxcvbnFactory;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.enforcePasswordStrength) return;
    const [{ ZxcvbnFactory }, english] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-en')]);
    this.estimator = new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...english.dictionary },
      graphs: common.adjacencyGraphs,
      translations: english.translations,
    });
  }

  /** Throws 400 `VALIDATION_FAILED` (field `password`) when the password is not acceptable. */
  assertAcceptable(password: string, userInputs: string[]): void {
    if (COMMON_PASSWORDS.has(password.toLowerCase())) throw refused('is too common');
    if (!this.config.enforcePasswordStrength) return;
    const result = this.estimator!.check(password, userInputs.filter(Boolean));
    if (result.score >= MIN_SCORE) return;
    const advice = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).join(' ');
    throw refused(`is too weak (strength ${result.score} of 4, at least ${MIN_SCORE} needed)${advice ? `: ${advice}` : ''}`);
  }
}

function refused(problem: string): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, `password: ${problem}`, [{ field: 'password', problem }]);
}
