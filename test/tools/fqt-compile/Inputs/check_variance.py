"""Checks --gradient-variance lines: rel_bias * |g_qat| (the norm of the
sample mean's error) within 5 standard errors sqrt(variance / N). A
gradient no quantizer touches (the last layer's bias: the sum of the exact
dY) has variance 0 and must then match exactly."""
import math
import sys

n = int(sys.argv[2])
bad = 0
for line in open(sys.argv[1]):
    if not line.startswith("gradient-variance "):
        continue
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    err = float(f["rel_bias"]) * math.sqrt(float(f["qat_norm2"]))
    bound = 5 * math.sqrt(float(f["variance"]) / n)
    ok = err <= bound
    print("%s: |mean - qat| = %.3g, bound %.3g: %s" %
          (f["param"], err, bound, "ok" if ok else "FAIL"))
    bad += not ok
sys.exit(1 if bad else 0)
