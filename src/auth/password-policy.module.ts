import { Global, Module } from '@nestjs/common';
import { PasswordPolicy } from './password-policy.js';

/** The password policy, open to every module that takes a new password. */
@Global()
@Module({ providers: [PasswordPolicy], exports: [PasswordPolicy] })
export class PasswordPolicyModule {}
