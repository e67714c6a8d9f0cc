"""setuptools driving CMake for `pip install .` (see pyproject.toml).

The extension fqt._fqt is the CMake target `_fqt`; it is built with the
interpreter that runs pip, and copied into the package with the runtime's
archives (fqt/runtime/), where the compile driver looks for them.
"""

import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))

# What the package needs from the build: the extension, and the archives a
# training executable links (the MPI one where MPI is installed).
TARGETS = ["_fqt", "fqt_runtime", "fqt_runtime_main", "fqt_cuda_runtime",
           "fqt_runtime_onnx_proto"]
RUNTIME_ARCHIVES = ["libfqt_runtime.a", "libfqt_runtime_main.a",
                    "libfqt_runtime_mpi.a", "libfqt_cuda_runtime.a",
                    "libonnx_proto.a"]


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def run(self):
        build_dir = os.environ.get("FQT_BUILD_DIR") or os.path.join(
            os.path.abspath(self.build_temp), "cmake")
        onnx_prefix = subprocess.run(
            ["bash", os.path.join(ROOT, "scripts", "build-onnx.sh")],
            check=True, capture_output=True, text=True).stdout.split()[-1]
        if not os.path.exists(os.path.join(build_dir, "build.ninja")):
            subprocess.run(
                ["cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja",
                 "-DCMAKE_BUILD_TYPE=Release",
                 "-DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir",
                 f"-DPython3_EXECUTABLE={sys.executable}",
                 f"-DONNX_DIR:PATH={onnx_prefix}/lib/cmake/ONNX"],
                check=True)
        targets = list(TARGETS)
        if os.path.exists(os.path.join(build_dir, "CMakeCache.txt")) and \
                "MPI_C_FOUND:BOOL=TRUE" in open(
                    os.path.join(build_dir, "CMakeCache.txt")).read():
            targets.append("fqt_runtime_mpi")
        subprocess.run(["cmake", "--build", build_dir, "--target"] + targets,
                       check=True)
        package = os.path.join(self.build_lib, "fqt")
        os.makedirs(os.path.join(package, "runtime"), exist_ok=True)
        built = glob.glob(os.path.join(build_dir, "python_packages", "fqt",
                                       "_fqt*.so"))
        if len(built) != 1:
            raise RuntimeError(f"expected one _fqt extension in {build_dir}, "
                               f"found {built}")
        shutil.copy2(built[0], package)
        for archive in RUNTIME_ARCHIVES:
            path = os.path.join(build_dir, "lib", archive)
            if os.path.exists(path):
                shutil.copy2(path, os.path.join(package, "runtime"))


setup(ext_modules=[CMakeExtension("fqt._fqt")],
      cmdclass={"build_ext": CMakeBuild})
