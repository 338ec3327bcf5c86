import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classEntries, displayName, LabelMatcher, type ImagenetClass } from './labels';

const imagenet = JSON.parse(
  readFileSync(new URL('../../../resources/labels/imagenet_classes.json', import.meta.url), 'utf8'),
) as ImagenetClass[];
const modelLabels = (
  JSON.parse(readFileSync(new URL('../../../resources/models/mobilenet_v1_0.75_224/metadata.json', import.meta.url), 'utf8')) as {
    labels: string[];
  }
).labels;
const matcher = new LabelMatcher(classEntries(modelLabels, imagenet));

describe('ground truth from folder names', () => {
  it('matches an index prefix', () => {
    expect(matcher.match('235_german_shepherd')).toEqual({ trueLabel: 'German shepherd', trueIndex: 235 });
    expect(matcher.match('001_goldfish')).toEqual({ trueLabel: 'goldfish', trueIndex: 1 });
    expect(matcher.match('0')).toEqual({ trueLabel: 'tench', trueIndex: 0 });
  });

  it('matches a WordNet id, alone or as a prefix', () => {
    expect(matcher.match('n02106662')).toEqual({ trueLabel: 'German shepherd', trueIndex: 235 });
    expect(matcher.match('N02123045_tabby')).toEqual({ trueLabel: 'tabby', trueIndex: 281 });
  });

  it('matches names ignoring case, spaces, underscores and hyphens, display names before synonyms', () => {
    for (const folder of ['German shepherd', 'german_shepherd', 'GERMAN-SHEPHERD', 'germanshepherd', 'alsatian']) {
      expect(matcher.match(folder)).toEqual({ trueLabel: 'German shepherd', trueIndex: 235 });
    }
    expect(matcher.match('ice bear').trueIndex).toBe(296);
    expect(matcher.match('polar_bear').trueIndex).toBe(296);
    expect(matcher.match('crane').trueIndex).toBe(134);
    expect(matcher.match('giant-panda').trueIndex).toBe(388);
    // A synonym of both pandas: the giant panda's first synonym beats the lesser panda's second.
    expect(matcher.match('Panda').trueIndex).toBe(388);
  });

  it('keeps anything else as free text without an index', () => {
    expect(matcher.match('holiday photos')).toEqual({ trueLabel: 'holiday photos', trueIndex: null });
    expect(matcher.match('5000_things')).toEqual({ trueLabel: '5000_things', trueIndex: null });
    expect(matcher.match('n99999999')).toEqual({ trueLabel: 'n99999999', trueIndex: null });
  });

  it('reads the first-level folder of a relative path, and nothing for files at the root', () => {
    expect(matcher.forFile('281_tabby/sub/cat.jpg')).toEqual({ trueLabel: 'tabby', trueIndex: 281 });
    expect(matcher.forFile('cat.jpg')).toEqual({ trueLabel: null, trueIndex: null });
  });

  it('borrows WordNet ids only where the class at that index is the same class', () => {
    const custom = new LabelMatcher(classEntries(['cat', 'dog'], imagenet));
    expect(custom.match('n01440764')).toEqual({ trueLabel: 'n01440764', trueIndex: null });
    expect(custom.match('Dog')).toEqual({ trueLabel: 'dog', trueIndex: 1 });
    expect(displayName('tabby, tabby cat')).toBe('tabby');
  });
});
