#!/usr/bin/env python3
"""Checks the dependency graph between fqt's libraries (docs/architecture.md).

  check_layering.py SOURCE_ROOT

For every source file of lib/<Library>/ and dialects/<Dialect>/:
  * no `#include "..."` names a header that lives in another library's
    directory under lib/ (headers under lib/ are private to their library);
  * every public header it includes (include/fqt/<Dir>/..., dialects/<D>/...)
    belongs to a library in ALLOWED[<Library>]: the graph of the docs.
Prints the graph found and one line per violation; exits 1 on any.
"""

import os
import re
import sys

# Library -> the public header directories it may include (fqt/<Dir> of
# include/, FQT and ONNX of dialects/). Lower layers first.
ALLOWED = {
    "FQT": {"FQT"},
    "ONNX": {"ONNX"},
    "Import": {"fqt/Import", "ONNX"},
    "Training": {"fqt/Training", "FQT", "ONNX"},
    "Quantize": {"fqt/Quantize", "FQT"},
    "Conversion": {"fqt/Conversion", "FQT", "ONNX"},
    "Codegen": {"fqt/Codegen", "FQT"},
    "Target": {"fqt/Target", "fqt/Codegen", "FQT"},
    "Pipelines": {"fqt/Pipelines", "fqt/Codegen", "fqt/Conversion",
                  "fqt/Quantize", "fqt/Target", "fqt/Training", "FQT"},
    "Driver": {"fqt/Driver", "fqt/Pipelines", "fqt/Codegen", "fqt/Conversion",
               "fqt/Quantize", "fqt/Target", "fqt/Training", "fqt/Import",
               "fqt/Runtime", "FQT", "ONNX"},
    # The runtime of compiled programs: no MLIR, and of the compiler's
    # headers only the ONNX protobuf messages (for --save).
    "Runtime": {"fqt/Runtime", "fqt/Import/ONNXProto.h"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def public_group(header):
    parts = header.split("/")
    if parts[0] == "fqt" and len(parts) > 2:
        return "fqt/" + parts[1]
    if parts[0] in ("FQT", "ONNX") and len(parts) > 1:
        return parts[0]
    return None


def main():
    root = sys.argv[1]
    sources = []
    for top, libraries in (("lib", None), ("dialects", None)):
        base = os.path.join(root, top)
        for library in sorted(os.listdir(base)):
            directory = os.path.join(base, library)
            if not os.path.isdir(directory):
                continue
            for dirpath, _, files in os.walk(directory):
                for name in files:
                    if name.endswith((".cpp", ".h", ".c")):
                        sources.append((library, os.path.join(dirpath, name)))
    private = {}
    for library, path in sources:
        if path.endswith(".h"):
            private[os.path.realpath(path)] = library
    graph, violations = {}, []
    for library, path in sources:
        text = open(path, encoding="utf-8").read()
        for header in INCLUDE.findall(text):
            local = os.path.realpath(os.path.join(os.path.dirname(path), header))
            owner = private.get(local)
            if owner is None:
                # A header of another library's directory named from the
                # root of lib/ or dialects/ (not the public include dirs).
                for top in ("lib", "dialects"):
                    candidate = os.path.realpath(os.path.join(root, top, header))
                    if candidate in private and not os.path.exists(
                            os.path.join(root, "include", header)):
                        owner = private[candidate]
            if owner is not None and owner != library and not (
                    header.startswith(("FQT/", "ONNX/"))):
                violations.append(f"{path}: includes {header}, private to "
                                  f"lib/{owner}")
                continue
            group = public_group(header)
            if group is None:
                continue
            graph.setdefault(library, set()).add(group)
            allowed = ALLOWED.get(library, set())
            if group not in allowed and header not in allowed:
                violations.append(f"{path}: includes {header}: {library} may "
                                  f"not depend on {group}")
    for library in sorted(graph):
        print(f"{library}: {' '.join(sorted(graph[library]))}")
    for violation in violations:
        print("VIOLATION: " + violation)
    print(f"{len(violations)} violations")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
