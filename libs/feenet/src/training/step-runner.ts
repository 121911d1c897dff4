/**
 * One optimiser step on a batch of triplets, however it runs. The training loop asks a `StepRunner` for a step
 * and never branches on how: in this thread (`inThreadSteps`), data-parallel over worker-thread replicas
 * (`replicaSteps`, one wasm instance and core each), or with face-api's expression net fine-tuned alongside the
 * head (`fineTuneSteps`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Triplet } from '@feenet/datasets';
import type { ReplicaPool } from './data-parallel';
import { gatherInputs, type FaceInputs } from './face-inputs';
import type { ExpressionFineTuning } from './fine-tune';
import { tripletGradients } from './replica-step';
import { batchLabels, type FaceLabels, type TripletObjective } from './triplet-loss';

export interface StepRunner {
  /** How steps run, for the run's log. */
  readonly description: string;
  /** One step at the schedule's `learningRate` (index `step`, which also seeds what a step draws); the mean loss. */
  step(batch: readonly Triplet[], step: number, learningRate: number): Promise<number>;
  dispose(): Promise<void>;
}

/** What every runner trains: the FEENet model (head, and the backbone when it is an image backbone). */
export interface StepContext {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly inputs: FaceInputs;
  readonly objective: TripletObjective;
  /** Class of each training face, when the objective uses labels. */
  readonly labelOf?: FaceLabels;
}

/**
 * tfjs optimizers keep their learning rate in a field the type declarations mark protected; the schedule sets it
 * before every step, here and only here.
 */
function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = rate;
}

/** One optimizer step on a batch: the 3·B faces go through the network together (batch norm sees them all). */
export function trainStep(model: tf.LayersModel, optimizer: tf.Optimizer, inputs: FaceInputs, batch: readonly Triplet[], objective: TripletObjective, labelOf?: FaceLabels): number {
  const ids = [...batch.map((t) => t.anchor), ...batch.map((t) => t.positive), ...batch.map((t) => t.negative)];
  const x = gatherInputs(inputs, ids);
  // optimizer.minimize, with the backward pass that releases activations as it goes (lean-backprop.ts).
  const { value, grads } = tripletGradients(model, x, objective, labelOf && batchLabels(batch, labelOf));
  optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads));
  x.dispose();
  const loss = value.dataSync()[0]!;
  value.dispose();
  return loss;
}

export function inThreadSteps(c: StepContext): StepRunner {
  return {
    description: 'in this thread',
    async step(batch, _step, learningRate) {
      setLearningRate(c.optimizer, learningRate);
      return trainStep(c.model, c.optimizer, c.inputs, batch, c.objective, c.labelOf);
    },
    async dispose() {},
  };
}

export function replicaSteps(c: StepContext, pool: ReplicaPool): StepRunner {
  return {
    description: `data-parallel, ${pool.description}`,
    async step(batch, _step, learningRate) {
      setLearningRate(c.optimizer, learningRate);
      return pool.step(c.optimizer, c.inputs, batch, c.labelOf);
    },
    dispose: () => pool.dispose(),
  };
}

/** `backboneScale`: the expression net's learning rate as a share of the head's (backboneLearningRate / learningRate). */
export function fineTuneSteps(c: StepContext, tuning: ExpressionFineTuning, seed: number, backboneScale: number): StepRunner {
  return {
    description: "in this thread, with the expression net's top blocks",
    async step(batch, step, learningRate) {
      setLearningRate(c.optimizer, learningRate);
      setLearningRate(tuning.optimizer, learningRate * backboneScale);
      return tuning.step(c.model, c.optimizer, c.inputs, batch, c.objective, step, seed, c.labelOf);
    },
    async dispose() {},
  };
}
