import { BACKBONES, backboneOf, buildFeenet, describeModel, modelSpecOf } from '@feenet/feenet';
import { selectBackend, describeBackend } from '@feenet/tfjs-runtime';
import { parseFlags } from '../cli-args';
import { buildTrainConfig, TRAIN_FLAG_KINDS } from '../run-config';

export async function run(argv: string[]): Promise<void> {
  const { flags } = parseFlags(argv, TRAIN_FLAG_KINDS);
  const config = buildTrainConfig(flags);
  console.log(describeBackend(await selectBackend()));
  const model = buildFeenet(modelSpecOf(config.backbone, config));
  console.log(`backbone ${config.backbone}: ${BACKBONES[config.backbone].description}`);
  if (backboneOf(config.backbone).input === 'features') console.log('(the pretrained extractors run outside this model; it consumes their features)');
  console.log(describeModel(model));
}
