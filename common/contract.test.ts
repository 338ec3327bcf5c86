import { describe, expect, it } from 'vitest';
import { parseInput } from './contract';

describe('contract input schemas', () => {
  it('accepts a valid review and rejects an unknown verdict or extra keys', () => {
    expect(parseInput('setReview', { imageId: 3, verdict: 'misattended', note: 'looks at the grass' })).toEqual({
      imageId: 3,
      verdict: 'misattended',
      note: 'looks at the grass',
    });
    expect(() => parseInput('setReview', { imageId: 3, verdict: 'evil', note: '' })).toThrow(/Invalid input for setReview/);
    expect(() => parseInput('listImages', { datasetId: 1, extra: true })).toThrow(/extra/);
    expect(() => parseInput('getImage', { imageId: -1 })).toThrow(/imageId/);
  });
});
