"""fqt.compile's keyword arguments are fqt-compile's options.

The options are declared once, in the two option lists of the C++ sources
(include/fqt/Pipelines/TrainOptions.def, include/fqt/Driver/CompileOptions.def),
which generate fqt-compile's flags, the bindings' CompileOptions attributes and
docs/options.md. The Python signatures are written by hand (for help() and
type checkers); these tests fail when they drift from the lists.
"""

import inspect

import fqt
from fqt import _fqt

# Keywords of fqt.compile that are not compile options: the model, the
# trainer's seed, and the data-parallel job's all-reduce.
NOT_OPTIONS = {"model", "example_input", "seed", "allreduce", "threads"}

# Python defaults that differ from the command line's, on purpose.
PYTHON_DEFAULTS = {
    # A module's batch is its example's; otherwise 64, as on the command line.
    "batch": None,
    # None: not given (the command line's empty string).
    "grad": None,
    "cpu": None,
    "max_memory": None,
    # Trainer.gradients() needs grad_step, and qat=True qat_grad_step.
    "entry_points": fqt.ENTRY_POINTS,
    "layers": (),
}


def python_options():
    return {o["python"]: o for o in _fqt.compile_option_schema() if o["python"]}


def test_compile_takes_exactly_the_python_options():
    keywords = set(inspect.signature(fqt.compile).parameters) - NOT_OPTIONS
    assert keywords == set(python_options())


def test_ir_takes_a_subset_of_them():
    keywords = set(inspect.signature(fqt.ir).parameters) - {"model", "stage"}
    assert keywords <= set(python_options())


def test_defaults_are_the_command_lines():
    defaults = _fqt.CompileOptions()
    signature = inspect.signature(fqt.compile).parameters
    for name in python_options():
        expected = PYTHON_DEFAULTS.get(name, getattr(defaults, name))
        assert signature[name].default == expected, name
    for name in PYTHON_DEFAULTS:
        assert name in signature, name


def test_every_option_has_a_flag_and_help():
    for option in _fqt.compile_option_schema():
        assert option["flag"] and option["help"], option
        assert option["kind"] in ("String", "Int", "Real", "Bool", "Level",
                                  "Size", "List", "CommaList"), option
