"""Research probe: fine-tune face-api's expression net END TO END (all four dense blocks + fc) on the FER2013
train split of data/folder-fer2013-c08c9ea8, evaluate two-class triplet accuracy on its validation/test triplets.

Inputs: /tmp/ferprobe/faces112.u8 (decode.mjs: project's sharp lanczos3 48→112 decode, grey channel).
Triplet accuracy: d(a,p) < d(a,n) and d(a,p) < d(p,n), squared Euclidean.
Usage: node tools/research/faceapi-finetune/decode.mjs, then /usr/bin/python3 tools/research/faceapi-finetune/train.py --epochs 5 [--lr 2e-4] [--smooth 0.1] [--no-eval0]
"""
import argparse, json, math, os, sys, time
import numpy as np
import torch
import torch.nn.functional as F
sys.path.insert(0, __import__('os').path.dirname(__file__))
from model import FaceExpressionNet, FER_TO_FACEAPI

ap = argparse.ArgumentParser()
ap.add_argument('--epochs', type=int, default=4)
ap.add_argument('--lr', type=float, default=5e-4)
ap.add_argument('--wd', type=float, default=1e-4)
ap.add_argument('--bs', type=int, default=64)
ap.add_argument('--smooth', type=float, default=0.0)
ap.add_argument('--time-steps', type=int, default=0, help='only time this many train steps and one eval, then exit')
ap.add_argument('--no-eval0', action='store_true')
ap.add_argument('--tag', default='e2e')
ap.add_argument('--seed', type=int, default=0)
ap.add_argument('--train-budget', type=float, default=0, help='seconds of training: after 20 steps the total step count is cut to fit (cosine over it)')
args = ap.parse_args()
torch.set_num_threads(2)
torch.manual_seed(args.seed); np.random.seed(args.seed)
T0 = time.time()
def log(*a):
    print(f'[{time.time() - T0:7.1f}s]', *a, flush=True)

from model import REPO
ROOT = os.environ.get('FER_PREPARED', os.path.join(REPO, 'data/folder-fer2013-c08c9ea8'))
meta = json.load(open('/tmp/ferprobe/faces112.json'))
pos = {m['id']: i for i, m in enumerate(meta)}
imgs = torch.from_numpy(np.fromfile('/tmp/ferprobe/faces112.u8', dtype=np.uint8).reshape(-1, 112, 112))
labels = torch.tensor([FER_TO_FACEAPI[m['label']] for m in meta])
split_idx = {s: torch.tensor([i for i, m in enumerate(meta) if m['split'] == s]) for s in ('train', 'validation', 'test')}
trip = {'validation': [], 'test': []}
for l in open(f'{ROOT}/triplets.jsonl'):
    t = json.loads(l)
    if t['split'] in trip and t['type'] == 'TWO_CLASS':
        trip[t['split']].append((pos[t['anchor']], pos[t['positive']], pos[t['negative']]))
trip = {s: torch.tensor(v) for s, v in trip.items()}
log('faces', {s: len(v) for s, v in split_idx.items()}, 'triplets', {s: len(v) for s, v in trip.items()})

def to_input(u8):  # [n,112,112] uint8 → [n,3,112,112] float in [0,255] (grey replicated)
    return u8.float().unsqueeze(1).expand(-1, 3, -1, -1).contiguous(memory_format=torch.channels_last)

def augment(u8):
    n = u8.shape[0]
    x = u8.float().unsqueeze(1)
    ang = (torch.rand(n) * 2 - 1) * math.radians(10)
    sc = 1 + (torch.rand(n) * 2 - 1) * 0.10
    tx, ty = [(torch.rand(n) * 2 - 1) * 0.12 for _ in range(2)]  # ±6 % of the side
    flip = torch.where(torch.rand(n) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(ang) / sc, torch.sin(ang) / sc
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode='bilinear', padding_mode='border', align_corners=False)
    gain = 1 + (torch.rand(n, 1, 1, 1) * 2 - 1) * 0.2
    bias = (torch.rand(n, 1, 1, 1) * 2 - 1) * 20
    mean = x.mean(dim=(2, 3), keepdim=True)
    x = ((x - mean) * gain + mean + bias).clamp(0, 255)
    return x.expand(-1, 3, -1, -1).contiguous(memory_format=torch.channels_last)

@torch.no_grad()
def embed(net, idx, flip, bs=64):
    net.eval()
    P, L, Pf, Lf = [], [], [], []
    for i in range(0, len(idx), bs):
        x = to_input(imgs[idx[i:i + bs]])
        p, l = net(x); P.append(p); L.append(l)
        if flip:
            pf, lf = net(torch.flip(x, [3]).contiguous(memory_format=torch.channels_last)); Pf.append(pf); Lf.append(lf)
    return torch.cat(P), torch.cat(L), (torch.cat(Pf) if flip else None), (torch.cat(Lf) if flip else None)

def triplet_acc(E, t):  # E: [N_all, d] indexed by global face index
    a, p, n = E[t[:, 0]], E[t[:, 1]], E[t[:, 2]]
    dap, dan, dpn = ((a - p) ** 2).sum(1), ((a - n) ** 2).sum(1), ((p - n) ** 2).sum(1)
    return ((dap < dan) & (dap < dpn)).float().mean().item()

def evaluate(net, flip=False):
    res = {}
    for s in ('validation', 'test'):
        idx = split_idx[s]
        P, L, Pf, Lf = embed(net, idx, flip)
        y = labels[idx]
        N = len(meta)
        def full(v):
            out = torch.zeros(N, v.shape[1]); out[idx] = v; return out
        r = {'top1': (L.argmax(1) == y).float().mean().item()}
        r['trip_softmax'] = triplet_acc(full(torch.softmax(L, 1)), trip[s])
        r['trip_pooledL2'] = triplet_acc(full(F.normalize(P, dim=1)), trip[s])
        r['trip_logits'] = triplet_acc(full(L), trip[s])
        if flip:
            r['top1_flip'] = ((L + Lf).argmax(1) == y).float().mean().item()
            r['trip_softmax_flip'] = triplet_acc(full((torch.softmax(L, 1) + torch.softmax(Lf, 1)) / 2), trip[s])
            r['trip_pooledL2_flip'] = triplet_acc(full(F.normalize((P + Pf) / 2, dim=1)), trip[s])
            r['trip_logits_flip'] = triplet_acc(full((L + Lf) / 2), trip[s])
        res[s] = r
    return res

def fmt(res):
    return ' | '.join(f"{s[:4]} " + ' '.join(f'{k}={100 * v:.2f}' for k, v in r.items()) for s, r in res.items())

net = FaceExpressionNet().load_faceapi().to(memory_format=torch.channels_last)
params = [p for n, p in net.named_parameters()]
log('trainable params', sum(p.numel() for p in params), 'all trainable:', all(p.requires_grad for p in params))
tr = split_idx['train']
steps_per_epoch = len(tr) // args.bs
total = steps_per_epoch * args.epochs if not args.time_steps else args.time_steps
opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.wd)
warm = max(1, int(0.03 * total))
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
results = []
if not args.no_eval0 and not args.time_steps:
    t = time.time(); r = evaluate(net); log(f'epoch 0 (pretrained) eval {time.time() - t:.0f}s', fmt(r))
    results.append({'epoch': 0, 'train_loss': None, **r})
step = 0
for ep in range(1, args.epochs + 1):
    net.train()
    perm = tr[torch.randperm(len(tr))]
    t_ep = time.time(); tot, cnt = 0.0, 0
    for b in range(steps_per_epoch):
        bi = perm[b * args.bs:(b + 1) * args.bs]
        x = augment(imgs[bi]); y = labels[bi]
        _, logits = net(x)
        loss = F.cross_entropy(logits, y, label_smoothing=args.smooth)
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step(); sched.step(); step += 1
        tot += loss.item() * len(bi); cnt += len(bi)
        if step == 20 and args.train_budget and not args.time_steps:
            dt = (time.time() - t_ep) / 20
            fit = int(args.train_budget / dt)
            if fit < total:
                total = max(fit, 2 * steps_per_epoch // 3)
                log(f'BUDGET: {dt:.3f}s/step → total steps cut to {total} ({total / steps_per_epoch:.2f} epochs)')
            else:
                log(f'BUDGET: {dt:.3f}s/step → {total} steps fit')
        if step >= total:
            break
        if step % 50 == 0:
            log(f'ep {ep} step {b + 1}/{steps_per_epoch} loss {tot / cnt:.4f} lr {sched.get_last_lr()[0]:.2e} {(time.time() - t_ep) / (b + 1):.3f}s/step')
        if args.time_steps and step >= args.time_steps:
            dt = (time.time() - t_ep) / step
            log(f'TIMING: {dt:.3f}s/step bs {args.bs} → {dt * steps_per_epoch:.0f}s per epoch of {steps_per_epoch} steps')
            t = time.time(); r = evaluate(net); log(f'TIMING eval (val+test, with flip) {time.time() - t:.0f}s', fmt(r))
            sys.exit(0)
    t_train = time.time() - t_ep
    ep_done = b + 1
    last = step >= total or ep == args.epochs
    t = time.time(); r = evaluate(net, flip=last); t_eval = time.time() - t
    log(f'epoch {ep} ({ep_done}/{steps_per_epoch} steps) train_loss {tot / cnt:.4f} train {t_train:.0f}s eval {t_eval:.0f}s', fmt(r))
    results.append({'epoch': ep, 'steps': ep_done, 'train_loss': tot / cnt, 'train_s': t_train, 'eval_s': t_eval, **r})
    torch.save(net.state_dict(), f'/tmp/ferprobe/{args.tag}_ep{ep}.pt')
    json.dump({'args': vars(args), 'results': results}, open(f'/tmp/ferprobe/{args.tag}_results.json', 'w'), indent=1)
    if step >= total:
        break
log('done, wall', f'{time.time() - T0:.0f}s')
