"""Calls a program compiled by `fqt-compile --emit=shared` through the C ABI
of include/fqt/Runtime/Model.h, with numpy buffers (for tests)."""
import ctypes
import struct

import numpy as np

_DTYPES = {"f32": np.float32, "i64": np.int64, "i32": np.int32, "i8": np.int8}


class Slot:
    def __init__(self, direction, kind, name, dtype, shape):
        self.direction, self.kind, self.name = direction, kind, name
        self.dtype = _DTYPES[dtype]
        self.shape = () if shape == "scalar" else tuple(
            int(s) for s in shape.split("x"))


class Program:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        self.lib.fqt_model_info.restype = ctypes.c_char_p
        self.functions = {}
        current = None
        for line in self.lib.fqt_model_info().decode().splitlines():
            words = line.split()
            if words[0] == "function":
                current = self.functions.setdefault(words[1], [])
            elif words[0] in ("arg", "result"):
                current.append(Slot(*words))

    def call(self, name, **args):
        """Calls fqt_<name>; arguments by ONNX name (or kind for labels and
        hyper-parameters), results as a list of (slot, array)."""
        slots = self.functions[name]
        buffers, keep, results = [], [], []
        for slot in slots:
            if slot.kind == "workspace":
                # Scratch memory of the call, 64-byte aligned as the
                # runtime's.
                raw = np.zeros(slot.shape[0] + 64, dtype=np.int8)
                start = -raw.ctypes.data % 64
                array = raw[start:start + slot.shape[0]]
            elif slot.direction == "arg":
                value = args.get(slot.name, args.get(slot.kind))
                if value is None:
                    raise KeyError("missing argument %s" % slot.name)
                array = np.array(value, dtype=slot.dtype, order="C")
                if array.shape != slot.shape:
                    raise ValueError("%s: shape %s, expected %s" %
                                     (slot.name, array.shape, slot.shape))
            else:
                array = np.zeros(slot.shape, dtype=slot.dtype)
                results.append((slot, array))
            keep.append(array)
            buffers.append(array.ctypes.data_as(ctypes.c_void_p))
        table = (ctypes.c_void_p * len(buffers))(*[b.value for b in buffers])
        getattr(self.lib, "fqt_" + name)(table)
        return results

    def weights(self):
        """init's weights by name, from the program's fqt_weights blob
        (the layout of include/fqt/Runtime/WeightsFormat.h)."""
        if not any(slot.kind == "weight" for slot in self.functions["init"]):
            return {}
        self.lib.fqt_weights.restype = ctypes.c_void_p
        size = ctypes.c_ulong(0)
        blob = ctypes.string_at(self.lib.fqt_weights(ctypes.byref(size)),
                                size.value)
        assert blob[:8] == b"FQTWGT01", "not an fqt weights blob"
        header_size, count = struct.unpack_from("<QQ", blob, 8)
        flags = struct.unpack_from("<Q", blob, 40)[0]
        assert flags & 1, "the program's weights are in a file"
        pos, weights = 48, {}
        slots = {slot.name: slot for slot in self.functions["init"]
                 if slot.kind == "weight"}
        for _ in range(count):
            name, pos = _text(blob, pos)
            _, pos = _text(blob, pos)
            offset, nbytes = struct.unpack_from("<QQ", blob, pos)
            pos += 16
            slot = slots[name]
            start = header_size + offset
            weights[name] = np.frombuffer(
                blob[start:start + nbytes], dtype=slot.dtype).reshape(slot.shape)
        return weights

    def init(self):
        """init's results: the initial params and state."""
        return self.call("init", **self.weights())

    def initial_parameters(self):
        return {slot.name: array for slot, array in self.init()
                if slot.kind == "param"}


def _text(blob, pos):
    (n,) = struct.unpack_from("<I", blob, pos)
    return blob[pos + 4:pos + 4 + n].decode(), pos + 4 + n
