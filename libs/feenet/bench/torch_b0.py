"""PyTorch reference rows for the FEENet bench: the same EfficientNet-B0 + FEENet head, eager mode.

Runs under Debian's python3-torch (/usr/bin/python3). Prints one JSON line:
  {"facesPerSecond": ..., "msPerFace": ..., "peakRssMB": ..., "faces": ..., "torch": "1.13.1"}
Random weights (speed does not depend on them). Inference: BatchNorm in eval mode, not folded (plain eager
PyTorch). With --train: training steps as FEENet's (batch norm in training mode, the margin-0.2 triplet loss on
--batch triplets = 3 x --batch faces in one batch, Adam), adding "tripletsPerSecond".
Usage: torch_b0.py --size 224 --batch 8 --threads 2 --min-seconds 3 [--train]
"""
import argparse
import json
import resource
import sys
import time

try:
    import torch
    from torch import nn
except ImportError as err:  # the bench reports the row as skipped
    print(json.dumps({"skipped": f"python3-torch not importable ({err}); apt-get install python3-torch"}))
    sys.exit(0)

# (kernel, repeats, filters_in, filters_out, expand_ratio, stride, se_ratio): Keras' DEFAULT_BLOCKS_ARGS
BLOCKS = [
    (3, 1, 32, 16, 1, 1, 0.25),
    (3, 2, 16, 24, 6, 2, 0.25),
    (5, 2, 24, 40, 6, 2, 0.25),
    (3, 3, 40, 80, 6, 2, 0.25),
    (5, 3, 80, 112, 6, 1, 0.25),
    (5, 4, 112, 192, 6, 2, 0.25),
    (3, 1, 192, 320, 6, 1, 0.25),
]


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class MBConv(nn.Module):
    def __init__(self, k, cin, cout, expand, stride, se_ratio):
        super().__init__()
        mid = cin * expand
        layers = []
        if expand != 1:
            layers += [nn.Conv2d(cin, mid, 1, bias=False), bn(mid), nn.SiLU()]
        # TF-style asymmetric padding for stride 2 (Keras correct_pad), symmetric 'same' otherwise.
        if stride == 2:
            layers += [nn.ZeroPad2d((k // 2 - 1, k // 2, k // 2 - 1, k // 2))]
            pad = 0
        else:
            pad = k // 2
        layers += [nn.Conv2d(mid, mid, k, stride, pad, groups=mid, bias=False), bn(mid), nn.SiLU()]
        self.body = nn.Sequential(*layers)
        se = max(1, int(cin * se_ratio))
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(mid, se, 1), nn.SiLU(), nn.Conv2d(se, mid, 1), nn.Sigmoid())
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), bn(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        y = y * self.se(y)
        y = self.project(y)
        return y + x if self.residual else y


class FeenetB0(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1) * 255)
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1) * 255)
        layers = [nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(3, 32, 3, 2, bias=False), bn(32), nn.SiLU()]
        for k, repeats, cin, cout, expand, stride, se in BLOCKS:
            for j in range(repeats):
                layers.append(MBConv(k, cin if j == 0 else cout, cout, expand, stride if j == 0 else 1, se))
        layers += [nn.Conv2d(320, 1280, 1, bias=False), bn(1280), nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.backbone = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(1280, 512), nn.ReLU(), nn.Linear(512, 16))

    def forward(self, x_nhwc):
        x = x_nhwc.permute(0, 3, 1, 2)
        x = (x - self.mean) / self.std
        return nn.functional.normalize(self.head(self.backbone(x)), dim=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--min-seconds", type=float, default=3.0)
    p.add_argument("--train", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.train:
        return train(a)
    model = FeenetB0().eval()
    x = torch.rand(a.batch, a.size, a.size, 3) * 255
    with torch.inference_mode():
        model(x)  # warm-up
        faces, start, cpu = 0, time.perf_counter(), time.process_time()
        while True:
            model(x)
            faces += a.batch
            elapsed = time.perf_counter() - start
            if elapsed >= a.min_seconds and faces >= 2 * a.batch:
                break
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "facesPerSecond": faces / elapsed,
        "msPerFace": 1000 * elapsed / faces,
        "cpuSeconds": time.process_time() - cpu,
        "peakRssMB": peak_mb,
        "faces": faces,
        "torch": torch.__version__,
    }))


def triplet_loss(e, triplets, margin=0.2):
    """FEENet's loss (training/triplet-loss.ts): squared distances on unit embeddings, both pairs against the negative."""
    a, p, n = e[:triplets], e[triplets:2 * triplets], e[2 * triplets:]
    ap, an, pn = ((a - p) ** 2).sum(1), ((a - n) ** 2).sum(1), ((p - n) ** 2).sum(1)
    return (torch.relu(ap - an + margin) + torch.relu(ap - pn + margin)).mean()


def train(a):
    model = FeenetB0().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(3 * a.batch, a.size, a.size, 3) * 255

    def step():
        opt.zero_grad(set_to_none=True)
        loss = triplet_loss(model(x), a.batch)
        loss.backward()
        opt.step()

    step()  # warm-up
    steps, start, cpu = 0, time.perf_counter(), time.process_time()
    while True:
        step()
        steps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= a.min_seconds and steps >= 2:
            break
    faces = steps * 3 * a.batch
    print(json.dumps({
        "tripletsPerSecond": steps * a.batch / elapsed,
        "facesPerSecond": faces / elapsed,
        "msPerFace": 1000 * elapsed / faces,
        "cpuSeconds": time.process_time() - cpu,
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "faces": faces,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
