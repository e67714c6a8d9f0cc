"""Type stubs of fqt's C++ extension (python_bindings/src/: Module.cpp and its parts).

Use the documented `fqt` package; this module is its implementation.
"""
from typing import Dict, List, Optional, Tuple

import numpy as np

class CompileError(RuntimeError):
    diagnostics: str

class CompileOptions:
    """Every option of fqt-compile (compile_option_schema()): those
    fqt.compile takes under their Python names, the others under their
    flags (gpu_arch, emit, timing, ...)."""
    model_path: str
    output_path: str
    model_bytes: Optional[bytes]
    tool_name: str
    loss: str
    optimizer: str
    lr: float
    momentum: float
    beta2: float
    epsilon: float
    weight_decay: float
    act: str
    weight: str
    dgrad: str
    wgrad: str
    shared_grad: bool
    mode: str
    fp32: bool
    batch: int
    grad: str
    layers: List[str]
    entry_points: List[str]
    distributed: str
    target: str
    cpu: str
    pack_i4: bool
    opt_level: int
    max_memory: int
    emit: str
    gpu_arch: str
    cuda_root: str
    mattr: str
    openmp: bool
    min_parallel_work: int
    weights: str
    print_memory: bool
    sanitize: str
    timing: bool
    kernel_stats: bool
    v: bool
    def __init__(self) -> None: ...

def compile_option_schema() -> List[Dict[str, str]]: ...

class Trainer:
    seed: int
    lr: float
    step_count: int
    @property
    def batch_size(self) -> int: ...
    @property
    def num_classes(self) -> int: ...
    @property
    def input_shape(self) -> Tuple[int, ...]: ...
    @property
    def info(self) -> str: ...
    @property
    def loss(self) -> str: ...
    @property
    def has_qat_gradients(self) -> bool: ...
    @property
    def parameter_names(self) -> List[str]: ...
    @property
    def rank(self) -> int: ...
    @property
    def ranks(self) -> int: ...
    @property
    def comm_bytes(self) -> int: ...
    def join_mpi(self, allreduce: str, threads: int) -> None: ...
    def reset(self) -> None: ...
    def step(self, x: object, y: object, lr: Optional[float] = None) -> float: ...
    def evaluate(self, x: object, y: object) -> Tuple[float, float]: ...
    def gradients(self, x: object, y: object, seed: Optional[int] = None,
                  step: Optional[int] = None,
                  with_loss: bool = False,
                  qat: bool = False) -> Dict[str, np.ndarray]: ...
    def parameters(self) -> Dict[str, np.ndarray]: ...
    def optimizer_state(self) -> Dict[str, np.ndarray]: ...
    def set_parameters(self, values: Dict[str, object]) -> None: ...
    def save(self, path: str) -> None: ...

def compile(options: CompileOptions, seed: int) -> Trainer: ...
def emit_ir(options: CompileOptions, stage: str) -> str: ...
def compile_file(options: CompileOptions) -> str: ...
def parse_byte_size(text: str) -> Optional[int]: ...
def option_table() -> str: ...
def quantize(array: object, spec: str, seed: int, step: int,
             gamma: Optional[float], stream: int) -> Tuple[np.ndarray, ...]: ...
def dequantize(codes: object, scales: object, offsets: object, spec: str,
               transform: object) -> np.ndarray: ...
def parse_quantizer_spec(spec: str) -> Dict[str, object]: ...
def compile_stages() -> str: ...
