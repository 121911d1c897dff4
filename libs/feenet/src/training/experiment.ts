/**
 * The experiment folder a run writes, `experiments/<run-id>/`:
 *   config.json      the TrainConfig
 *   metrics.jsonl    one line per logged step and per evaluation
 *   summary.json     RunSummary, written when the run ends (its presence marks a finished run)
 *   model/           the trained model, tfjs layers format
 *   backbone/        a fine-tuned backbone's weights (faceapi fine-tune: the expression net), named tensors
 *   checkpoint/      model, optimizer slots and loop state: what --resume continues from
 *   test-gallery/    embeddings of the test faces (written by the trainer app)
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadLayersModel, loadNamedTensors, saveLayersModel, saveNamedTensors } from '../model/persistence';
import { ExpressionNet } from '../backbones/faceapi-expression-net';
import type { TripletType } from '@feenet/datasets';
import { mergeConfig, type TrainConfig } from './config';

export interface StepMetric {
  kind: 'step';
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  tripletsPerSecond: number;
  elapsedSeconds: number;
}

export interface EvalMetric {
  kind: 'eval';
  split: 'validation' | 'test';
  step: number;
  epoch: number;
  accuracy: number;
  byType: Record<TripletType, { accuracy: number; count: number }>;
  triplets: number;
  /** Mean pairwise distance of the embeddings: near 0 means they collapsed to a point. */
  spread: number;
}

export type MetricLine = StepMetric | EvalMetric;

export interface LoopState {
  /** Optimizer steps completed. */
  step: number;
  epoch: number;
  stepInEpoch: number;
  tripletsSeen: number;
  /** Time inside optimizer steps, over all sessions of this run. */
  trainSeconds: number;
  /** Wall time of the whole run (data preparation included) up to this state, over all sessions. */
  wallSeconds: number;
}

export interface RunSummary {
  runId: string;
  status: 'completed' | 'failed';
  failure?: string;
  dataset: { name: string; source: string; root: string; faces: Record<string, number>; triplets: Record<string, number> };
  backbone: string;
  backend: string;
  /** Threads that computed gradients: 1 = the training thread, more = data-parallel worker replicas. */
  workers?: number;
  parameters: { total: number; trainable: number; backbone: number; head: number };
  inputSize: number | null;
  tripletsSeen: number;
  steps: number;
  wallSeconds: number;
  trainSeconds: number;
  tripletsPerSecond: number;
  validation: Omit<EvalMetric, 'kind' | 'split' | 'step' | 'epoch'> | null;
  test: Omit<EvalMetric, 'kind' | 'split' | 'step' | 'epoch'> | null;
  collapsed: boolean;
  finishedAt: string;
}

/** A fine-tuned backbone's share of a saved model or checkpoint. */
export interface TunedBackbone {
  weights: ReadonlyMap<string, tf.Tensor>;
  /** Checkpoints only: the backbone's own optimizer. */
  optimizer?: tf.Optimizer;
}

const EXPRESSION_NET_FILE = 'faceapi-expression.bin';

async function saveBackbone(backbone: TunedBackbone, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await saveNamedTensors([...backbone.weights].map(([name, tensor]) => ({ name, tensor })), path.join(dir, EXPRESSION_NET_FILE));
  if (backbone.optimizer) await saveNamedTensors(await backbone.optimizer.getWeights(), path.join(dir, 'optimizer.bin'));
}

async function loadBackboneWeights(dir: string): Promise<Map<string, tf.Tensor>> {
  return new Map((await loadNamedTensors(path.join(dir, EXPRESSION_NET_FILE))).map((t) => [t.name, t.tensor]));
}

export class Experiment {
  constructor(readonly dir: string) {}

  get runId(): string {
    return path.basename(this.dir);
  }

  static async create(experimentsDir: string, config: TrainConfig): Promise<Experiment> {
    const dir = path.resolve(experimentsDir, config.runId);
    if (existsSync(path.join(dir, 'config.json'))) {
      throw new Error(`experiment ${config.runId} already exists at ${dir}: use --resume ${config.runId} or another --run-id`);
    }
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    return new Experiment(dir);
  }

  static open(dir: string): Experiment {
    if (!existsSync(path.join(dir, 'config.json'))) throw new Error(`no experiment at ${dir} (missing config.json)`);
    return new Experiment(dir);
  }

  /** The run's configuration; fields added since it was written take their defaults. */
  readConfig(): TrainConfig {
    return mergeConfig(JSON.parse(readFileSync(path.join(this.dir, 'config.json'), 'utf8')) as Partial<TrainConfig>);
  }

  readSummary(): RunSummary | null {
    const file = path.join(this.dir, 'summary.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunSummary) : null;
  }

  async appendMetric(line: MetricLine): Promise<void> {
    await appendFile(path.join(this.dir, 'metrics.jsonl'), `${JSON.stringify(line)}\n`);
  }

  readMetrics(): MetricLine[] {
    const file = path.join(this.dir, 'metrics.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as MetricLine];
        } catch {
          return []; // a line torn by a kill
        }
      });
  }

  /** On resume: forget metric lines logged after the checkpoint, since those steps run again. */
  truncateMetricsAfter(step: number): void {
    const kept = this.readMetrics().filter((m) => m.step <= step);
    writeFileSync(path.join(this.dir, 'metrics.jsonl'), kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
  }

  async writeSummary(summary: RunSummary): Promise<void> {
    await writeFile(path.join(this.dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  }

  /** The head model, and a fine-tuned backbone's weights beside it (written first: model/ marks a saved model). */
  async saveModel(model: tf.LayersModel, backbone?: TunedBackbone): Promise<void> {
    if (backbone) await saveBackbone({ weights: backbone.weights }, path.join(this.dir, 'backbone'));
    await saveLayersModel(model, path.join(this.dir, 'model'));
  }

  loadModel(): Promise<tf.LayersModel> {
    return loadLayersModel(path.join(this.dir, 'model'));
  }

  /** A fine-tuned run's expression net (`backboneTraining: 'fine-tune'`), as saved with its model. */
  async loadExpressionNet(): Promise<ExpressionNet> {
    const dir = path.join(this.dir, 'backbone');
    if (!existsSync(path.join(dir, EXPRESSION_NET_FILE))) throw new Error(`run ${this.runId} was fine-tuned but has no ${path.join('backbone', EXPRESSION_NET_FILE)}`);
    const weights = await loadBackboneWeights(dir);
    const net = ExpressionNet.fromWeights(weights, this.readConfig().fineTuneBlocks);
    tf.dispose([...weights.values()]);
    return net;
  }

  hasCheckpoint(): boolean {
    return existsSync(path.join(this.dir, 'checkpoint', 'state.json'));
  }

  /** Model, optimizer slots and loop state, swapped in whole: a kill mid-write leaves the previous checkpoint. */
  async saveCheckpoint(model: tf.LayersModel, optimizer: tf.Optimizer, state: LoopState, backbone?: TunedBackbone): Promise<void> {
    const final = path.join(this.dir, 'checkpoint');
    const tmp = path.join(this.dir, `checkpoint.tmp-${process.pid}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await saveLayersModel(model, path.join(tmp, 'model'));
    await saveNamedTensors(await optimizer.getWeights(), path.join(tmp, 'optimizer.bin'));
    if (backbone) await saveBackbone(backbone, path.join(tmp, 'backbone'));
    await writeFile(path.join(tmp, 'state.json'), JSON.stringify(state));
    const old = path.join(this.dir, `checkpoint.old-${process.pid}`);
    if (existsSync(final)) await rename(final, old);
    await rename(tmp, final);
    await rm(old, { recursive: true, force: true });
  }

  async loadCheckpoint(optimizer: tf.Optimizer): Promise<{ model: tf.LayersModel; state: LoopState }> {
    const dir = path.join(this.dir, 'checkpoint');
    const model = await loadLayersModel(path.join(dir, 'model'));
    await optimizer.setWeights(await loadNamedTensors(path.join(dir, 'optimizer.bin')));
    const state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as LoopState;
    return { model, state };
  }

  /** A fine-tuned backbone's weights and optimizer slots from the checkpoint (the run must have saved them). */
  async loadCheckpointBackbone(): Promise<{ weights: Map<string, tf.Tensor>; optimizerWeights: { name: string; tensor: tf.Tensor }[] }> {
    const dir = path.join(this.dir, 'checkpoint', 'backbone');
    return { weights: await loadBackboneWeights(dir), optimizerWeights: await loadNamedTensors(path.join(dir, 'optimizer.bin')) };
  }
}

/** Runs under `experimentsDir`, newest first. */
export function listExperiments(experimentsDir: string): Experiment[] {
  if (!existsSync(experimentsDir)) return [];
  return readdirSync(experimentsDir)
    .map((name) => path.join(experimentsDir, name))
    .filter((dir) => existsSync(path.join(dir, 'config.json')))
    .sort((a, b) => statSync(path.join(b, 'config.json')).mtimeMs - statSync(path.join(a, 'config.json')).mtimeMs)
    .map((dir) => new Experiment(dir));
}
