"""``python -m fqt compile MODEL.onnx -o OUT [options]``: fqt-compile, from
the Python package.

The flags are fqt-compile's, taken from the same option lists (the
bindings' ``compile_option_schema()``), with the same meanings and defaults:
``python -m fqt compile model.onnx -o train --batch=32 --dgrad=psq:4`` writes
the executable ``fqt-compile`` would. ``python -m fqt options`` prints the
option table of docs/options.md.
"""

import argparse
import sys

from . import _fqt


def _flag_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="ONNX model -> fully quantized training "
        "program (the flags of fqt-compile)")
    parser.add_argument("model", help="the ONNX model (.onnx or .onnxtxt)")
    parser.add_argument("-o", dest="output", required=True,
                        help="the output file")
    for option in _fqt.compile_option_schema():
        flag = ("--" if len(option["flag"]) > 1 else "-") + option["flag"]
        kind, dest = option["kind"], option["attribute"]
        help_text = option["help"].replace("%", "%%")
        if kind == "Bool":
            parser.add_argument(flag, dest=dest, nargs="?", const="true",
                                choices=("true", "false", "1", "0"),
                                help=help_text)
        elif kind == "List":
            parser.add_argument(flag, dest=dest, action="append",
                                help=help_text)
        else:
            parser.add_argument(flag, dest=dest, help=help_text)
    return parser


def _size(text: str) -> int:
    size = _fqt.parse_byte_size(text)
    if size is None:
        raise ValueError(f"expected a positive size such as 16G, 512M or "
                         f"1048576, got '{text}'")
    return size


def _compile(argv) -> int:
    parser = _flag_parser("python -m fqt compile")
    args = parser.parse_args(argv)
    options = _fqt.CompileOptions()
    options.model_path = args.model
    options.output_path = args.output
    options.tool_name = "fqt"
    for option in _fqt.compile_option_schema():
        value = getattr(args, option["attribute"])
        if value is None:
            continue
        kind, flag = option["kind"], option["flag"]
        try:
            if kind == "Bool":
                value = value in ("true", "1")
            elif kind in ("Int", "Level"):
                value = int(value)
            elif kind == "Real":
                value = float(value)
            elif kind == "Size":
                value = _size(value)
            elif kind == "CommaList":
                value = [v for v in value.split(",") if v]
                if flag == "entry-points" and not {"train", "split-train"} & set(value):
                    value.append("train")
        except ValueError as error:
            parser.error(f"--{flag}={value}: {error}")
        setattr(options, option["attribute"], value)
    try:
        diagnostics = _fqt.compile_file(options)
    except _fqt.CompileError as error:
        sys.stderr.write(error.diagnostics)
        return 1
    sys.stderr.write(diagnostics)
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compile"]:
        return _compile(argv[1:])
    if argv[:1] == ["options"]:
        sys.stdout.write(_fqt.option_table())
        return 0
    sys.stderr.write("usage: python -m fqt compile MODEL -o OUT [options]\n"
                     "       python -m fqt options\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
