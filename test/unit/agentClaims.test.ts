/** Claims on an agent shared between campaigns, without a server. */
import { claimAgent } from '../../src/workflows/agentClaims';

const call = (campaignId: string, n: number) => ({ callId: `${campaignId}.0.${n}`, campaignId });

describe('claimAgent', () => {
  it('grants a free agent and records the call holding them', () => {
    expect(claimAgent(null, call('A', 1))).toEqual({ holder: call('A', 1), reply: { granted: true } });
  });

  it('grants the holder again (a retry), and any call of the same campaign, which serialises its own', () => {
    expect(claimAgent(call('A', 1), call('A', 1)).reply).toEqual({ granted: true });
    expect(claimAgent(call('A', 1), call('A', 2))).toEqual({ holder: call('A', 2), reply: { granted: true } });
  });

  it("refuses another campaign's call and names the holder, changing nothing", () => {
    const holder = call('A', 1);
    const next = claimAgent(holder, call('B', 2));
    expect(next.reply).toEqual({ granted: false, holder });
    expect(next.holder).toBe(holder);
  });

  it('takes over from a holder the caller found off the call, but only from that holder', () => {
    expect(claimAgent(call('A', 1), { ...call('B', 1), replaces: 'A.0.1' })).toEqual({
      holder: call('B', 1),
      reply: { granted: true },
    });
    // Meanwhile A claimed again: the takeover names a holder that is gone, and is refused.
    expect(claimAgent(call('A', 2), { ...call('B', 1), replaces: 'A.0.1' }).reply).toEqual({
      granted: false,
      holder: call('A', 2),
    });
  });
});
