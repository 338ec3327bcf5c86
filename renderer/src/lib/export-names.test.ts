import { describe, expect, it } from 'vitest';
import { scopedFileName } from './export-names';

describe('scopedFileName', () => {
  it('names the scope before the extension, and leaves the whole dataset plain', () => {
    expect(scopedFileName('sightline-photos-run1.csv', 'flagged')).toBe('sightline-photos-run1-flagged.csv');
    expect(scopedFileName('sightline-photos-run1.html', 'view')).toBe('sightline-photos-run1-view.html');
    expect(scopedFileName('sightline-photos-run1.paths.txt', 'flagged')).toBe('sightline-photos-run1-flagged.paths.txt');
    expect(scopedFileName('sightline-photos-run1.csv', 'all')).toBe('sightline-photos-run1.csv');
    expect(scopedFileName('report', 'view')).toBe('report-view');
  });
});
