/** Flags → TrainConfig: what a researcher types must land in config.json, and a typo must be refused plainly. */
import { describe, expect, it } from 'vitest';
import { FACEAPI_FACE_BOX, WHOLE_IMAGE, mergeConfig, validateConfig } from '@feenet/feenet';
import { parseFlags, UsageError } from '../src/cli-args';
import { buildTrainConfig } from '../src/run-config';

const configOf = (...argv: string[]) => buildTrainConfig(parseFlags(argv).flags);

describe('--faceapi-region', () => {
  it('defaults to face-api\'s box in an aligned crop; "whole", "aligned" and four fractions are accepted', () => {
    expect(configOf().faceApiRegion).toEqual(FACEAPI_FACE_BOX);
    expect(configOf('--faceapi-region', 'whole').faceApiRegion).toEqual(WHOLE_IMAGE);
    expect(configOf('--faceapi-region', 'aligned').faceApiRegion).toEqual(FACEAPI_FACE_BOX);
    expect(configOf('--faceapi-region', '0.125,0.125,0.875,0.875').faceApiRegion).toEqual([0.125, 0.125, 0.875, 0.875]);
  });

  it('refuses regions that are not four ordered fractions inside the image', () => {
    for (const bad of ['face', '0,0,1', '0.5,0,0.4,1', '0,0,1.2,1', '0,,1,1']) {
      expect(() => configOf('--faceapi-region', bad), bad).toThrow(UsageError);
    }
    expect(() => validateConfig(mergeConfig({ faceApiRegion: [0, 0.6, 1, 0.5] }))).toThrow(/faceApiRegion/);
  });
});
