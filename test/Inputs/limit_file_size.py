"""Runs a command whose files cannot grow past BYTES: its RLIMIT_FSIZE is
set to BYTES and SIGXFSZ ignored, so that a write past the limit fails with
EFBIG as a write to a full disk fails with ENOSPC. For the tests of what
the tools do on a full disk, without mounting one.

    limit_file_size.py BYTES COMMAND [ARG...]
"""
import os
import resource
import signal
import sys

limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # inherited across exec
os.execvp(sys.argv[2], sys.argv[2:])
