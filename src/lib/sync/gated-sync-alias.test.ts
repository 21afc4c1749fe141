// The providers must read peers' messages through the gated copy of y-protocols/sync.
import { describe, expect, it } from 'vitest';
import * as upstreamName from 'y-protocols/sync';
import * as gated from './gated-sync-protocol';

describe('y-protocols/sync alias', () => {
  it('resolves y-protocols/sync to the gated module in tests, as in the build', () => {
    expect(upstreamName.readSyncMessage).toBe(gated.readSyncMessage);
    expect((upstreamName as Record<string, unknown>).messageUnreadable).toBe(-1);
  });
});
