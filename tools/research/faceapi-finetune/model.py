"""Research probe: face-api's FaceExpressionNet (FaceFeatureExtractor + fc) re-implemented in PyTorch.

Port of @vladmandic/face-api src/faceFeatureExtractor/FaceFeatureExtractor.ts + denseBlock.ts (denseBlock4),
src/faceProcessor/FaceProcessor.ts (fc). Input: NCHW RGB float in [0,255] at 112 px. Weights are read from
model/face_expression_model.bin with its manifest (uint8-quantised tensors: value = q * scale + min).
TF 'same' padding: stride-2 3x3 convs on even sides pad 0 before / 1 after; stride-1 pads 1 on both sides.
face-api's class order: neutral, happy, sad, angry, fearful, disgusted, surprised.
"""
import json, os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import os
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../..'))
FACEAPI_DIR = os.path.join(REPO, 'node_modules/@vladmandic/face-api/model')
MEAN_RGB = (122.782, 117.001, 104.298)
FACEAPI_CLASSES = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised']
FER_TO_FACEAPI = {'neutral': 0, 'happy': 1, 'sad': 2, 'angry': 3, 'fear': 4, 'disgust': 5, 'surprise': 6}


def load_faceapi_weights(name='face_expression_model'):
    manifest = json.load(open(os.path.join(FACEAPI_DIR, f'{name}-weights_manifest.json')))
    out = {}
    for group in manifest:
        data = b''.join(open(os.path.join(FACEAPI_DIR, p), 'rb').read() for p in group['paths'])
        off = 0
        for w in group['weights']:
            n = int(np.prod(w['shape']))
            q = w.get('quantization')
            if q:
                qd = {'uint8': np.uint8, 'uint16': np.uint16, 'float16': np.float16}[q['dtype']]
                raw = np.frombuffer(data, dtype=qd, count=n, offset=off)
                off += n * np.dtype(qd).itemsize
                if q['dtype'] == 'float16':
                    arr = raw.astype(np.float32)
                else:
                    arr = raw.astype(np.float32) * np.float32(q['scale']) + np.float32(q['min'])
            else:
                assert w['dtype'] == 'float32', w
                arr = np.frombuffer(data, dtype=np.float32, count=n, offset=off).copy()
                off += n * 4
            out[w['name']] = arr.reshape(w['shape'])
        assert off == len(data), (off, len(data))
    return out


def same_pad(x, stride):
    # TF 'same' for a 3x3 kernel: total pad = max((ceil(in/s)-1)*s + 3 - in, 0), the extra pixel after.
    h, w = x.shape[-2:]
    ph = max((-(-h // stride) - 1) * stride + 3 - h, 0)
    pw = max((-(-w // stride) - 1) * stride + 3 - w, 0)
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))


class SepConv(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        self.depthwise = nn.Conv2d(cin, cin, 3, stride, 0, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=True)

    def forward(self, x):
        return self.pointwise(self.depthwise(same_pad(x, self.stride)))


class FirstConv(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        self.conv = nn.Conv2d(cin, cout, 3, stride, 0, bias=True)

    def forward(self, x):
        return self.conv(same_pad(x, self.stride))


class DenseBlock4(nn.Module):
    def __init__(self, cin, cout, first=False):
        super().__init__()
        self.conv0 = FirstConv(cin, cout, 2) if first else SepConv(cin, cout, 2)
        self.conv1 = SepConv(cout, cout, 1)
        self.conv2 = SepConv(cout, cout, 1)
        self.conv3 = SepConv(cout, cout, 1)

    def forward(self, x):
        out1 = F.relu(self.conv0(x))
        out2 = self.conv1(out1)
        out3 = self.conv2(F.relu(out1 + out2))
        out4 = self.conv3(F.relu(out1 + out2 + out3))
        return F.relu(out1 + out2 + out3 + out4)


class FaceExpressionNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense0 = DenseBlock4(3, 32, first=True)
        self.dense1 = DenseBlock4(32, 64)
        self.dense2 = DenseBlock4(64, 128)
        self.dense3 = DenseBlock4(128, 256)
        self.fc = nn.Linear(256, 7)
        self.register_buffer('mean', torch.tensor(MEAN_RGB).view(1, 3, 1, 1))

    def features(self, x):
        """x: [n,3,112,112] RGB in [0,255] → pooled [n,256] (face-api's 7x7 avg pool of dense3)."""
        x = (x - self.mean) / 255.0
        x = self.dense3(self.dense2(self.dense1(self.dense0(x))))
        return x.mean(dim=(2, 3))

    def forward(self, x):
        pooled = self.features(x)
        return pooled, self.fc(pooled)

    def load_faceapi(self, w=None):
        w = w or load_faceapi_weights()
        t = lambda a: torch.from_numpy(np.ascontiguousarray(a))
        sd = {}
        for b in range(4):
            blk = f'dense{b}'
            for c in range(4):
                key = f'{blk}/conv{c}'
                if b == 0 and c == 0:
                    sd[f'{blk}.conv0.conv.weight'] = t(w[f'{key}/filters'].transpose(3, 2, 0, 1))  # [kh,kw,in,out]→[out,in,kh,kw]
                    sd[f'{blk}.conv0.conv.bias'] = t(w[f'{key}/bias'])
                else:
                    sd[f'{blk}.conv{c}.depthwise.weight'] = t(w[f'{key}/depthwise_filter'].transpose(2, 3, 0, 1))  # [kh,kw,C,1]→[C,1,kh,kw]
                    sd[f'{blk}.conv{c}.pointwise.weight'] = t(w[f'{key}/pointwise_filter'].transpose(3, 2, 0, 1))
                    sd[f'{blk}.conv{c}.pointwise.bias'] = t(w[f'{key}/bias'])
        sd['fc.weight'] = t(w['fc/weights'].T)
        sd['fc.bias'] = t(w['fc/bias'])
        sd['mean'] = self.mean
        self.load_state_dict(sd, strict=True)
        return self
