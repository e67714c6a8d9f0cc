#!/usr/bin/env python3
"""Bytes of the integer code buffers of a compiled program, one code per byte
and with 4-bit codes packed two per byte (rows padded to whole bytes).

  fqt-compile MODEL --mode=integer --dgrad=psq:4 --emit=mlir -o p.mlir
  fqt-opt p.mlir --fqt-narrow-codes | python3 benchmarks/code_bytes.py

Reads the fqt.quantize ops of every function and prints, per function, the
bytes of their code tensors as i8 and as stored by --fqt-pack-i4-buffers.
"""
import math
import re
import sys

QUANTIZE = re.compile(r"fqt\.quantize .*-> tensor<([0-9x]+)x(i[0-9]+)>")
FUNC = re.compile(r"func\.func (?:public |private )?@([\w.$]+)")


def main():
    totals = {}
    func = "?"
    for line in sys.stdin:
        m = FUNC.search(line)
        if m:
            func = m.group(1)
        m = QUANTIZE.search(line)
        if not m:
            continue
        shape = [int(d) for d in m.group(1).split("x")]
        elems = math.prod(shape)
        packed = (math.prod(shape[:-1]) * ((shape[-1] + 1) // 2)
                  if m.group(2) == "i4" else elems)
        t = totals.setdefault(func, [0, 0, 0])
        t[0] += elems
        t[1] += packed
        t[2] += m.group(2) == "i4"
    for func, (one, packed, narrow) in totals.items():
        print(f"{func}: codes {one} B as i8, {packed} B packed "
              f"({narrow} tensors of 4-bit codes)")


if __name__ == "__main__":
    main()
