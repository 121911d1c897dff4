import { BACKBONES, buildFeenet, describeModel, faceApiFeatureDim } from '@feenet/feenet';
import { selectBackend, describeBackend } from '@feenet/tfjs-runtime';
import { parseFlags } from '../cli-args';
import { buildTrainConfig } from '../run-config';

export async function run(argv: string[]): Promise<void> {
  const { flags } = parseFlags(argv);
  const config = buildTrainConfig(flags);
  console.log(describeBackend(await selectBackend()));
  const model =
    config.backbone === 'efficientnet-b0'
      ? buildFeenet({ backbone: 'efficientnet-b0', inputSize: config.inputSize })
      : buildFeenet({ backbone: 'faceapi', featureDim: faceApiFeatureDim(), featureMean: new Array(faceApiFeatureDim()).fill(0), featureVariance: new Array(faceApiFeatureDim()).fill(1) });
  console.log(`backbone ${config.backbone}: ${BACKBONES[config.backbone].description}`);
  if (config.backbone === 'faceapi') console.log('(the frozen extractors run outside this model; it consumes their features)');
  console.log(describeModel(model));
}
