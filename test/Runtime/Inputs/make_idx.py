"""Writes a small synthetic IDX image classification set (gzip'd like
Debian's dataset-fashion-mnist) to test the training executable's reader:

  make_idx.py DIR [--count=N] [--size=S] [--bad-label=L] [--truncate]
                  [--raw-test] [--cut=train|t10k]

Images are class-dependent noise so that a model can learn them."""
import argparse
import gzip
import os

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("dir")
parser.add_argument("--count", type=int, default=200)
parser.add_argument("--size", type=int, default=28)
parser.add_argument("--bad-label", type=int)
parser.add_argument("--truncate", action="store_true")
parser.add_argument("--raw-test", action="store_true")
# Cuts the last 100 bytes off that set's images file as written (a gzip
# stream or raw bytes), like a download cut short.
parser.add_argument("--cut", choices=["train", "t10k"])
args = parser.parse_args()
os.makedirs(args.dir, exist_ok=True)
rng = np.random.default_rng(1)


def idx(array):
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write(name, data, raw=False):
    path = os.path.join(args.dir, name)
    if raw:
        open(path, "wb").write(data)
    else:
        with gzip.open(path + ".gz", "wb") as f:
            f.write(data)


for prefix in ["train", "t10k"]:
    labels = rng.integers(0, 10, size=args.count)
    if args.bad_label is not None:
        labels[5] = args.bad_label
    images = rng.integers(0, 64, size=(args.count, args.size, args.size))
    for c in range(10):  # class c lights up row band c
        images[labels == c, 2 * c:2 * c + 2, :] += 180
    image_bytes = idx(images)
    if args.truncate:
        image_bytes = image_bytes[:-1]
    raw = args.raw_test and prefix == "t10k"
    write(prefix + "-images-idx3-ubyte", image_bytes, raw)
    if args.cut == prefix:
        path = os.path.join(args.dir, prefix + "-images-idx3-ubyte")
        path += "" if raw else ".gz"
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) - 100)
    write(prefix + "-labels-idx1-ubyte", idx(labels), raw)
