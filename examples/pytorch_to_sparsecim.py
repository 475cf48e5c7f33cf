#!/usr/bin/python3
"""From PyTorch to sparsecim in three lines: train a small model, export it, evaluate every scheme.

Uses Debian's python3-torch and dataset-fashion-mnist; run with PYTHONPATH at the built module
(build/release/python). Prints a plain summary (no pandas).
"""
import gzip
import io

import numpy as np
import torch
from torch import nn

import sparsecim


def fashion_mnist(prefix, n):
    root = "/usr/share/datasets/fashion-mnist/"
    with gzip.open(root + prefix + "-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:n]
    with gzip.open(root + prefix + "-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:n].astype(np.int64)
    return x.astype(np.float32) / 255, y


# A small CNN, trained for 300 steps (about 10 s on two cores).
torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
x, y = fashion_mnist("train", 20000)
opt = torch.optim.Adam(model.parameters(), 1e-3)
for step in range(300):
    i = np.random.default_rng(step).integers(0, len(y), 64)
    loss = nn.functional.cross_entropy(model(torch.from_numpy(x[i])), torch.from_numpy(y[i]))
    opt.zero_grad()
    loss.backward()
    opt.step()
test_x, test_y = fashion_mnist("t10k", 300)

# The three lines: export to ONNX (dynamic batch), evaluate every scheme on numpy inputs.
onnx = io.BytesIO()
torch.onnx.export(model.eval(), torch.from_numpy(test_x[:1]), onnx, input_names=["input"],
                  dynamic_axes={"input": {0: "batch"}})
results = sparsecim.evaluate(onnx.getvalue(), inputs=test_x, labels=test_y, accuracy_images=200,
                             calib_images=100, check_exact=True)

print("%-8s %7s %9s %11s %9s  %s" % ("scheme", "top-1", "crossbars", "energy (nJ)", "E vs dense",
                                      "ideal ADC"))
for s in results["schemes"]:
    ratio = s["vs_dense"]["energy_efficiency"] if s["vs_dense"] else 1.0
    print("%-8s %6.1f%% %9d %11.1f %8.2fx  %s" % (
        s["name"], 100 * s["accuracy"], s["crossbars"], s["energy_pj"] / 1e3, ratio,
        "exact" if s["ideal_mismatches"] == 0 else "%d mismatches" % s["ideal_mismatches"]))
print("images: %d of %s" % (results["config"]["accuracy_images"], results["data"]))
