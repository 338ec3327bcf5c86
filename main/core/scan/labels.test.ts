import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classEntries, displayName, LabelMatcher, storedClassLabels, type ImagenetClass } from './labels';

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

  it('takes an index prefix only where the name after it, if any, is that class; else the name wins', () => {
    // A copy of a zoo model with its own labels.txt: the folders' numbers are ImageNet's (or a sort order), not its.
    const own = new LabelMatcher(classEntries(['cat', 'dog', 'bird', 'fish', 'car', 'goldfish', 'hen', 'baseball', 'volleyball', 'espresso'], imagenet));
    expect(own.forFile('001_goldfish/x.webp')).toEqual({ trueLabel: 'goldfish', trueIndex: 5, trueLevel: 1 });
    expect(own.forFile('429_baseball/x.webp')).toEqual({ trueLabel: 'baseball', trueIndex: 7, trueLevel: 1 });
    expect(own.forFile('890_volleyball/x.webp')).toEqual({ trueLabel: 'volleyball', trueIndex: 8, trueLevel: 1 });
    expect(own.forFile('967_espresso/x.png')).toEqual({ trueLabel: 'espresso', trueIndex: 9, trueLevel: 1 });
    expect(own.match('001')).toEqual({ trueLabel: 'dog', trueIndex: 1 });
    expect(own.match('1_dog')).toEqual({ trueLabel: 'dog', trueIndex: 1 });
    expect(own.match('06.Hen')).toEqual({ trueLabel: 'hen', trueIndex: 6 });
    // A number and a name that is no class: neither counts.
    expect(own.forFile('002_my_pets/x.jpg')).toEqual({ trueLabel: null, trueIndex: null, trueLevel: null });
    expect(own.match('235_german_shepherd')).toEqual({ trueLabel: '235_german_shepherd', trueIndex: null });
    // A folder whose number disagrees with its name is read by its name: a nearer plain name beats it, as any name.
    expect(own.forFile('1_goldfish/cat/x.jpg')).toEqual({ trueLabel: 'cat', trueIndex: 0, trueLevel: 2 });
    expect(own.forFile('1_dog/cat/x.jpg')).toEqual({ trueLabel: 'dog', trueIndex: 1, trueLevel: 1 });
    expect(own.withSource({ level: 1 }).forFile('001_goldfish/x.jpg')).toEqual({ trueLabel: 'goldfish', trueIndex: 5, trueLevel: 1 });
  });

  it('takes the number where the class has no name of its own ("class 8"), unless the name is another class', () => {
    const numbered = new LabelMatcher(classEntries(Array.from({ length: 10 }, (_, i) => `class ${i}`), imagenet));
    expect(numbered.match('008_hen')).toEqual({ trueLabel: 'class 8', trueIndex: 8 });
    expect(numbered.match('001_class_5')).toEqual({ trueLabel: 'class 5', trueIndex: 5 });
    expect(numbered.match('class_3')).toEqual({ trueLabel: 'class 3', trueIndex: 3 });
    expect(numbered.match('429_baseball')).toEqual({ trueLabel: '429_baseball', trueIndex: null });
  });

  it('reads every sample folder and ImageNet id with a name as before: the number and the name agree', () => {
    const samples = readdirSync(new URL('../../../resources/samples/', import.meta.url));
    expect(samples.length).toBeGreaterThan(30);
    for (const folder of samples) expect(matcher.match(folder).trueIndex, folder).toBe(Number(folder.split('_')[0]));
    // A class of two names: the number says which ("crane" alone is the bird).
    expect(matcher.match('517_crane').trueIndex).toBe(517);
    expect(matcher.match('134_crane').trueIndex).toBe(134);
    expect(matcher.match('235_alsatian').trueIndex).toBe(235);
    // A WordNet id whose name is another class: the name wins, as for a number.
    expect(matcher.match('n01440764_goldfish')).toEqual({ trueLabel: 'goldfish', trueIndex: 1 });
    expect(matcher.forFile('001_goldfish/sub/x.jpg')).toEqual({ trueLabel: 'goldfish', trueIndex: 1, trueLevel: 1 });
  });

  it("keeps a model's stored class names, with the synonyms of its labels where they still name the same class", () => {
    const stored = ['German shepherd', 'goldfish', 'bird'];
    const now = ['German shepherd, alsatian', 'bird', 'goldfish, Carassius auratus'];
    expect(storedClassLabels(stored, now)).toEqual(['German shepherd, alsatian', 'goldfish', 'bird']);
    const own = new LabelMatcher(classEntries(storedClassLabels(stored, now), imagenet));
    expect(own.match('alsatian').trueIndex).toBe(0);
    expect(own.match('goldfish').trueIndex).toBe(1);
  });

  it('borrows WordNet ids only where the class at that index is the same class', () => {
    const custom = new LabelMatcher(classEntries(['cat', 'dog'], imagenet));
    expect(custom.match('n01440764')).toEqual({ trueLabel: 'n01440764', trueIndex: null });
    expect(custom.match('Dog')).toEqual({ trueLabel: 'dog', trueIndex: 1 });
    expect(displayName('tabby, tabby cat')).toBe('tabby');
  });
});
