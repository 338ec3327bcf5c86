import { parse } from 'csv-parse/sync';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageRow } from '../../../common/types';
import { CSV_COLUMNS, csvFileName, imagesToCsv } from './csv';

function row(overrides: Partial<ImageRow>): ImageRow {
  return {
    id: 1,
    datasetId: 1,
    relPath: 'a.jpg',
    fileName: 'a.jpg',
    width: 10,
    height: 10,
    trueLabel: null,
    trueIndex: null,
    status: 'done',
    error: null,
    top: [],
    correct: null,
    heatmap: null,
    verdict: null,
    note: '',
    ...overrides,
  };
}

describe('imagesToCsv', () => {
  const rows = [
    row({
      relPath: '235_german_shepherd/dog, "good".jpg',
      trueLabel: 'German shepherd',
      trueIndex: 235,
      top: [
        { index: 235, label: 'German shepherd', prob: 0.91234567891 },
        { index: 236, label: 'Doberman', prob: 0.05 },
        { index: 248, label: 'Eskimo dog', prob: 0.01 },
      ],
      correct: true,
      verdict: 'misattended',
      note: '=HYPERLINK("http://evil.example","click")',
    }),
    row({ id: 2, relPath: 'broken.jpg', status: 'error', error: 'Not an image', note: 'line one\nline two, with comma' }),
    row({ id: 3, relPath: 'ünï/çödé.png', note: '+1 @mention -minus\ttab', duplicateOf: 1 }),
  ];
  const csv = imagesToCsv('/data/photos', rows);
  const records = parse(csv, { columns: true }) as Record<string, string>[];

  it('writes a header and one record per image that parse back', () => {
    expect(csv.split('\r\n')[0]).toBe(CSV_COLUMNS.join(','));
    expect(records).toHaveLength(3);
    expect(records[0]).toEqual({
      path: path.join('/data/photos', '235_german_shepherd/dog, "good".jpg'),
      relative_path: '235_german_shepherd/dog, "good".jpg',
      true_label: 'German shepherd',
      top1_label: 'German shepherd',
      top1_prob: '0.912346',
      top2_label: 'Doberman',
      top2_prob: '0.05',
      top3_label: 'Eskimo dog',
      top3_prob: '0.01',
      correct: 'true',
      verdict: 'misattended',
      note: `'=HYPERLINK("http://evil.example","click")`,
      status: 'done',
      error: '',
      duplicate_of: '',
    });
    expect(records[1]).toMatchObject({ status: 'error', error: 'Not an image', note: 'line one\nline two, with comma', top1_label: '', correct: '' });
    expect(records[2]).toMatchObject({ relative_path: 'ünï/çödé.png', duplicate_of: '235_german_shepherd/dog, "good".jpg' });
  });

  it('neutralises every cell that a spreadsheet would run as a formula', () => {
    expect(records[2].note).toBe("'+1 @mention -minus\ttab");
    const risky = imagesToCsv('/r', [row({ note: '@SUM(A1)' }), row({ note: '-2+3' }), row({ note: '\t=1' }), row({ note: '\r=1' })]);
    const notes = (parse(risky, { columns: true }) as Record<string, string>[]).map((r) => r.note);
    expect(notes).toEqual(["'@SUM(A1)", "'-2+3", "'\t=1", "'\r=1"]);
  });

  it('names the file after the dataset without path separators', () => {
    expect(csvFileName('zoo photos/../x', 4)).toBe('sightline-zoo_photos_.._x-run4.csv');
    expect(csvFileName('...', null)).toBe('sightline-dataset.csv');
  });
});
