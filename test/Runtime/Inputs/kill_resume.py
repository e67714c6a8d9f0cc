"""kill -9 in mid-epoch, then --resume: the final weights must be the bytes
of an uninterrupted run with the same seed.

  kill_resume.py [--kill-after=STEP] WORKDIR EXE [training options...]

1. EXE OPTIONS --save=WORKDIR/straight.onnx --log=WORKDIR/straight.csv
2. EXE OPTIONS --checkpoint=WORKDIR/ck --checkpoint-every=1 --save=... --log=...
   in the background; as soon as the checkpoint file exists (and holds step
   STEP or later) it gets SIGKILL.
   The process must have died of the signal (not finished), the checkpoint
   must be a mid-epoch one, and no --save output may exist.
3. EXE OPTIONS --resume=WORKDIR/ck --checkpoint=WORKDIR/ck --save=... --log=...
   The saved model, the step log and the final line (less step_ms) must equal
   those of run 1.
Prints one line per check; exits 1 on the first failure.
"""

import os
import signal
import struct
import subprocess
import sys
import time


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def final_line(text):
    lines = [l for l in text.splitlines() if l.startswith("final ")]
    if not lines:
        fail("no final line in:\n" + text)
    return lines[-1].split(" step_ms=")[0]


def run(args):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        fail(" ".join(args) + " exited %d:\n%s" % (result.returncode, result.stderr))
    return result.stdout


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    args = sys.argv[1:]
    kill_after = 1
    if args and args[0].startswith("--kill-after="):
        kill_after = int(args.pop(0).split("=", 1)[1])
    work, exe, options = args[0], args[1], args[2:]
    options = options + ["--quiet"]
    os.makedirs(work, exist_ok=True)
    ck = os.path.join(work, "ck")
    straight = run([exe] + options + ["--save=%s/straight.onnx" % work,
                                      "--log=%s/straight.csv" % work])

    killed_out = os.path.join(work, "killed.onnx")
    log = os.path.join(work, "killed.csv")
    proc = subprocess.Popen([exe] + options + [
        "--checkpoint=" + ck, "--checkpoint-every=1", "--save=" + killed_out,
        "--log=" + log], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    def checkpoint_step():
        try:
            return struct.unpack_from("<q", read(ck), 8 + 4 + 8)[0]
        except (OSError, struct.error):
            return -1

    while checkpoint_step() < kill_after:
        if proc.poll() is not None or time.monotonic() > deadline:
            fail("the run ended (status %s) before writing a checkpoint"
                 % proc.returncode)
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if proc.returncode != -signal.SIGKILL:
        fail("the run finished (status %d) before it was killed; make it longer"
             % proc.returncode)
    if os.path.exists(killed_out):
        fail("the killed run left " + killed_out)
    leftovers = [f for f in os.listdir(work) if ".tmp." in f]
    # A temporary file of the write the kill interrupted may remain; it
    # never replaces the checkpoint.
    data = read(ck)
    # Header: magic(8) version(4) epoch step rng seed threads loss, then
    # batch_in_epoch (version 2 on).
    version, epoch, step = struct.unpack_from("<Iqq", data, 8)
    batch_in_epoch, = struct.unpack_from("<q", data, 8 + 4 + 6 * 8)
    if version < 2 or batch_in_epoch <= 0:
        fail("not a mid-epoch checkpoint: version %d epoch %d batch %d"
             % (version, epoch, batch_in_epoch))
    print("killed in epoch %d after step %d (batch %d of the epoch)"
          % (epoch + 1, step, batch_in_epoch))
    for f in leftovers:
        os.unlink(os.path.join(work, f))
    with open(os.path.join(work, "killed-ck"), "wb") as f:
        f.write(data)

    resumed = run([exe] + options + [
        "--resume=" + ck, "--checkpoint=" + ck, "--save=" + killed_out,
        "--log=" + log])
    if read(killed_out) != read(os.path.join(work, "straight.onnx")):
        fail("the resumed run's weights differ from the uninterrupted run's")
    print("final weights: identical bytes")
    if read(log) != read(os.path.join(work, "straight.csv")):
        fail("the step logs differ")
    print("step log: identical")
    if final_line(resumed) != final_line(straight):
        fail("final lines differ:\n%s\n%s" % (final_line(straight),
                                             final_line(resumed)))
    print("final line: identical up to step_ms")


if __name__ == "__main__":
    main()
