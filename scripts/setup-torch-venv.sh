#!/usr/bin/env bash
# Makes a virtual environment with a current PyTorch from PyPI (torch,
# torchvision, onnxscript, onnx) for the model zoo's dynamo exporter
# (scripts/zoo/export.py --exporter=dynamo needs torch >= 2.5). The default
# test run never uses it: it runs on Debian's torch 1.13.
#
#   scripts/setup-torch-venv.sh            # venv in $FQT_TORCH_VENV
#   $FQT_TORCH_VENV/bin/python -c 'import torch; print(torch.__version__)'
#
# FQT_TORCH_VENV defaults to ~/.cache/fqt/venv-torch. The venv is made from
# Debian's /usr/bin/python3 without --system-site-packages: with them pip
# takes Debian's torchvision 0.14 and torch 1.13 as already installed, and
# the PyPI onnx's numpy 2 breaks Debian's compiled modules. numpy and pillow
# come from PyPI too.
#
# PyPI's Linux torch wheel is the CUDA build, whose dependencies are
# gigabytes of nvidia-* and cuda-* wheels and triton. The script first
# installs torch with --no-deps plus its pure-Python dependencies (sympy,
# networkx, jinja2, filelock, fsspec, typing-extensions); if that torch does
# not import, it installs torch's dependencies after all. Measured with torch
# 2.14.1: the CUDA build links libcufile, libcusparseLt and libnvshmem_host
# (and cudart, cublas, cudnn, ... which a CUDA toolkit on the library path
# may provide), so --no-deps alone does not import, even on the CPU.
# FQT_TORCH_FULL=1 skips the attempt. FQT_TORCHVISION_VERSION pins
# torchvision (default: the newest); torch is then the version it requires.
#
# Idempotent: a venv whose torch, torchvision and onnxscript import and
# whose torch is at least 2.5 is left as it is.
set -euo pipefail

VENV=${FQT_TORCH_VENV:-$HOME/.cache/fqt/venv-torch}
PY=$VENV/bin/python

check() {
  "$PY" - <<'EOF'
import torch, torchvision, onnxscript, onnx
major, minor = (int(v) for v in torch.__version__.split(".")[:2])
assert (major, minor) >= (2, 5), torch.__version__
print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
      f"onnxscript {onnxscript.__version__}, onnx {onnx.__version__}")
EOF
}

if [[ -x $PY ]] && check 2>/dev/null; then
  echo "setup-torch-venv: $VENV is ready"
  exit 0
fi

if [[ ! -x $PY ]]; then
  echo "setup-torch-venv: creating $VENV"
  mkdir -p "$(dirname "$VENV")"
  /usr/bin/python3 -m venv "$VENV"
fi
PIP=("$PY" -m pip install --disable-pip-version-check --no-input -q)

# torchvision first, without dependencies: it names the torch it was built
# against (torch==X.Y.Z), which is then installed.
vision=torchvision${FQT_TORCHVISION_VERSION:+==$FQT_TORCHVISION_VERSION}
echo "setup-torch-venv: installing $vision"
"${PIP[@]}" --no-deps "$vision"
torch_req=$("$PY" - <<'EOF'
import importlib.metadata as md, re
for req in md.requires("torchvision") or []:
    m = re.match(r"torch\s*\(?\s*(==|>=)\s*(\d+)\.(\d+)", req)
    if m:
        # ==X.Y.Z as it is; >=X.Y.Z as X.Y.* (torchvision's C++ operators
        # are built against one minor version of torch).
        print(re.sub(r"[ ()]", "", req.split(";")[0]) if m.group(1) == "=="
              else f"torch=={m.group(2)}.{m.group(3)}.*")
        break
else:
    print("torch")
EOF
)
echo "setup-torch-venv: installing $torch_req"
# torch's pure-Python dependencies (Debian's sympy is too old for it).
"${PIP[@]}" "sympy>=1.13.3" mpmath networkx jinja2 markupsafe filelock \
  fsspec "typing-extensions>=4.10" "setuptools>=77" numpy pillow
if [[ ${FQT_TORCH_FULL:-0} != 1 ]]; then
  "${PIP[@]}" --no-deps "$torch_req"
  if ! "$PY" -c "import torch" 2>/dev/null; then
    # The CUDA build links libraries (libcufile, libcusparseLt, libnvshmem,
    # and without a CUDA toolkit on the library path cudart, cublas, cudnn
    # ...) that only its nvidia-* dependencies provide.
    echo "setup-torch-venv: torch without its dependencies does not import" \
         "($("$PY" -c "import torch" 2>&1 | tail -1)); installing them"
    FQT_TORCH_FULL=1
  fi
fi
if [[ ${FQT_TORCH_FULL:-0} == 1 ]]; then
  "${PIP[@]}" "$torch_req"
fi
# onnxscript (the dynamo exporter's op library) with its dependencies:
# onnx, onnx-ir, ml-dtypes, packaging.
"${PIP[@]}" onnxscript onnx
check
