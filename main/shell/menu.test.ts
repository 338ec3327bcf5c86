import { describe, expect, it } from 'vitest';
import type { MenuCommand } from '../../common/contract';
import type { DatasetSummary } from '../../common/types';
import { gpuProblem, menuTemplate, taskbarProgress } from './menu';
import { clampToDisplays } from './window-state';

const dataset = (id: number, name: string): DatasetSummary => ({
  id,
  name,
  rootPath: `/photos/${name}`,
  createdAt: '2026-11-29T00:00:00Z',
  imageCount: 3,
  doneCount: 3,
  errorCount: 0,
  runId: 1,
  labelSource: 'auto',
  labelLevels: [],
});

type Item = { label?: string; role?: string; click?: () => void; submenu?: Item[]; enabled?: boolean };

function find(items: Item[], label: string): Item {
  for (const item of items) {
    if (item.label === label) return item;
    const inner = item.submenu ? find(item.submenu, label) : undefined;
    if (inner?.label === label) return inner;
  }
  return {};
}

describe('native menu', () => {
  it('has File > Import Folder…, Open Recent with the datasets, Export CSV…, and sends UI commands', () => {
    const sent: MenuCommand[] = [];
    const opened: number[] = [];
    let imports = 0;
    const template = menuTemplate([dataset(1, 'pets'), dataset(2, 'birds')], {
      importFolder: () => imports++,
      openDataset: (d) => opened.push(d.id),
      send: (c) => sent.push(c),
      openExternal: () => undefined,
    }, false) as Item[];
    find(template, 'Import Folder…').click?.();
    find(template, 'Export CSV…').click?.();
    find(template, 'Toggle Heatmap Overlay').click?.();
    const recent = find(template, 'Open Recent').submenu ?? [];
    expect(recent.map((r) => r.label)).toEqual(['pets — /photos/pets', 'birds — /photos/birds']);
    recent[1].click?.();
    expect(imports).toBe(1);
    expect(opened).toEqual([2]);
    expect(sent).toEqual([{ kind: 'exportCsv' }, { kind: 'toggleOverlay' }]);
    expect(template.some((item) => item.role === 'appMenu')).toBe(false);
  });

  it('offers System / Light / Dark themes as radio items and applies the choice', () => {
    const chosen: string[] = [];
    const template = menuTemplate([], {
      importFolder() {},
      openDataset() {},
      send() {},
      openExternal() {},
      theme: { current: 'dark', set: (t) => chosen.push(t) },
    }, false) as (Item & { checked?: boolean })[];
    const themes = (find(template, 'Theme').submenu ?? []) as (Item & { checked?: boolean })[];
    expect(themes.map((t) => [t.label, t.checked])).toEqual([
      ['Follow the System', false],
      ['Light', false],
      ['Dark', true],
    ]);
    themes[1].click?.();
    expect(chosen).toEqual(['light']);
  });

  it('says so when there is nothing recent', () => {
    const template = menuTemplate([], { importFolder() {}, openDataset() {}, send() {}, openExternal() {} }, true) as Item[];
    expect(find(template, 'Open Recent').submenu).toEqual([{ label: 'No recent folders', enabled: false }]);
    expect(template[0].role).toBe('appMenu');
  });
});

describe('taskbar progress and GPU dialog', () => {
  it('maps job progress to the taskbar fraction', () => {
    expect(taskbarProgress({ state: 'running', done: 17, total: 34 })).toBe(0.5);
    expect(taskbarProgress({ state: 'running', done: 0, total: 0 })).toBe(2);
    expect(taskbarProgress({ state: 'done', done: 34, total: 34 })).toBe(-1);
  });

  it('warns only when the GPU package is installed but failed', () => {
    expect(gpuProblem([{ name: 'tensorflow-gpu', reason: '@tensorflow/tfjs-node-gpu is not installed (optional dependency)' }])).toBeNull();
    expect(gpuProblem([{ name: 'tensorflow-gpu', reason: 'libcudart.so.11.0: cannot open shared object file' }])).toMatch(/libcudart/);
    expect(gpuProblem([])).toBeNull();
  });
});

describe('window placement', () => {
  const display = { x: 0, y: 0, width: 1920, height: 1080 };
  it('keeps bounds on a display that exists and drops the position of a vanished one', () => {
    expect(clampToDisplays({ x: 100, y: 100, width: 1200, height: 800 }, [display])).toEqual({ x: 100, y: 100, width: 1200, height: 800 });
    expect(clampToDisplays({ x: 3000, y: 100, width: 1200, height: 800 }, [display])).toEqual({ width: 1200, height: 800 });
    expect(clampToDisplays(null, [display])).toEqual({ width: 1280, height: 820 });
  });
});
