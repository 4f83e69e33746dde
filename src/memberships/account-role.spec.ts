import { describe, expect, it } from '@jest/globals';
import { isAccountRole, rankOf, roleRank } from './account-role.js';

describe('account roles', () => {
  it('rank viewer < user < manage < admin < owner', () => {
    expect(['viewer', 'user', 'manage', 'admin', 'owner'].map((r) => roleRank(r as never))).toEqual([0, 1, 2, 3, 4]);
  });

  it('give a set of roles the rank of its highest', () => {
    expect(rankOf(['viewer', 'admin', 'user'])).toBe(roleRank('admin'));
    expect(rankOf([])).toBe(-1);
  });

  it('recognise only the five roles', () => {
    expect(isAccountRole('manage')).toBe(true);
    expect(isAccountRole('Owner')).toBe(false);
    expect(isAccountRole('superuser')).toBe(false);
    expect(isAccountRole(3)).toBe(false);
  });
});
