// When a member's own invites keep their device in the lobby (where a short link's newcomer
// fetches the signed invite): only while one of them can still be used.
import { describe, expect, it } from 'vitest';
import type { InviteState } from '../domain/authority';
import { ownInvitesOpenUntil } from './mesh';

const NOW = 1_800_000_000_000;
let n = 0;

function invite(
  author: string,
  body: { expiresAt?: number | null; maxUses?: number | null },
  state: { uses?: number; revokedAt?: number | null } = {}
): [string, InviteState] {
  const id = `inv-${n++}`;
  const record = { id, author, kind: 'invite', body: { role: 'member', expiresAt: null, maxUses: null, ...body } } as unknown as InviteState['record'];
  return [id, { record, uses: state.uses ?? 0, revokedAt: state.revokedAt ?? null, needsAdmit: false, pending: [], admitted: new Set() }];
}

const until = (...entries: [string, InviteState][]) => ownInvitesOpenUntil({ invites: new Map(entries) }, 'bob', NOW);

describe('ownInvitesOpenUntil', () => {
  it('is the latest expiry among the member’s usable invites, and Infinity for one that never expires', () => {
    expect(until(invite('bob', { expiresAt: NOW + 1000 }), invite('bob', { expiresAt: NOW + 5000 }))).toBe(NOW + 5000);
    expect(until(invite('bob', { expiresAt: NOW + 1000 }), invite('bob', {}))).toBe(Infinity);
  });

  it('is 0 when the member’s invites are all revoked, used up or expired, or only others have open invites', () => {
    expect(until()).toBe(0);
    expect(until(invite('bob', {}, { revokedAt: NOW - 1 }))).toBe(0);
    expect(until(invite('bob', { maxUses: 2 }, { uses: 2 }))).toBe(0);
    expect(until(invite('bob', { expiresAt: NOW - 1 }))).toBe(0);
    expect(until(invite('alice', {}))).toBe(0);
  });

  it('counts an invite with seats left, and one whose revocation is dated in the future', () => {
    expect(until(invite('bob', { maxUses: 2 }, { uses: 1 }))).toBe(Infinity);
    expect(until(invite('bob', { expiresAt: NOW + 10 }, { revokedAt: NOW + 1 }))).toBe(NOW + 10);
  });
});
