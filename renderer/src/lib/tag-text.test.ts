import { describe, expect, it } from 'vitest';
import { applyTags, parseTags } from './tag-text';

describe('tags as typed in the tag box', () => {
  it('splits on commas, trims and folds spaces, and keeps each tag once regardless of case', () => {
    expect(parseTags(' blurry,  needs   crop ,, Blurry,watermark ')).toEqual(['blurry', 'needs crop', 'watermark']);
    expect(parseTags(' , ')).toEqual([]);
  });

  it("gives an image's tags after a change, comparing names regardless of case, sorted like the library", () => {
    expect(applyTags(['blurry', 'Studio'], ['watermark', 'BLURRY'], ['studio'])).toEqual(['blurry', 'watermark']);
    expect(applyTags([], ['b', 'A'], [])).toEqual(['A', 'b']);
    expect(applyTags(['a'], [], ['x'])).toEqual(['a']);
  });
});
