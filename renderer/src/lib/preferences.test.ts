import { describe, expect, it } from 'vitest';
import { loadPreferences, savePreferences } from './preferences';

/** A Storage holding one entry in memory. */
function memory(initial: string | null): Storage & { saved: string | null } {
  const store = {
    saved: initial,
    getItem: () => store.saved,
    setItem: (_key: string, value: string) => void (store.saved = value),
  };
  return store as unknown as Storage & { saved: string | null };
}

describe('preferences', () => {
  it('keep the run chosen per dataset across a save and a load', () => {
    const storage = memory(null);
    const prefs = { ...loadPreferences(storage), datasetId: 2, runs: { 2: 5, 7: 9 } };
    savePreferences(prefs, storage);
    expect(loadPreferences(storage).runs).toEqual({ 2: 5, 7: 9 });
  });

  it('drop the chosen runs they cannot read: no runs saved, a damaged entry, ids that are not ids', () => {
    expect(loadPreferences(memory('{}')).runs).toEqual({});
    expect(loadPreferences(memory('{"runs": [3]}')).runs).toEqual({});
    expect(loadPreferences(memory('{"runs": {"1": 4, "x": 5, "2": "6", "3": -1, "4": 1.5}}')).runs).toEqual({ 1: 4 });
    expect(loadPreferences(memory('not json')).runs).toEqual({});
  });
});
