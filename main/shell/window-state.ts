// Remembers the window's bounds and puts them back only where a display still shows them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_BOUNDS = { width: 1280, height: 820 };

/** Keeps saved bounds when at least 100×60 px of the title area lies on some display's work area. */
export function clampToDisplays(saved: Bounds | null, workAreas: Bounds[]): Partial<Bounds> {
  if (!saved) return { ...DEFAULT_BOUNDS };
  const visible = workAreas.some((area) => {
    const overlapX = Math.min(saved.x + saved.width, area.x + area.width) - Math.max(saved.x, area.x);
    const overlapY = Math.min(saved.y + 60, area.y + area.height) - Math.max(saved.y, area.y);
    return overlapX >= 100 && overlapY >= 30;
  });
  return visible ? saved : { width: saved.width, height: saved.height };
}

export function loadBounds(dataDir: string): Bounds | null {
  try {
    const value = JSON.parse(readFileSync(join(dataDir, 'window.json'), 'utf8')) as Bounds;
    return [value.x, value.y, value.width, value.height].every(Number.isFinite) ? value : null;
  } catch {
    return null;
  }
}

export function saveBounds(dataDir: string, bounds: Bounds): void {
  writeFileSync(join(dataDir, 'window.json'), JSON.stringify(bounds));
}
