import { describe, expect, it } from 'vitest';
import { CALL_NAMES, callsOver, type CallName } from './calls';

describe('callsOver', () => {
  it('gives one function per call name, each sending its name and input ({} when none) over the transport', async () => {
    const sent: [CallName, unknown][] = [];
    const calls = callsOver(async (call, input) => {
      sent.push([call, input]);
      return { answered: call };
    });
    expect(Object.keys(calls).sort()).toEqual([...CALL_NAMES].sort());
    expect(await calls.getImage({ imageId: 3 })).toEqual({ answered: 'getImage' });
    await calls.listDatasets(undefined as never);
    expect(sent).toEqual([['getImage', { imageId: 3 }], ['listDatasets', {}]]);
  });
});
