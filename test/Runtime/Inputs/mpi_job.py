"""Checks of data-parallel training executables (fqt-compile --distributed=mpi).

  mpi_job.py compare A.onnx B.onnx RTOL
      The initializers of the two models agree within RTOL relative to each
      tensor's largest magnitude; prints the worst one.
  mpi_job.py kill-resume WORKDIR RANKS KILL_AFTER EXE [training options...]
      1. `mpirun -np RANKS EXE OPTIONS --save=straight.onnx`.
      2. The same with --checkpoint-every=1 in the background; once the
         checkpoint holds step KILL_AFTER or later, one rank (not rank 0's
         process, the last one mpirun started) gets SIGKILL. The job must
         end, non-zero, within 60 s, and leave no --save output.
      3. The same with --resume: its saved model must be the bytes of 1's.
The command that starts a job is $MPIRUN (default `mpirun --oversubscribe`).
"""

import os
import shlex
import signal
import struct
import subprocess
import sys
import time


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def mpirun(ranks):
    return shlex.split(os.environ.get("MPIRUN", "mpirun --oversubscribe")) + [
        "-np", str(ranks)]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def compare(a, b, rtol):
    import onnx
    from onnx import numpy_helper
    import numpy as np

    left = {i.name: numpy_helper.to_array(i) for i in onnx.load(a).graph.initializer}
    right = {i.name: numpy_helper.to_array(i) for i in onnx.load(b).graph.initializer}
    if left.keys() != right.keys():
        fail("the models have different initializers")
    worst, worst_name = 0.0, ""
    for name, x in left.items():
        y = right[name]
        scale = max(float(np.abs(x).max()), 1e-30)
        error = float(np.abs(x.astype(np.float64) - y).max()) / scale
        if error > worst:
            worst, worst_name = error, name
    if worst > rtol:
        fail("%s differs by %.3g relative (more than %g)" % (worst_name, worst, rtol))
    print("same weights within %g (worst %.2g)" % (rtol, worst))


def children(pid):
    """The processes whose parent is PID (from /proc: no procps needed)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def kill_resume(work, ranks, kill_after, exe, options):
    os.makedirs(work, exist_ok=True)
    options = options + ["--quiet"]
    straight = os.path.join(work, "straight.onnx")
    job = mpirun(ranks)
    done = subprocess.run(job + [exe] + options + ["--save=" + straight],
                          capture_output=True, text=True)
    if done.returncode != 0:
        fail("the uninterrupted job exited %d:\n%s" % (done.returncode, done.stderr))

    ck = os.path.join(work, "ck")
    killed_out = os.path.join(work, "killed.onnx")
    proc = subprocess.Popen(job + [exe] + options + [
        "--checkpoint=" + ck, "--checkpoint-every=1", "--save=" + killed_out],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def checkpoint_step():
        try:
            return struct.unpack_from("<q", read(ck), 8 + 4 + 8)[0]
        except (OSError, struct.error):
            return -1

    deadline = time.monotonic() + 60
    while checkpoint_step() < kill_after:
        if proc.poll() is not None or time.monotonic() > deadline:
            fail("the job ended (status %s) before writing a checkpoint"
                 % proc.returncode)
        time.sleep(0.001)
    ranks_started = sorted(children(proc.pid))
    if len(ranks_started) < 2:
        fail("expected the ranks as children of mpirun, found %s" % ranks_started)
    os.kill(ranks_started[-1], signal.SIGKILL)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("the job did not end within 60 s of a rank's death")
    if proc.returncode == 0:
        fail("the job exited 0 although a rank was killed")
    if os.path.exists(killed_out):
        fail("the killed job wrote " + killed_out)
    print("killed a rank after step %d: the job ended, status non-zero, within 60 s"
          % checkpoint_step())

    resumed = subprocess.run(job + [exe] + options + [
        "--resume=" + ck, "--save=" + killed_out], capture_output=True, text=True)
    if resumed.returncode != 0:
        fail("the resumed job exited %d:\n%s" % (resumed.returncode, resumed.stderr))
    if read(killed_out) != read(straight):
        fail("the resumed job's weights differ from the uninterrupted job's")
    print("resumed: the uninterrupted job's weights, identical bytes")


def main():
    if sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif sys.argv[1] == "kill-resume":
        kill_resume(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5],
                    sys.argv[6:])
    else:
        fail("unknown command " + sys.argv[1])


if __name__ == "__main__":
    main()
