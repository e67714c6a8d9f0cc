# -*- Python -*-
# lit configuration of fqt's test suite.

import os
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "FQT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnxtxt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.fqt_obj_root, "test")
config.excludes = ["Inputs", "Unit", "Fuzz", "CMakeLists.txt", "lit.cfg.py"]

llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

config.fqt_tools_dir = os.path.join(config.fqt_obj_root, "bin")
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

config.substitutions.append(("%shlibext", config.llvm_shlib_ext))
config.substitutions.append(("%mlir_lib_dir", config.mlir_lib_dir))
config.substitutions.append(("%fqt_src_root", config.fqt_src_root))
config.substitutions.append(("%fqt_obj_root", config.fqt_obj_root))
# A sanitizer build (scripts/sanitize.sh): a finding ends the process with
# a report, so a test fails on it. Python is not instrumented: it preloads
# the shared sanitizer runtime to load the bindings, and its own leaks
# (interpreter, numpy, torch) are not fqt's, so leak checking is off in it
# and in what it starts; the tools run directly by lit keep it.
sanitizers = set(filter(None, config.fqt_sanitize.split(",")))
python_command = config.python_executable
if sanitizers:
    config.available_features.update("sanitize-" + s for s in sanitizers)
    # fqt's objects see LLVM's headers compiled with ASan, whose inline
    # BumpPtrAllocator code poisons slabs that libLLVM's uninstrumented
    # copies then hand out unpoisoned: ASan's manual poisoning is off.
    config.environment["ASAN_OPTIONS"] = os.environ.get(
        "ASAN_OPTIONS",
        "malloc_context_size=8:allocator_may_return_null=1",
    ) + ":allow_user_poisoning=0"
    config.environment["UBSAN_OPTIONS"] = os.environ.get(
        "UBSAN_OPTIONS", "print_stacktrace=1")
    if "address" in sanitizers:
        runtime = os.path.join(config.fqt_sanitizer_runtime_dir,
                               "libclang_rt.asan-x86_64.so")
        python_command = ("env LD_PRELOAD=%s ASAN_OPTIONS=%s:detect_leaks=0 %s"
                          % (runtime, config.environment["ASAN_OPTIONS"],
                             config.python_executable))
# (use_default_substitutions defined %python as lit's own interpreter.)
config.substitutions = [(k, v) for k, v in config.substitutions
                        if k != "%python"]
config.substitutions.append(("%python", python_command))
# fqt-compile --sanitize=thread links clang's ThreadSanitizer runtime; the
# OpenMP tool libarcher.so tells it what libomp's barriers order.
runtime_dir = subprocess.run(["clang++-22", "-print-runtime-dir"],
                             capture_output=True, text=True).stdout.strip()
archer = os.path.join(config.llvm_lib_dir, "libarcher.so")
if (os.path.isfile(os.path.join(runtime_dir, "libclang_rt.tsan-x86_64.a"))
        and os.path.isfile(archer) and "address" not in sanitizers):
    config.available_features.add("tsan")
    config.substitutions.append(("%archer", archer))
if os.path.isfile(os.path.join(runtime_dir, "libclang_rt.asan-x86_64.a")):
    config.available_features.add("asan")
# The compiler fqt was built with, for tests that link a training program
# with build/lib/fqt-runtime-link.txt (whose flags are that compiler's).
config.substitutions.append(("%cxx", config.cxx_compiler))

tool_dirs = [config.fqt_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["fqt-opt", "fqt-import", "fqt-run", "fqt-compile", "fqt-runtime-fake-model", "mlir-runner", "mlir-translate"], tool_dirs)

# Python modules some tests need; those tests are UNSUPPORTED without them.


for module in ["onnx", "torch", "torchvision"]:
    if subprocess.call([config.python_executable, "-c", "import " + module],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
        config.available_features.add(module)

# ONNX's backend node tests (Debian's libonnx-testdata).
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("libonnx-testdata")
    config.substitutions.append(("%onnx_data", "/usr/share/libonnx-testdata/data"))

# The training runtime's end-to-end tests read Debian's dataset-fashion-mnist.
config.fashion_mnist_dir = "/usr/share/datasets/fashion-mnist"
if os.path.isfile(os.path.join(config.fashion_mnist_dir, "t10k-labels-idx1-ubyte.gz")):
    config.available_features.add("fashion-mnist")
config.substitutions.append(("%fashion_mnist", config.fashion_mnist_dir))
config.substitutions.append(("%fqt_runtime_link", os.path.join(config.fqt_obj_root, "lib", "fqt-runtime-link.txt")))
import shutil
if shutil.which("cc") and shutil.which("c++"):
    config.available_features.add("cc")

# Data-parallel training: fqt built with MPI (libfqt_runtime_mpi) and a
# launcher. %mpirun starts a job; CI runs as root, which OpenMPI refuses
# unless told, and oversubscribing lets 2 ranks share fewer cores.
if os.path.isfile(os.path.join(config.fqt_obj_root, "lib", "libfqt_runtime_mpi.a")) \
        and shutil.which("mpirun"):
    config.available_features.add("mpi")
config.environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
config.environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
# Under AddressSanitizer, OpenMPI's own allocations (its components are
# unloaded at MPI_Finalize, so not even their frames can be named) are
# reported as leaks at the ranks' exit: leak checking is off in MPI jobs.
# fqt's code in the same executables keeps it in the one-process runs.
# %mpi_env prefixes an MPI program started without mpirun (a singleton).
mpi_env = ""
if "address" in sanitizers:
    mpi_env = "env ASAN_OPTIONS=%s:detect_leaks=0 " % (
        config.environment["ASAN_OPTIONS"])
mpirun = mpi_env + "mpirun --oversubscribe"
config.environment["MPIRUN"] = mpirun
config.substitutions.append(("%mpirun", mpirun))
config.substitutions.append(("%mpi_env", mpi_env))

# `pip install .` builds the package from scratch (minutes): on request.
if os.environ.get("FQT_TEST_PIP_INSTALL") == "1":
    config.available_features.add("pip-install")

# test/Python: pytest over the `fqt` package built into build/python_packages
# (UNSUPPORTED without the bindings, pytest or numpy).
import glob
config.fqt_python_packages = os.path.join(config.fqt_obj_root, "python_packages")
config.substitutions.append(("%fqt_python_packages", config.fqt_python_packages))
config.substitutions.append(("%fqt_tools_dir", config.fqt_tools_dir))
if glob.glob(os.path.join(config.fqt_python_packages, "fqt", "_fqt*.so")):
    config.available_features.add("fqt-python")
if subprocess.call([config.python_executable, "-c", "import pytest, numpy"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("pytest")

# The GPU target: tests that assemble PTX need ptxas from the CUDA toolkit
# (found like fqt-compile finds it: $CUDA_ROOT, else /usr/local/cuda); tests
# that run kernels need a CUDA driver with a device.
cuda_root = os.environ.get("CUDA_ROOT") or "/usr/local/cuda"
ptxas = os.path.join(cuda_root, "bin", "ptxas")
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
if "CUDA_ROOT" in os.environ:
    config.environment["CUDA_ROOT"] = os.environ["CUDA_ROOT"]
try:
    import ctypes
    libcuda = ctypes.CDLL("libcuda.so.1")
    count = ctypes.c_int(0)
    if libcuda.cuInit(0) == 0 and libcuda.cuDeviceGetCount(ctypes.byref(count)) == 0 and count.value > 0:
        config.available_features.add("cuda-gpu")
except OSError:
    pass

# The host's integer units: tests that execute a kernel family run where the
# processor has it (instruction-level tests run everywhere, on llc output).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = set()
        for line in cpuinfo:
            if line.startswith("flags"):
                flags.update(line.split(":", 1)[1].split())
                break
    if {"avx512f", "avx512bw", "avx512_vnni"} <= flags:
        config.available_features.add("avx512vnni")
    if {"amx_tile", "amx_int8"} <= flags:
        config.available_features.add("amx-int8")
except OSError:
    pass
