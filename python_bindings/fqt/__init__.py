"""fqt: fully quantized training of ONNX models, from Python.

The same compiler as the ``fqt-compile`` tool (lib/Driver), run in this
process: a model is compiled into a shared library whose C entry points
(include/fqt/Runtime/Model.h) are called on numpy arrays.

    >>> import fqt, numpy as np
    >>> trainer = fqt.compile("examples/fashion-mnist/mlp.onnx", batch=64,
    ...                       dgrad="psq:4", lr=0.1)
    >>> loss = trainer.step(x, y)            # x: (64, 1, 28, 28) f32, y: (64,)
    >>> loss, accuracy = trainer.evaluate(x_test, y_test)
    >>> grads = trainer.gradients(x, y)      # {"fc1.weight": array, ...}
    >>> trainer.save("trained.onnx")

A ``torch.nn.Module`` works too, with an example input: it is exported to
ONNX in this process with the installed PyTorch (training mode, opset 17)
and its parameters keep their ``named_parameters()`` names:

    >>> trainer = fqt.compile(net, torch.randn(32, 3, 32, 32), fp32=True)

and the compiled quantizers on their own:

    >>> codes, scales, offsets = fqt.quantize(g, "psq:4", seed=1, step=0)
    >>> g_hat = fqt.dequantize(codes, scales, offsets, "psq:4")

Quantizer specs are ``none`` or ``KIND:BITS``: ``ptq`` (per tensor), ``psq``
(per sample/row), ``bhq`` (block Householder), ``percol`` (per column),
``lbt`` (Kim et al.'s clipped interval, whose per-layer gamma the trainer
keeps in :meth:`Trainer.optimizer_state`), and for :func:`quantize` also
``act``, ``weight``, an optional
``:nearest``/``:stochastic`` rounding suffix, or a full attribute such as
``#fqt.psq<bits = 4>``. See docs/quantizers.md for their definitions.
"""

from __future__ import annotations

import copy
import inspect
import io
import math
import numbers
import os
import re
import sys
from typing import Dict, Iterable, Optional, Tuple, Union

import numpy as np

from . import _fqt
from ._fqt import CompileError

__all__ = [
    "CompileError",
    "Trainer",
    "compile",
    "dequantize",
    "export_torch",
    "ir",
    "quantize",
    "LOSSES",
    "OPTIMIZERS",
    "MODES",
    "STAGES",
    "ENTRY_POINTS",
]

#: A model: a path to an ONNX file (``.onnx``, or ``.onnxtxt`` in the ONNX
#: text syntax) or the bytes of a serialized ONNX ModelProto.
ModelLike = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]
ArrayLike = Union[np.ndarray, "Iterable[float]", float]

#: The opset a torch.nn.Module is exported at: the newest fqt imports.
TORCH_EXPORT_OPSET = 17

LOSSES = ("softmax-cross-entropy", "mse")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adam")
MODES = ("simulate", "integer")
TARGETS = ("x86-64",)
STAGES = ("import", "training", "quantized", "linalg", "llvm")
#: The step functions a program can have (``entry_points`` of
#: :func:`compile`); train_step is always built.
ENTRY_POINTS = ("train", "eval", "grad", "qat-grad")
#: ``distributed`` of :func:`compile`: one process, or a rank of an MPI job.
DISTRIBUTED = ("none", "mpi")
#: Whether the integer products get AMX-INT8 tile kernels (``amx``).
AMX_MODES = ("auto", "on", "off", "emulate")
#: How the ranks of a job average their gradients (``allreduce``).
ALLREDUCE_MODES = ("fp32", "int8", "int4")

_SPEC = re.compile(r"^\s*([a-z]+):(\d+)(/\d+)?\s*$")


def _check_choice(name: str, value: object, choices: Tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of "
                         + ", ".join(choices))
    return value


def _check_real(name: str, value: object, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"{name} = {value} does not fit in 64 bits")
    return value


def _check_role_spec(role: str, spec: object) -> str:
    """The checks fqt-insert-quantizers makes, as ValueError up front."""
    if not isinstance(spec, str):
        raise TypeError(f"{role} must be a quantizer spec string such as "
                        f"'ptq:8' or 'none', got {type(spec).__name__}")
    if spec.strip() == "none":
        return spec
    match = _SPEC.match(spec)
    if not match:
        raise ValueError(f"malformed quantizer {spec!r} for {role}; expected "
                         "none, KIND:BITS with KIND one of ptq, psq, psqz, "
                         "bhq, percol, percolz, lbt, or KIND:BITS/SIZE with "
                         "KIND blk or rht")
    kind = match.group(1)
    if match.group(3) and kind not in ("blk", "rht"):
        raise ValueError(f"malformed quantizer {spec!r} for {role}: only blk "
                         "and rht take a block size")
    try:
        _fqt.parse_quantizer_spec(spec)
    except ValueError as error:
        raise ValueError(f"{role}: {error}") from None
    if role in ("act", "weight"):
        if kind not in ("ptq", role, "blk"):
            raise ValueError(f"quantizer {spec!r} cannot be used for {role}: "
                             "the forward roles take none, ptq:B (per tensor) "
                             "or blk:B/S")
    elif kind in ("act", "weight"):
        raise ValueError(f"quantizer {spec!r} is a forward quantizer; {role} "
                         "takes ptq, psq, psqz, bhq, percol, percolz, lbt, "
                         "blk or rht")
    return spec


def _options(model: ModelLike, *, batch: int, loss: str, optimizer: str,
             lr: float, act: str, weight: str, grad: Optional[str], dgrad: str,
             wgrad: str, mode: str, target: str, fp32: bool,
             shared_grad: bool, layers: Iterable[str], momentum: float,
             beta2: float, epsilon: float,
             weight_decay: float,
             max_memory: Optional[int] = None,
             entry_points: Iterable[str] = ENTRY_POINTS,
             pack_i4: bool = True, opt_level: int = 3,
             cpu: Optional[str] = None, distributed: str = "none",
             amx: str = "auto") -> "_fqt.CompileOptions":
    options = _fqt.CompileOptions()
    if isinstance(model, (bytes, bytearray, memoryview)):
        if len(model) == 0:
            raise ValueError("model is empty: expected the bytes of an ONNX "
                             "ModelProto")
        options.model_path = "<bytes>"
        options.model_bytes = bytes(model)
    elif isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no such model file")
        options.model_path = path
    else:
        raise TypeError("model must be a path or the bytes of an ONNX model "
                        "(or a torch.nn.Module with an example_input), got "
                        f"{type(model).__name__}")
    options.batch = _check_int("batch", batch)
    if options.batch <= 0:
        raise ValueError(f"batch must be positive, got {batch}")
    options.loss = _check_choice("loss", loss, LOSSES)
    options.optimizer = _check_choice("optimizer", optimizer, OPTIMIZERS)
    options.mode = _check_choice("mode", mode, MODES)
    options.target = _check_choice("target", target, TARGETS)
    options.lr = _check_real("lr", lr)
    options.momentum = _check_real("momentum", momentum)
    options.beta2 = _check_real("beta2", beta2)
    options.epsilon = _check_real("epsilon", epsilon)
    options.weight_decay = _check_real("weight_decay", weight_decay)
    if max_memory is not None:
        options.max_memory = _check_int("max_memory", max_memory)
        if options.max_memory <= 0:
            raise ValueError(f"max_memory must be a positive number of bytes, "
                             f"got {max_memory}")
    options.act = _check_role_spec("act", act)
    options.weight = _check_role_spec("weight", weight)
    options.dgrad = _check_role_spec("dgrad", dgrad)
    if grad is not None:
        options.grad = _check_role_spec("dgrad", grad)
    options.wgrad = _check_role_spec("wgrad", wgrad)
    if not isinstance(fp32, bool):
        raise TypeError(f"fp32 must be a bool, got {type(fp32).__name__}")
    options.fp32 = fp32
    if not isinstance(shared_grad, bool):
        raise TypeError("shared_grad must be a bool, got "
                        f"{type(shared_grad).__name__}")
    options.shared_grad = shared_grad
    if isinstance(layers, str):
        layers = [layers]
    overrides = list(layers)
    for override in overrides:
        if not isinstance(override, str):
            raise TypeError("layers must be strings NODE:ROLE=Q, got "
                            f"{type(override).__name__}")
    options.layers = overrides
    if isinstance(entry_points, str):
        entry_points = [entry_points]
    points = list(entry_points)
    for point in points:
        _check_choice("entry_points", point, ENTRY_POINTS)
    if "train" not in points:
        points.append("train")
    options.entry_points = points
    if not isinstance(pack_i4, bool):
        raise TypeError(f"pack_i4 must be a bool, got {type(pack_i4).__name__}")
    options.pack_i4 = pack_i4
    opt_level = _check_int("opt_level", opt_level)
    if not 0 <= opt_level <= 3:
        raise ValueError(f"opt_level must be 0, 1, 2 or 3, got {opt_level}")
    options.opt_level = opt_level
    if cpu is not None:
        if not isinstance(cpu, str) or not cpu:
            raise TypeError("cpu must be an LLVM CPU name such as "
                            "'x86-64-v3', got %r" % (cpu,))
        options.cpu = cpu
    options.distributed = _check_choice("distributed", distributed,
                                        DISTRIBUTED)
    options.amx = _check_choice("amx", amx, AMX_MODES)
    options.tool_name = "fqt"
    return options


#: (mean, std) of the default normalisation of uint8 pixels,
#: (x / 255 - mean) / std: Fashion-MNIST's, as the training executables'
#: ``--normalize`` default.
DEFAULT_NORMALIZE = (0.2860, 0.3530)


def _normalized(x: ArrayLike, normalize: Tuple[float, float]) -> ArrayLike:
    """uint8 pixels as the training executables read them from .npy and IDX
    files: (x / 255 - mean) / std in float32, as one multiply-add per pixel
    (lib/Runtime/Dataset.cpp); any other array unchanged."""
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8:
        return x
    mean, std = (np.float32(v) for v in normalize)
    scale = np.float32(1.0) / (np.float32(255.0) * std)
    offset = -mean / std
    return x.astype(np.float32) * scale + offset


class Trainer:
    """A compiled training program with its parameters and optimizer state.

    Made by :func:`compile`. The program is compiled for one batch size
    (:attr:`batch_size`); :meth:`step` and :meth:`gradients` take exactly one
    batch, :meth:`evaluate` any number of samples. Inputs that are
    C-contiguous arrays of the program's element type (float32 images,
    int64 labels) are passed to the compiled code without a copy; anything
    else is converted first. uint8 images are pixels: they are normalised
    with :attr:`normalize`, as the training executables normalise them.
    """

    def __init__(self, impl: "_fqt.Trainer") -> None:
        self._impl = impl
        self._normalize = DEFAULT_NORMALIZE

    @property
    def normalize(self) -> Tuple[float, float]:
        """(mean, std) with which uint8 inputs become (x / 255 - mean) / std
        (default :data:`DEFAULT_NORMALIZE`, the executables' default)."""
        return self._normalize

    @normalize.setter
    def normalize(self, value: Tuple[float, float]) -> None:
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise TypeError("normalize must be a (mean, std) pair")
        mean = _check_real("normalize mean", value[0])
        std = _check_real("normalize std", value[1], positive=True)
        self._normalize = (mean, std)

    def step(self, x: ArrayLike, y: ArrayLike, *,
             lr: Optional[float] = None) -> float:
        """Runs one ``train_step`` and returns its loss.

        Uses the current parameters and optimizer state, :attr:`step_count`
        and :attr:`seed` (the key of stochastic rounding), and the learning
        rate :attr:`lr` unless ``lr`` is given; then increments
        :attr:`step_count`.

        Args:
            x: one batch of inputs, shaped like the program's input (or any
                shape with ``batch_size`` rows of the same size).
            y: ``batch_size`` integer class indices (or one-hot float rows
                when the model's label is one-hot).
        """
        if lr is not None:
            lr = _check_real("lr", lr)
        return self._impl.step(_normalized(x, self._normalize), y, lr)

    def evaluate(self, x: ArrayLike, y: ArrayLike) -> Tuple[float, float]:
        """Mean per-sample loss and accuracy of ``eval_step`` over all of x.

        x holds N samples (any N >= 1): they run in batches of
        :attr:`batch_size`, the last one padded with zeros, and only the N
        valid rows count. y holds N class indices (or one-hot rows).
        """
        return self._impl.evaluate(_normalized(x, self._normalize), y)

    def gradients(self, x: ArrayLike, y: ArrayLike, *,
                  seed: Optional[int] = None,
                  step: Optional[int] = None) -> Dict[str, np.ndarray]:
        """Runs ``grad_step`` on one batch: the gradient of the loss with
        respect to every parameter, keyed by ONNX initializer name.

        Parameters are not updated. Stochastic rounding is keyed by ``seed``
        and ``step`` (default: :attr:`seed` and :attr:`step_count`), so the
        same key gives the same quantized gradient as the same step of
        ``train_step`` and of the executable's ``--dump-gradients``.
        """
        if seed is not None:
            seed = _check_int("seed", seed)
        if step is not None:
            step = _check_int("step", step)
            if step < 0:
                raise ValueError(f"step must be non-negative, got {step}")
        return self._impl.gradients(_normalized(x, self._normalize), y, seed,
                                    step, False, False)

    def qat_gradients(self, x: ArrayLike, y: ArrayLike, *,
                      seed: Optional[int] = None,
                      step: Optional[int] = None) -> Dict[str, np.ndarray]:
        """The QAT gradient (``qat_grad_step``): exact gradients through the
        same quantized forward pass, which the fully quantized gradient of
        :meth:`gradients` estimates without bias. Only programs that have the
        function (:attr:`has_qat_gradients`) can compute it; otherwise
        compile the model again with ``dgrad="none", wgrad="none"``."""
        if seed is not None:
            seed = _check_int("seed", seed)
        if step is not None:
            step = _check_int("step", step)
        return self._impl.gradients(_normalized(x, self._normalize), y, seed,
                                    step, False, True)

    def loss_and_gradients(
            self, x: ArrayLike, y: ArrayLike, *, seed: Optional[int] = None,
            step: Optional[int] = None) -> Tuple[float, Dict[str, np.ndarray]]:
        """Like :meth:`gradients`, and the batch's loss."""
        if seed is not None:
            seed = _check_int("seed", seed)
        if step is not None:
            step = _check_int("step", step)
        grads = self._impl.gradients(_normalized(x, self._normalize), y, seed,
                                     step, True, False)
        return grads.pop("loss"), grads

    def parameters(self) -> Dict[str, np.ndarray]:
        """The current parameters (copies), keyed by ONNX initializer name."""
        return self._impl.parameters()

    def optimizer_state(self) -> Dict[str, np.ndarray]:
        """The current training state other than parameters (copies): the
        optimizer's (none for plain SGD) and, for each lbt quantizer, its
        clipping factor ``LAYER.ROLE.lbt_gamma`` (0 until the first step
        calibrates it)."""
        return self._impl.optimizer_state()

    def set_parameters(self, values: Dict[str, ArrayLike]) -> None:
        """Overwrites the named parameters (a subset is fine). Shapes must
        match; nothing changes if any name or shape is wrong."""
        if not isinstance(values, dict):
            raise TypeError("values must be a dict of name -> array, got "
                            f"{type(values).__name__}")
        self._impl.set_parameters(values)

    def reset(self) -> None:
        """Parameters and optimizer state back to the model's initial
        values (``init``), and :attr:`step_count` to 0."""
        self._impl.reset()

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Writes the ONNX model compiled from, with the current parameters
        (and BatchNormalization running statistics) in place of its
        initializers (atomically)."""
        self._impl.save(os.fspath(path))

    @property
    def seed(self) -> int:
        """Seed of stochastic rounding (with the step, the Philox key)."""
        return self._impl.seed

    @seed.setter
    def seed(self, value: int) -> None:
        self._impl.seed = _check_int("seed", value)

    @property
    def lr(self) -> float:
        """Learning rate of :meth:`step` (initially ``compile``'s ``lr``)."""
        return self._impl.lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._impl.lr = _check_real("lr", value)

    @property
    def step_count(self) -> int:
        """Steps taken: the ``step`` input of the next train_step."""
        return self._impl.step_count

    @step_count.setter
    def step_count(self, value: int) -> None:
        self._impl.step_count = _check_int("step_count", value)

    @property
    def batch_size(self) -> int:
        """The batch size the program was compiled for."""
        return self._impl.batch_size

    @property
    def num_classes(self) -> int:
        """Classes of the model's output (0 if unknown)."""
        return self._impl.num_classes

    @property
    def input_shape(self) -> Tuple[int, ...]:
        """Shape of one batch of input."""
        return tuple(self._impl.input_shape)

    @property
    def parameter_names(self) -> Tuple[str, ...]:
        """ONNX names of the trained parameters, in the program's order."""
        return tuple(self._impl.parameter_names)

    @property
    def rank(self) -> int:
        """This process's rank in its MPI job (0 when not distributed)."""
        return self._impl.rank

    @property
    def ranks(self) -> int:
        """The ranks of the job (1 when not distributed)."""
        return self._impl.ranks

    @property
    def comm_bytes(self) -> int:
        """Bytes this rank has sent averaging gradients, in all steps."""
        return self._impl.comm_bytes

    @property
    def has_qat_gradients(self) -> bool:
        """Whether the program has ``qat_grad_step`` (:meth:`qat_gradients`)."""
        return self._impl.has_qat_gradients

    @property
    def info(self) -> str:
        """The program's ``fqt_model_info`` text (Model.h's format)."""
        return self._impl.info

    def __repr__(self) -> str:
        return (f"<fqt.Trainer batch={self.batch_size} "
                f"params={len(self.parameter_names)} step={self.step_count}>")


def _is_torch_module(model: object) -> bool:
    """Whether model is a torch.nn.Module (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def export_torch(module: "torch.nn.Module", example_input: object, *,
                 batch: Optional[int] = None,
                 opset: int = TORCH_EXPORT_OPSET) -> bytes:
    """The bytes of ``module`` exported to ONNX by the installed PyTorch.

    The TorchScript exporter (``torch.onnx.export``, ``dynamo=False`` where
    the argument exists) in training mode
    (``training=TrainingMode.TRAINING``, ``do_constant_folding=False``):
    BatchNormalization normalizes with the batch statistics, and the
    initializers keep the module's ``state_dict`` names. Dropout exported in
    training mode is random, which fqt does not train through: use p=0 or
    replace it with ``nn.Identity``. The input is named ``input`` and the
    output ``output``. With ``batch`` other than the example's first
    dimension the batch dimension is exported as dynamic. ``module`` itself
    is not changed (a copy is exported: exporting runs the model, which
    would update BatchNormalization's running statistics).
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        raise TypeError("module must be a torch.nn.Module, got "
                        f"{type(module).__name__}")
    if isinstance(example_input, np.ndarray):
        example_input = torch.from_numpy(example_input)
    if not isinstance(example_input, torch.Tensor):
        raise TypeError("example_input must be a torch.Tensor or a numpy "
                        "array (one batch of the model's single input), got "
                        f"{type(example_input).__name__}")
    if example_input.dim() == 0:
        raise ValueError("example_input must have a batch dimension")
    kwargs = {}
    if batch is not None and batch != example_input.shape[0]:
        kwargs["dynamic_axes"] = {"input": {0: "batch"},
                                  "output": {0: "batch"}}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    buffer = io.BytesIO()
    torch.onnx.export(copy.deepcopy(module), (example_input,), buffer,
                      input_names=["input"], output_names=["output"],
                      opset_version=opset,
                      training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False, **kwargs)
    return buffer.getvalue()


def compile(model: Union[ModelLike, "torch.nn.Module"],
            example_input: object = None, *, batch: Optional[int] = None,
            loss: str = "softmax-cross-entropy", optimizer: str = "sgd",
            lr: float = 0.01, act: str = "ptq:8", weight: str = "ptq:8",
            grad: Optional[str] = None, dgrad: str = "ptq:8",
            wgrad: str = "ptq:8", mode: str = "simulate",
            target: str = "x86-64", fp32: bool = False,
            shared_grad: bool = False, layers: Iterable[str] = (),
            momentum: float = 0.9, beta2: float = 0.999,
            epsilon: float = 1e-6, weight_decay: float = 0.0,
            max_memory: Optional[int] = None, seed: int = 0,
            entry_points: Iterable[str] = ENTRY_POINTS,
            pack_i4: bool = True, opt_level: int = 3,
            cpu: Optional[str] = None, distributed: str = "none",
            allreduce: str = "fp32", threads: Optional[int] = None,
            amx: str = "auto") -> Trainer:
    """Compiles ``model`` into a training program and loads it.

    ``model`` is a path to an ONNX file, the bytes of an ONNX model, or a
    ``torch.nn.Module`` with ``example_input`` (one batch of its input, a
    tensor or array), exported in this process by :func:`export_torch`
    (the installed PyTorch, training mode, opset 17; parameters keep their
    ``named_parameters()`` names). ``batch`` defaults to the example's
    first dimension for a module and to 64 otherwise.

    The options are ``fqt-compile``'s: ``batch`` (static batch size),
    ``loss`` (softmax-cross-entropy or mse), ``optimizer`` (sgd, momentum,
    nesterov, adagrad, adam) with ``lr``, ``momentum``, ``beta2``,
    ``epsilon``, ``weight_decay``; the quantizers of the four roles of each
    matrix product: ``act`` and ``weight`` (forward: none, ptq:B or
    blk:B/S), ``dgrad`` (dY for dX = dY W^T: none, ptq:B, psq:B, bhq:B,
    percol:B, lbt:B, psqz:B, percolz:B, blk:B/S, rht:B/S;
    ``grad`` is a shorthand that overrides it) and ``wgrad`` (dY for dW);
    ``shared_grad`` (quantize dY once for both), ``mode`` (simulate or
    integer), ``layers`` (overrides NODE:ROLE=Q), ``fp32`` (no quantizers),
    ``max_memory`` (bytes: refuse a program whose estimated peak memory
    exceeds it, as ``--max-memory`` does). ``seed`` is the trainer's initial :attr:`Trainer.seed`.
    ``entry_points`` are the step functions built (``--entry-points``):
    all of :data:`ENTRY_POINTS` by default, since :meth:`Trainer.gradients`
    calls grad (and with ``qat=True`` qat-grad); ``("train", "eval")``
    halves the compile time of a large model that only trains.
    ``pack_i4`` stores the codes of quantizers of at most 4 bits two per
    byte (``--pack-i4``); ``opt_level`` is LLVM's level (``--opt-level``).
    ``cpu`` is the CPU to compile for (``--mcpu``; default the host):
    ``"x86-64-v3"`` gives a program for any AVX2 machine, whose results
    equal the host's; a program started on a CPU that lacks what it was
    compiled for is refused with an error. ``amx`` (``--amx``: auto, on,
    off, emulate) adds AMX-INT8 tile kernels for the integer products, used
    where the CPU has AMX and Linux grants the tile state (same results).
    ``distributed="mpi"`` (``--distributed=mpi``) makes the trainer one rank
    of the MPI job the process was started in (``mpirun -np N python
    script.py``; MPI is initialized here unless it already is): each rank
    steps on its own batch, and every :meth:`Trainer.step` averages the
    gradients over the ranks before the update, ``allreduce`` saying how
    (fp32, int8 or int4, as the executables' ``--allreduce``; the quantized
    modes' local work on ``threads`` threads, default one per core), so
    that all ranks keep the same parameters. Which samples a rank takes is
    the script's choice (e.g. rows ``rank::ranks`` of each global batch).

    Raises:
        CompileError: the compiler rejected the model or the options; its
            ``diagnostics`` hold the compiler's messages.
        ValueError, TypeError: an option is malformed.
        FileNotFoundError: ``model`` names no file.
    """
    if _is_torch_module(model):
        if example_input is None:
            raise TypeError("compiling a torch.nn.Module needs an "
                            "example_input (one batch of its input)")
        if batch is None:
            shape = getattr(example_input, "shape", None)
            batch = int(shape[0]) if shape else None
        else:
            batch = _check_int("batch", batch)
        model = export_torch(model, example_input, batch=batch)
    elif example_input is not None:
        raise TypeError("example_input is only for a torch.nn.Module model")
    if batch is None:
        batch = 64
    options = _options(model, batch=batch, loss=loss, optimizer=optimizer,
                       lr=lr, act=act, weight=weight, grad=grad, dgrad=dgrad,
                       wgrad=wgrad, mode=mode, target=target, fp32=fp32,
                       shared_grad=shared_grad, layers=layers,
                       momentum=momentum, beta2=beta2, epsilon=epsilon,
                       weight_decay=weight_decay, max_memory=max_memory,
                       entry_points=entry_points, pack_i4=pack_i4,
                       opt_level=opt_level, cpu=cpu, distributed=distributed,
                       amx=amx)
    allreduce = _check_choice("allreduce", allreduce, ALLREDUCE_MODES)
    if threads is None:
        threads = os.cpu_count() or 1
    threads = _check_int("threads", threads)
    if threads <= 0:
        raise ValueError(f"threads must be positive, got {threads}")
    impl = _fqt.compile(options, _check_int("seed", seed))
    if distributed == "mpi":
        impl.join_mpi(allreduce, threads)
    return Trainer(impl)


def ir(model: ModelLike, stage: str, *, batch: int = 64,
       loss: str = "softmax-cross-entropy", optimizer: str = "sgd",
       lr: float = 0.01, act: str = "ptq:8", weight: str = "ptq:8",
       grad: Optional[str] = None, dgrad: str = "ptq:8", wgrad: str = "ptq:8",
       mode: str = "simulate", target: str = "x86-64", fp32: bool = False,
       shared_grad: bool = False, layers: Iterable[str] = (),
       momentum: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-6,
       weight_decay: float = 0.0) -> str:
    """The MLIR text of ``model`` after a named stage of the pipeline.

    Stages, in order: ``import`` (the onnx dialect), ``training`` (after
    fqt-build-training), ``quantized`` (after fqt-insert-quantizers),
    ``linalg`` (after fqt-convert-onnx-to-linalg; what ``fqt-compile
    --emit=mlir`` writes), ``llvm`` (after the CPU pipeline, in the LLVM
    dialect). The options are those of :func:`compile`.
    """
    stage = _check_choice("stage", stage, STAGES)
    options = _options(model, batch=batch, loss=loss, optimizer=optimizer,
                       lr=lr, act=act, weight=weight, grad=grad, dgrad=dgrad,
                       wgrad=wgrad, mode=mode, target=target, fp32=fp32,
                       shared_grad=shared_grad, layers=layers,
                       momentum=momentum, beta2=beta2, epsilon=epsilon,
                       weight_decay=weight_decay)
    return _fqt.emit_ir(options, stage)


def _check_spec(spec: object) -> str:
    if not isinstance(spec, str):
        raise TypeError("spec must be a quantizer spec string such as "
                        f"'psq:4', got {type(spec).__name__}")
    return spec


def quantize(array: ArrayLike, spec: str, seed: int = 0, step: int = 0, *,
             gamma: Optional[float] = None,
             stream: int = 0) -> Tuple[np.ndarray, ...]:
    """Quantizes ``array`` with the compiled quantizer ``spec``.

    Runs ``fqt.quantize`` lowered by fqt's CPU pipeline (JIT-compiled once
    per shape and spec, then cached). Stochastic rounding is keyed by
    ``seed``, ``step`` and ``stream`` as in a training program.

    Returns:
        ``(codes, scales)`` for symmetric quantizers (lbt),
        ``(codes, scales, offsets)`` for the others, and
        ``(codes, scales, transform)`` for rht (blk:B/S and rht:B/S block
        the last dimension; transform is rht's random signs),
        ``(codes, scales, offsets, transform)`` for bhq, where transform is
        the inverse rotation T^-1 that :func:`dequantize` applies. Codes are
        uint8 (int8 for symmetric quantizers); every element is recovered as
        ``codes * scales + offsets`` (then ``transform @`` for bhq), with
        scales per tensor (ptq, lbt, act, weight), per row (psq, bhq) or per
        column (percol).
    """
    spec = _check_spec(spec)
    seed = _check_int("seed", seed)
    step = _check_int("step", step)
    stream = _check_int("stream", stream)
    if gamma is not None:
        gamma = _check_real("gamma", gamma, positive=True)
    return _fqt.quantize(array, spec, seed, step, gamma, stream)


def dequantize(codes: ArrayLike, scales: ArrayLike,
               offsets: Optional[ArrayLike], spec: str,
               transform: Optional[ArrayLike] = None) -> np.ndarray:
    """Maps the results of :func:`quantize` back to float32 values.

    ``offsets`` is None for symmetric quantizers; ``transform`` is bhq's
    fourth result and must be None for the others.
    """
    spec = _check_spec(spec)
    return _fqt.dequantize(codes, scales, offsets, spec, transform)
