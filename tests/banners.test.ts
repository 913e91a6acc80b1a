/** The page's message stack (src/app/store.ts): repeats counted, one standing request for files. */
import { describe, expect, it } from 'vitest';
import { stackBanner, type BannerMessage } from '../src/app/store';

describe('the banner stack', () => {
  it('counts a repeated message instead of stacking it', () => {
    let s: BannerMessage[] = [];
    s = stackBanner(s, { kind: 'error', text: 'x failed' });
    s = stackBanner(s, { kind: 'error', text: 'x failed' });
    expect(s.map((b) => [b.text, b.count])).toEqual([['x failed', 2]]);
  });

  it('restates a request for files in place: same id (the same picker element), not counted as a repeat', () => {
    let s: BannerMessage[] = [];
    s = stackBanner(s, { kind: 'info', text: 'Drop a.pt and b.pt', pick: true });
    const asked = s[0]!.id;
    s = stackBanner(s, { kind: 'info', text: 'b joined' });
    s = stackBanner(s, { kind: 'info', text: 'Drop a.pt', pick: true });
    s = stackBanner(s, { kind: 'info', text: 'Drop a.pt', pick: true });
    const picks = s.filter((b) => b.pick);
    expect(picks.map((b) => [b.text, b.id, b.count])).toEqual([['Drop a.pt', asked, 1]]);
    // The newest message is last; the note that came between keeps its own id.
    expect(s.map((b) => b.text)).toEqual(['b joined', 'Drop a.pt']);
    expect(s[0]!.id).not.toBe(asked);
  });
});
