"""Screens recipes for training FEENet's EfficientNet-B0 from random initialisation, in PyTorch.

The same network as the bench's PyTorch rows (bench/torch_b0.py), FEENet's margin-0.2 triplet loss, Adam with
linear warm-up then cosine decay, and the options TrainConfig has for B0 (embedding batch norm, in-batch
semi-hard negatives, identity-initialised residual blocks). One step here costs a fraction of a tfjs step, so a
recipe can be screened in minutes; the one kept is then measured with `nx run trainer:train` (libs/feenet README).

    npx tsx --tsconfig tools/research/tsconfig.json tools/research/b0-recipe-dump.ts data/synthetic /tmp/b0-probe 64 face-box
    /usr/bin/python3 tools/research/b0_recipe_probe.py --data /tmp/b0-probe --batch 32 --lr 5e-3 \
        --batch-negatives 1 --zero-init-residual --steps 750 --threads 2

Prints one JSON line per evaluation (validation and a 1,500-triplet sample of training triplets, batch norm in
inference mode) and the test accuracy at the end. --oracle prints what the true expression parameters of
synthetic faces score (the ceiling) and exits.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench'))
import torch_b0  # noqa: E402  (the bench's B0, Keras block table)

# The synthetic raters' perceptual weights (dataset/synthetic-dataset.ts).
PERCEPTUAL_WEIGHTS = {'smile': 1, 'mouthOpen': 1, 'browRaise': 0.8, 'browFurrow': 0.8, 'eyeOpen': 0.7}


def options():
    p = argparse.ArgumentParser()
    p.add_argument('--data', required=True, help='a folder written by b0-recipe-dump.ts')
    p.add_argument('--steps', type=int, default=750)
    p.add_argument('--batch', type=int, default=32, help='triplets per step')
    p.add_argument('--lr', type=float, default=5e-3)
    p.add_argument('--warmup', type=int, default=50)
    p.add_argument('--margin', type=float, default=0.2)
    p.add_argument('--bn-momentum', type=float, default=0.9, help='Keras convention (TrainConfig.batchNormMomentum)')
    p.add_argument('--no-embedding-batch-norm', action='store_true')
    p.add_argument('--batch-negatives', type=float, default=0.0, help='weight of the in-batch semi-hard negatives')
    p.add_argument('--zero-init-residual', action='store_true')
    p.add_argument('--flip', action='store_true', help='mirror each training face with probability 1/2 (not in TrainConfig yet)')
    p.add_argument('--shift', type=int, default=0, help='translate each training face by up to this many pixels (edge pixels repeated)')
    p.add_argument('--jitter', type=float, default=0.0, help='scale brightness and contrast of each training face by 1 +- this')
    p.add_argument('--weight-decay', type=float, default=0.0, help='decoupled (AdamW) weight decay')
    p.add_argument('--ema', type=float, default=0.0, help='also evaluate an exponential moving average of the weights with this decay')
    p.add_argument('--eval-every', type=int, default=150)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--oracle', action='store_true')
    return p.parse_args()


def triplet_index(data, ids):
    rows = {}
    for line in open(os.path.join(data, 'triplets.jsonl')):
        t = json.loads(line)
        rows.setdefault(t['split'], []).append([ids[t['anchor']], ids[t['positive']], ids[t['negative']]])
    return {split: np.array(r) for split, r in rows.items()}


def accuracy_of(distance, t):
    d01, d02, d12 = distance(t[:, 0], t[:, 1]), distance(t[:, 0], t[:, 2]), distance(t[:, 1], t[:, 2])
    return float(((d01 < d02) & (d01 < d12)).mean())


class Feenet(nn.Module):
    def __init__(self, a):
        super().__init__()
        base = torch_b0.FeenetB0()
        for m in base.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = 1 - a.bn_momentum  # PyTorch counts momentum from the other end
            if a.zero_init_residual and isinstance(m, torch_b0.MBConv) and m.residual:
                nn.init.zeros_(m.project[1].weight)
        self.backbone, self.mean, self.std = base.backbone, base.mean, base.std
        self.head = nn.Sequential(nn.Linear(1280, 512), nn.ReLU(), nn.Linear(512, 16))
        self.embedding_bn = nn.Identity() if a.no_embedding_batch_norm else nn.BatchNorm1d(16, momentum=1 - a.bn_momentum, affine=False)

    def forward(self, x_nhwc):
        x = (x_nhwc.permute(0, 3, 1, 2) - self.mean) / self.std
        return nn.functional.normalize(self.embedding_bn(self.head(self.backbone(x))), dim=1)


def objective(e, b, margin, batch_negatives):
    """training/triplet-loss.ts: tripletLoss + batch_negatives x batchNegativeLoss."""
    a, p, n = e[:b], e[b:2 * b], e[2 * b:]
    ap, an, pn = ((a - p) ** 2).sum(1), ((a - n) ** 2).sum(1), ((p - n) ** 2).sum(1)
    loss = (torch.relu(ap - an + margin) + torch.relu(ap - pn + margin)).mean()
    if batch_negatives == 0:
        return loss
    to_all = ((e[:, None, :] - e[None, :, :]) ** 2).sum(-1)
    own = torch.eye(b, dtype=torch.bool).repeat(1, 3)  # row i's own triplet: columns i, b + i, 2b + i
    kept = []
    for rows in (slice(0, b), slice(b, 2 * b)):
        d = to_all[rows]
        terms = torch.relu(ap[:, None] - d + margin)
        semi_hard = (~own) & (d > ap[:, None]).detach()
        kept.append(terms[semi_hard])
    kept = torch.cat(kept)
    return loss + batch_negatives * kept.sum() / max(1, int((kept > 0).sum()))


def shifted(x, most, rng):
    """Each NHWC face moved by a random whole-pixel offset in [-most, most], edges repeated."""
    n, h, w, _ = x.shape
    padded = nn.functional.pad(x.permute(0, 3, 1, 2), (most, most, most, most), mode='replicate').permute(0, 2, 3, 1)
    dy, dx = rng.integers(0, 2 * most + 1, n), rng.integers(0, 2 * most + 1, n)
    return torch.stack([padded[i, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


def jittered(x, amount, rng):
    """Brightness and contrast of each face scaled by factors in [1 - amount, 1 + amount]."""
    n = x.shape[0]
    brightness = torch.from_numpy(1 + rng.uniform(-amount, amount, n)).float()[:, None, None, None]
    contrast = torch.from_numpy(1 + rng.uniform(-amount, amount, n)).float()[:, None, None, None]
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return ((x - mean) * contrast + mean * brightness).clamp(0, 255)


def main():
    a = options()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    meta = json.load(open(os.path.join(a.data, 'faces.json')))
    faces, size = meta['faces'], meta['size']
    ids = {f['id']: i for i, f in enumerate(faces)}
    splits = triplet_index(a.data, ids)
    if a.oracle:
        truth = np.array([[f['params'][k] * w for k, w in PERCEPTUAL_WEIGHTS.items()] for f in faces])
        for split in ('validation', 'test'):
            print(json.dumps({'split': split, 'oracle': accuracy_of(lambda i, j: ((truth[i] - truth[j]) ** 2).sum(1), splits[split])}))
        return
    pixels = torch.from_numpy(np.fromfile(os.path.join(a.data, 'faces.u8'), dtype=np.uint8).reshape(len(faces), size, size, 3))
    model = Feenet(a)
    optimizer = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    averaged = [q.detach().clone() for q in model.parameters()] if a.ema else None

    def accuracy(t):
        model.eval()
        with torch.no_grad():
            rows = np.unique(t)
            e = torch.cat([model(pixels[rows[i:i + 256]].float()) for i in range(0, len(rows), 256)]).numpy()
        model.train()
        at = {r: i for i, r in enumerate(rows)}
        pos = np.vectorize(at.get)
        return accuracy_of(lambda i, j: ((e[pos(i)] - e[pos(j)]) ** 2).sum(1), t)

    def with_weights(weights, measure):
        live = [q.detach().clone() for q in model.parameters()]
        with torch.no_grad():
            for q, w in zip(model.parameters(), weights):
                q.copy_(w)
        result = measure()
        with torch.no_grad():
            for q, w in zip(model.parameters(), live):
                q.copy_(w)
        return result

    train = splits['train']
    start, losses = time.time(), []
    for step in range(1, a.steps + 1):
        warm = min(1.0, step / a.warmup) if a.warmup else 1.0
        decay = 0.5 * (1 + math.cos(math.pi * step / a.steps)) if step > a.warmup else 1.0
        for g in optimizer.param_groups:
            g['lr'] = a.lr * warm * decay
        batch = train[rng.integers(0, len(train), a.batch)]
        x = pixels[np.concatenate([batch[:, 0], batch[:, 1], batch[:, 2]])].float()
        if a.shift:
            x = shifted(x, a.shift, rng)
        if a.jitter:
            x = jittered(x, a.jitter, rng)
        if a.flip:
            mirrored = torch.from_numpy(rng.random(len(x)) < 0.5)
            x[mirrored] = x[mirrored].flip(2)  # NHWC: axis 2 is the width
        loss = objective(model(x), a.batch, a.margin, a.batch_negatives)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if averaged is not None:
            with torch.no_grad():
                for q, live in zip(averaged, model.parameters()):
                    q.mul_(a.ema).add_(live, alpha=1 - a.ema)
        if step % a.eval_every == 0 or step == a.steps:
            print(json.dumps({
                'step': step,
                'triplets': step * a.batch,
                'loss': round(float(np.mean(losses[-a.eval_every:])), 4),
                'validation': round(accuracy(splits['validation']), 4),
                'train': round(accuracy(train[:1500]), 4),
                **({'ema_validation': round(with_weights(averaged, lambda: accuracy(splits['validation'])), 4)} if averaged else {}),
                'seconds': round(time.time() - start),
            }), flush=True)
    print(json.dumps({
        'test': round(accuracy(splits['test']), 4),
        **({'ema_test': round(with_weights(averaged, lambda: accuracy(splits['test'])), 4)} if averaged else {}),
        'seconds': round(time.time() - start),
    }))


if __name__ == '__main__':
    main()
