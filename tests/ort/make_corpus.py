#!/usr/bin/python3
"""Builds the ONNX Runtime comparison corpus (issue 23 item 4) with PyTorch's own exporter.

Each model is a small torchvision-style network built and seeded here (no download), put in
eval mode with non-trivial BatchNorm statistics, and exported by torch.onnx.export with a
dynamic batch dimension at several opsets. Next to each NAME.onnx goes NAME.x.npy, a batch of
inputs. scripts/ort-check.sh runs both sparsecim and ONNX Runtime on them.

Usage: make_corpus.py OUT_DIR
"""
import gzip
import os
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


def seeded_bn(m, g):
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            c = mod.num_features
            mod.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            mod.weight.data.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            mod.bias.data.copy_(torch.randn(c, generator=g) * 0.1)
    return m


class BasicBlock(nn.Module):  # torchvision's ResNet BasicBlock
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet(nn.Module):  # torchvision-style ResNet, CIFAR-sized
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = BasicBlock(16, 16, 1)
        self.layer2 = BasicBlock(16, 32, 2)
        self.layer3 = BasicBlock(32, 64, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class InvertedResidual(nn.Module):  # torchvision's MobileNetV2 block: depthwise, ReLU6
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16),
                                  nn.ReLU6())
        self.blocks = nn.Sequential(InvertedResidual(16, 16, 1, 1), InvertedResidual(16, 24, 2, 6),
                                    InvertedResidual(24, 24, 1, 6))
        self.head = nn.Sequential(nn.Conv2d(24, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU6())
        self.classifier = nn.Linear(64, 10)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.classifier(x.mean([2, 3]))


class VGG(nn.Module):  # flattened with x.view(x.size(0), -1): a Shape/Gather/Concat/Reshape chain
    def __init__(self):
        super().__init__()
        cfg, layers, c = [16, "M", 32, "M", 64, "M"], [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(64 * 4 * 4, 64), nn.ReLU(True), nn.Linear(64, 10))

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


class AttentionBlock(nn.Module):  # transformer-style: MatMul attention, softmax, ReLU MLP
    def __init__(self, dim=32, heads=4):
        super().__init__()
        self.heads, self.dim = heads, dim
        self.scale = float((dim // heads) ** -0.5)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))

    def forward(self, x):  # x: [N, T, D]
        n, t, d = x.shape
        h = self.heads
        qkv = self.qkv(x).reshape(n, t, 3, h, d // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * self.scale, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(n, t, d)
        x = x + self.proj(y)
        return x + self.mlp(x)


class FmnistNet(nn.Module):  # trained below on real Fashion-MNIST; flattened with view()
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.features(x)
        return self.fc(x.view(x.size(0), -1))


FMNIST = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist


def fmnist(split):
    def idx(name, offset):
        with gzip.open(os.path.join(FMNIST, name + ".gz")) as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)
    prefix = "train" if split == "train" else "t10k"
    x = idx(prefix + "-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    return x, idx(prefix + "-labels-idx1-ubyte", 8).astype(np.int64)


def trained_fmnist(out):
    """A classifier PyTorch trains (not sparsecim): 400 Adam steps of 64 images, seed 0."""
    torch.manual_seed(0)
    m = FmnistNet()
    x, y = fmnist("train")
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(400):
        i = torch.randint(0, len(y), (64,), generator=g).numpy()
        loss = F.cross_entropy(m(torch.from_numpy(x[i])), torch.from_numpy(y[i]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    tx, ty = fmnist("test")
    tx, ty = tx[:256], ty[:256]
    with torch.no_grad():
        top1 = (m(torch.from_numpy(tx)).argmax(1).numpy() == ty).mean()
    print("fmnist-trained: PyTorch top-1 %.1f%% on the first 256 test images" % (100 * top1))
    np.save(os.path.join(out, "fmnist-trained.x.npy"), tx)
    np.save(os.path.join(out, "fmnist-trained.y.npy"), ty)
    path = os.path.join(out, "fmnist-trained-op13.onnx")
    torch.onnx.export(m, torch.from_numpy(tx[:2]), path, opset_version=13, input_names=["input"],
                      output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})


MODELS = {
    # name: (constructor, input shape without batch, opsets)
    "resnet": (ResNet, (3, 32, 32), (11, 13, 17)),
    "mobilenetv2": (MobileNetV2, (3, 32, 32), (11, 13, 17)),
    "vgg": (VGG, (3, 32, 32), (11, 13, 17)),
    "attention": (AttentionBlock, (8, 32), (13, 17)),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, (make, shape, opsets) in MODELS.items():
        g = torch.Generator().manual_seed(7)
        torch.manual_seed(7)
        m = seeded_bn(make(), g).eval()
        x = torch.randn((3,) + shape, generator=g)
        np.save(os.path.join(out, name + ".x.npy"), x.numpy().astype(np.float32))
        for opset in opsets:
            path = os.path.join(out, "%s-op%d.onnx" % (name, opset))
            torch.onnx.export(m, x, path, opset_version=opset, input_names=["input"],
                              output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    trained_fmnist(out)


if __name__ == "__main__":
    main()
