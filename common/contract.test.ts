import { describe, expect, it } from 'vitest';
import { parseInput } from './contract';
import { UserError } from './errors';

describe('contract input schemas', () => {
  it('accepts a valid review and rejects an unknown verdict or extra keys', () => {
    expect(parseInput('setReview', { imageId: 3, verdict: 'misattended', note: 'looks at the grass' })).toEqual({
      imageId: 3,
      verdict: 'misattended',
      note: 'looks at the grass',
    });
    expect(() => parseInput('setReview', { imageId: 3, verdict: 'evil', note: '' })).toThrow(/Invalid input for setReview/);
    expect(() => parseInput('listImages', { datasetId: 1, extra: true })).toThrow(/extra/);
    expect(() => parseInput('getImage', { imageId: -1 })).toThrow(/imageId/);
  });

  it('checks the CAM method against the one list in every call that takes one', () => {
    expect(parseInput('explainImage', { imageId: 1, classIndex: 0, method: 'EigenCAM' })).toMatchObject({ method: 'EigenCAM' });
    for (const [call, input] of [
      ['explainImage', { imageId: 1, classIndex: 0, method: 'GuidedBackprop' }],
      ['startRun', { datasetId: 1, method: 'GuidedBackprop' }],
    ] as const) {
      expect(() => parseInput(call, input)).toThrow(/^Invalid input for \w+: method: .*"GradCAM"\|"HiResCAM"/);
    }
  });

  it('lists the first few problems, each clipped, so a large bad request never gets a larger answer', () => {
    const changes = Array.from({ length: 20_000 }, () => ({ imageId: 'x'.repeat(10), verdict: 'y'.repeat(10) }));
    const request = JSON.stringify({ changes });
    let error: unknown;
    try {
      parseInput('setVerdicts', { changes });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).status).toBe(400);
    const { message } = error as Error;
    expect(request.length).toBeGreaterThan(300_000);
    expect(message.length).toBeLessThan(1_500);
    expect(message).toMatch(/^Invalid input for setVerdicts: changes\.0\.imageId: .+ \(and 39995 more\)$/);
    expect(() => parseInput('browse', { path: 'z'.repeat(100_000) })).toThrow(/^Invalid input for browse: path: .{1,200}$/);
  });
});
