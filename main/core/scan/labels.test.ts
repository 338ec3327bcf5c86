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

  it('takes the nearest folder that names a class, at any depth, and says which level it was', () => {
    expect(matcher.forFile('hard/339_sorrel/x.webp')).toEqual({ trueLabel: 'sorrel', trueIndex: 339, trueLevel: 2 });
    expect(matcher.forFile('val/n01440764/x.jpg')).toEqual({ trueLabel: 'tench', trueIndex: 0, trueLevel: 2 });
    expect(matcher.forFile('darknet/val/n02106662/a/b.jpg')).toEqual({ trueLabel: 'German shepherd', trueIndex: 235, trueLevel: 3 });
    expect(matcher.forFile('281_tabby/x.jpg')).toEqual({ trueLabel: 'tabby', trueIndex: 281, trueLevel: 1 });
    expect(matcher.forFile('shelter/tabby/x.jpg')).toEqual({ trueLabel: 'tabby', trueIndex: 281, trueLevel: 2 });
    // An index or WordNet id above beats a nearer everyday word that is an ImageNet synonym ("sub": submarine).
    expect(matcher.forFile('281_tabby/sub/cat.jpg')).toEqual({ trueLabel: 'tabby', trueIndex: 281, trueLevel: 1 });
    expect(matcher.forFile('sub/cat.jpg').trueIndex).toBe(833);
  });

  it('gives no ground truth where no folder names a class, for files at the root, and never from split folders', () => {
    const none = { trueLabel: null, trueIndex: null, trueLevel: null };
    for (const relPath of ['bad/x.jpg', 'darknet/hard/x.jpg', 'cat.jpg', 'train/x.jpg', 'dataset/val/x.jpg', 'TEST/Validation/x.jpg']) {
      expect(matcher.forFile(relPath), relPath).toEqual(none);
    }
    const custom = new LabelMatcher(classEntries(['cat', 'val', 'test'], imagenet));
    expect(custom.forFile('dataset/val/x.jpg')).toEqual(none);
    expect(custom.forFile('dataset/val/cat/x.jpg')).toEqual({ trueLabel: 'cat', trueIndex: 0, trueLevel: 3 });
  });

  it('reads a chosen folder level, or nothing, when the dataset says so', () => {
    const level1 = matcher.withSource({ level: 1 });
    expect(level1.forFile('hard/339_sorrel/x.webp')).toEqual({ trueLabel: 'hard', trueIndex: null, trueLevel: 1 });
    expect(level1.forFile('281_tabby/x.jpg')).toEqual({ trueLabel: 'tabby', trueIndex: 281, trueLevel: 1 });
    expect(level1.forFile('x.jpg')).toEqual({ trueLabel: null, trueIndex: null, trueLevel: null });
    expect(level1.forFile('val/281_tabby/x.jpg')).toEqual({ trueLabel: null, trueIndex: null, trueLevel: null });
    expect(matcher.withSource({ level: 2 }).forFile('hard/339_sorrel/x.webp')).toEqual({ trueLabel: 'sorrel', trueIndex: 339, trueLevel: 2 });
    expect(matcher.withSource({ level: 3 }).forFile('hard/339_sorrel/x.webp').trueLabel).toBeNull();
    expect(matcher.withSource('none').forFile('281_tabby/x.jpg')).toEqual({ trueLabel: null, trueIndex: null, trueLevel: null });
    expect(matcher.withSource('none').withSource('auto').forFile('281_tabby/x.jpg').trueIndex).toBe(281);
  });

  it('borrows WordNet ids only where the class at that index is the same class', () => {
    const custom = new LabelMatcher(classEntries(['cat', 'dog'], imagenet));
    expect(custom.match('n01440764')).toEqual({ trueLabel: 'n01440764', trueIndex: null });
    expect(custom.match('Dog')).toEqual({ trueLabel: 'dog', trueIndex: 1 });
    expect(displayName('tabby, tabby cat')).toBe('tabby');
  });
});
