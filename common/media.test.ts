import { expect, it } from 'vitest';
import { isMediaKind, mediaId } from './media';

it('names media by a known kind and a positive whole id, never anything else', () => {
  expect(['thumb', 'image', 'file', '../thumb', ''].filter(isMediaKind)).toEqual(['thumb', 'image']);
  expect(['42', '1', '9007199254740991'].map(mediaId)).toEqual([42, 1, Number.MAX_SAFE_INTEGER]);
  // 16 digits beyond the safe integers, 17 digits, and everything that is not plain digits.
  const refused = ['9999999999999999', '99999999999999999', '0', '-1', '01', '1.5', '1e3', ' 1', '', '../1'];
  expect(refused.map(mediaId)).toEqual(refused.map(() => null));
});
