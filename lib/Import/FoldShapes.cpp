//===- FoldShapes.cpp - Fold the shape computations of a model ------------===//
//
// Exporters compute shapes at run time: `x.view(n, -1)` becomes Shape ->
// Gather -> Unsqueeze -> Concat -> Reshape, `expand` adds ConstantOfShape,
// Equal and Where, and ONNX's own data propagation covers only part of that.
// Once the batch size is bound every such computation has a known result,
// and training needs every tensor's shape. So the integer subgraphs whose
// inputs are known (initializers, Constants, the Shape and Size of
// statically shaped values) are evaluated here and replaced by Constants;
// shape inference then gives the tensors after them static shapes, which
// makes more Shape nodes foldable, until nothing changes.
//
// Only small integer and boolean tensors are evaluated: shape arithmetic,
// never activations.
//
//===----------------------------------------------------------------------===//

#include "FoldShapes.h"

#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using TP = ::onnx::TensorProto;

/// The most elements a folded tensor may have: shape tensors are tiny.
constexpr int64_t kMaxFoldedElements = 4096;

/// A known integer (or boolean) tensor.
struct IntTensor {
  std::vector<int64_t> dims;
  std::vector<int64_t> values;
  int32_t type = TP::INT64;

  int64_t rank() const { return dims.size(); }
  static IntTensor scalar(int64_t v, int32_t type = TP::INT64) {
    return IntTensor{{}, {v}, type};
  }
  static IntTensor vector(std::vector<int64_t> v, int32_t type = TP::INT64) {
    int64_t n = v.size();
    return IntTensor{{n}, std::move(v), type};
  }
};

bool isIntegerType(int32_t type) {
  return type == TP::INT64 || type == TP::INT32 || type == TP::BOOL ||
         type == TP::INT8 || type == TP::UINT8 || type == TP::INT16;
}

int64_t numElements(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

/// Reads an integer TensorProto (inline data only).
std::optional<IntTensor> fromProto(const TP &tensor) {
  if (!isIntegerType(tensor.data_type()) ||
      tensor.data_location() == TP::EXTERNAL)
    return std::nullopt;
  IntTensor t;
  t.type = tensor.data_type();
  t.dims.assign(tensor.dims().begin(), tensor.dims().end());
  for (int64_t d : t.dims)
    if (d < 0)
      return std::nullopt;
  int64_t n = numElements(t.dims);
  if (n > kMaxFoldedElements)
    return std::nullopt;
  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    size_t width = t.type == TP::INT64   ? 8
                   : t.type == TP::INT32 ? 4
                   : t.type == TP::INT16 ? 2
                                         : 1;
    if (raw.size() != size_t(n) * width)
      return std::nullopt;
    for (int64_t i = 0; i < n; ++i) {
      const char *p = raw.data() + i * width;
      int64_t v = 0;
      if (width == 8) {
        std::memcpy(&v, p, 8);
      } else if (width == 4) {
        int32_t w;
        std::memcpy(&w, p, 4);
        v = w;
      } else if (width == 2) {
        int16_t w;
        std::memcpy(&w, p, 2);
        v = w;
      } else {
        v = t.type == TP::INT8 ? int64_t(int8_t(*p)) : int64_t(uint8_t(*p));
      }
      t.values.push_back(v);
    }
  } else if (t.type == TP::INT64) {
    t.values.assign(tensor.int64_data().begin(), tensor.int64_data().end());
  } else {
    t.values.assign(tensor.int32_data().begin(), tensor.int32_data().end());
  }
  if (int64_t(t.values.size()) != n)
    return std::nullopt;
  return t;
}

TP toProto(const IntTensor &t) {
  TP tensor;
  tensor.set_data_type(t.type);
  for (int64_t d : t.dims)
    tensor.add_dims(d);
  for (int64_t v : t.values) {
    if (t.type == TP::INT64)
      tensor.add_int64_data(v);
    else
      tensor.add_int32_data(int32_t(v)); // INT32, BOOL, INT8, UINT8, INT16.
  }
  return tensor;
}

/// Strides of a row-major tensor.
std::vector<int64_t> stridesOf(const std::vector<int64_t> &dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (int64_t i = int64_t(dims.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

/// Numpy-style broadcast of two shapes.
std::optional<std::vector<int64_t>> broadcastShape(std::vector<int64_t> a,
                                                   std::vector<int64_t> b) {
  if (a.size() < b.size())
    std::swap(a, b);
  b.insert(b.begin(), a.size() - b.size(), 1);
  std::vector<int64_t> out(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && a[i] != 1 && b[i] != 1)
      return std::nullopt;
    out[i] = a[i] == 1 ? b[i] : a[i];
  }
  return out;
}

/// The element of `t` at the position `index` of the broadcast shape `dims`.
int64_t broadcastAt(const IntTensor &t, const std::vector<int64_t> &dims,
                    int64_t index) {
  std::vector<int64_t> outStrides = stridesOf(dims);
  std::vector<int64_t> strides = stridesOf(t.dims);
  int64_t offset = 0, lead = int64_t(dims.size()) - t.rank();
  for (int64_t i = 0; i < int64_t(dims.size()); ++i) {
    int64_t coord = (index / outStrides[i]) % std::max<int64_t>(dims[i], 1);
    if (i >= lead && t.dims[i - lead] != 1)
      offset += coord * strides[i - lead];
  }
  return t.values[offset];
}

std::optional<IntTensor>
elementwise(const std::vector<const IntTensor *> &in, int32_t type,
            int64_t (*fn)(const std::vector<int64_t> &)) {
  std::vector<int64_t> dims = in[0]->dims;
  for (size_t i = 1; i < in.size(); ++i) {
    auto b = broadcastShape(dims, in[i]->dims);
    if (!b)
      return std::nullopt;
    dims = *b;
  }
  int64_t n = numElements(dims);
  if (n > kMaxFoldedElements)
    return std::nullopt;
  IntTensor out{dims, {}, type};
  std::vector<int64_t> args(in.size());
  for (int64_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < in.size(); ++k)
      args[k] = broadcastAt(*in[k], dims, i);
    out.values.push_back(fn(args));
  }
  return out;
}

int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

const ::onnx::AttributeProto *attribute(const ::onnx::NodeProto &node,
                                        const char *name) {
  for (const ::onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t intAttribute(const ::onnx::NodeProto &node, const char *name,
                     int64_t dflt) {
  const ::onnx::AttributeProto *attr = attribute(node, name);
  return attr ? attr->i() : dflt;
}

/// Evaluates one node on known inputs; nullopt when it cannot.
class Evaluator {
public:
  std::unordered_map<std::string, IntTensor> known;
  std::unordered_map<std::string, const ::onnx::TypeProto *> types;

  std::unordered_map<std::string, std::vector<int64_t>> initializerDims;

  /// The static shape of `name`: an initializer's, or the one shape
  /// inference found.
  std::optional<std::vector<int64_t>> staticShape(const std::string &name) {
    auto init = initializerDims.find(name);
    if (init != initializerDims.end())
      return init->second;
    auto it = types.find(name);
    if (it == types.end() || !it->second->has_tensor_type() ||
        !it->second->tensor_type().has_shape())
      return std::nullopt;
    std::vector<int64_t> dims;
    for (const auto &dim : it->second->tensor_type().shape().dim()) {
      if (!dim.has_dim_value())
        return std::nullopt;
      dims.push_back(dim.dim_value());
    }
    return dims;
  }

  std::optional<IntTensor> evaluate(const ::onnx::NodeProto &node) {
    const std::string &op = node.op_type();
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      return std::nullopt;
    if (op == "Shape" || op == "Size") {
      auto dims = staticShape(node.input(0));
      if (!dims)
        return std::nullopt;
      if (op == "Size")
        return IntTensor::scalar(numElements(*dims));
      int64_t rank = dims->size();
      int64_t start = std::clamp<int64_t>(
          normalizeAxis(intAttribute(node, "start", 0), rank), 0, rank);
      int64_t end = std::clamp<int64_t>(
          normalizeAxis(intAttribute(node, "end", rank), rank), 0, rank);
      return IntTensor::vector(std::vector<int64_t>(
          dims->begin() + start, dims->begin() + std::max(start, end)));
    }
    if (op == "Constant") {
      if (const auto *value = attribute(node, "value"))
        return fromProto(value->t());
      if (const auto *value = attribute(node, "value_int"))
        return IntTensor::scalar(value->i());
      if (const auto *value = attribute(node, "value_ints"))
        return IntTensor::vector(
            std::vector<int64_t>(value->ints().begin(), value->ints().end()));
      return std::nullopt;
    }
    std::vector<const IntTensor *> in;
    for (const std::string &name : node.input()) {
      if (name.empty()) {
        in.push_back(nullptr);
        continue;
      }
      auto it = known.find(name);
      if (it == known.end())
        return std::nullopt;
      in.push_back(&it->second);
    }
    auto input = [&](size_t i) -> const IntTensor * {
      return i < in.size() ? in[i] : nullptr;
    };
    if (!input(0) && op != "ConstantOfShape")
      return std::nullopt;

    if (op == "Identity")
      return *in[0];
    if (op == "Cast") {
      int64_t to = intAttribute(node, "to", TP::INT64);
      if (!isIntegerType(int32_t(to)))
        return std::nullopt;
      IntTensor out = *in[0];
      out.type = int32_t(to);
      if (to == TP::BOOL)
        for (int64_t &v : out.values)
          v = v != 0;
      return out;
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" ||
        op == "Equal" || op == "Less" || op == "Greater" || op == "Max" ||
        op == "Min" || op == "And" || op == "Or" || op == "Mod") {
      if (in.size() != 2 || !in[1])
        return std::nullopt;
      bool compare = op == "Equal" || op == "Less" || op == "Greater";
      int32_t type = compare ? int32_t(TP::BOOL) : in[0]->type;
      int64_t (*fn)(const std::vector<int64_t> &) = nullptr;
      if (op == "Add")
        fn = [](const std::vector<int64_t> &a) { return a[0] + a[1]; };
      else if (op == "Sub")
        fn = [](const std::vector<int64_t> &a) { return a[0] - a[1]; };
      else if (op == "Mul")
        fn = [](const std::vector<int64_t> &a) { return a[0] * a[1]; };
      else if (op == "Div" || op == "Mod") {
        for (int64_t v : in[1]->values)
          if (v == 0)
            return std::nullopt;
        // ONNX's integer Div truncates; Mod (fmod = 0) takes the divisor's
        // sign, as Python's % does.
        fn = op == "Div"
                 ? +[](const std::vector<int64_t> &a) { return a[0] / a[1]; }
                 : +[](const std::vector<int64_t> &a) {
                     int64_t r = a[0] % a[1];
                     return (r != 0 && ((r < 0) != (a[1] < 0))) ? r + a[1] : r;
                   };
        if (op == "Mod" && intAttribute(node, "fmod", 0) != 0)
          return std::nullopt;
      } else if (op == "Equal")
        fn = [](const std::vector<int64_t> &a) {
          return int64_t(a[0] == a[1]);
        };
      else if (op == "Less")
        fn = [](const std::vector<int64_t> &a) { return int64_t(a[0] < a[1]); };
      else if (op == "Greater")
        fn = [](const std::vector<int64_t> &a) { return int64_t(a[0] > a[1]); };
      else if (op == "Max")
        fn = [](const std::vector<int64_t> &a) { return std::max(a[0], a[1]); };
      else if (op == "Min")
        fn = [](const std::vector<int64_t> &a) { return std::min(a[0], a[1]); };
      else if (op == "And")
        fn = [](const std::vector<int64_t> &a) {
          return int64_t(a[0] && a[1]);
        };
      else
        fn = [](const std::vector<int64_t> &a) {
          return int64_t(a[0] || a[1]);
        };
      return elementwise(in, type, fn);
    }
    if (op == "Neg" || op == "Abs" || op == "Not") {
      IntTensor out = *in[0];
      for (int64_t &v : out.values)
        v = op == "Neg" ? -v : op == "Abs" ? std::abs(v) : int64_t(!v);
      return out;
    }
    if (op == "Where") {
      if (in.size() != 3 || !in[1] || !in[2])
        return std::nullopt;
      return elementwise(in, in[1]->type, [](const std::vector<int64_t> &a) {
        return a[0] ? a[1] : a[2];
      });
    }
    if (op == "Unsqueeze" || op == "Squeeze") {
      IntTensor out = *in[0];
      std::vector<int64_t> axes;
      if (input(1))
        axes = in[1]->values;
      if (op == "Squeeze") {
        std::vector<int64_t> dims;
        for (int64_t i = 0; i < out.rank(); ++i) {
          bool listed =
              axes.empty()
                  ? out.dims[i] == 1
                  : std::count(axes.begin(), axes.end(), i) ||
                        std::count(axes.begin(), axes.end(), i - out.rank());
          if (!listed)
            dims.push_back(out.dims[i]);
        }
        out.dims = dims;
        return out;
      }
      int64_t rank = out.rank() + axes.size();
      std::vector<int64_t> normalized;
      for (int64_t a : axes)
        normalized.push_back(normalizeAxis(a, rank));
      std::vector<int64_t> dims;
      for (int64_t i = 0, j = 0; i < rank; ++i)
        dims.push_back(std::count(normalized.begin(), normalized.end(), i)
                           ? 1
                           : out.dims[j++]);
      out.dims = dims;
      return out;
    }
    if (op == "Gather") {
      if (!input(1))
        return std::nullopt;
      int64_t axis =
          normalizeAxis(intAttribute(node, "axis", 0), in[0]->rank());
      if (in[0]->rank() != 1 || axis != 0)
        return std::nullopt;
      int64_t size = in[0]->dims[0];
      IntTensor out{in[1]->dims, {}, in[0]->type};
      for (int64_t idx : in[1]->values) {
        int64_t i = idx < 0 ? idx + size : idx;
        if (i < 0 || i >= size)
          return std::nullopt;
        out.values.push_back(in[0]->values[i]);
      }
      return out;
    }
    if (op == "Concat") {
      if (in[0]->rank() != 1)
        return std::nullopt;
      IntTensor out{{0}, {}, in[0]->type};
      for (const IntTensor *t : in) {
        if (!t || t->rank() != 1)
          return std::nullopt;
        out.values.insert(out.values.end(), t->values.begin(), t->values.end());
      }
      out.dims = {int64_t(out.values.size())};
      return out;
    }
    if (op == "Slice") {
      if (in[0]->rank() != 1 || !input(1) || !input(2))
        return std::nullopt;
      if (input(3) && (in[3]->values.size() != 1 ||
                       normalizeAxis(in[3]->values[0], 1) != 0))
        return std::nullopt;
      int64_t size = in[0]->dims[0];
      int64_t step = input(4) ? in[4]->values.at(0) : 1;
      if (step == 0 || in[1]->values.size() != 1 || in[2]->values.size() != 1)
        return std::nullopt;
      int64_t start = in[1]->values[0], end = in[2]->values[0];
      start = start < 0 ? start + size : start;
      end = end < 0 ? end + size : end;
      IntTensor out{{0}, {}, in[0]->type};
      if (step > 0) {
        start = std::clamp<int64_t>(start, 0, size);
        end = std::clamp<int64_t>(end, 0, size);
        for (int64_t i = start; i < end; i += step)
          out.values.push_back(in[0]->values[i]);
      } else {
        start = std::clamp<int64_t>(start, -1, size - 1);
        end = std::clamp<int64_t>(end, -1, size - 1);
        for (int64_t i = start; i > end; i += step)
          out.values.push_back(in[0]->values[i]);
      }
      out.dims = {int64_t(out.values.size())};
      return out;
    }
    if (op == "Range") {
      if (!input(1) || !input(2))
        return std::nullopt;
      int64_t start = in[0]->values.at(0), limit = in[1]->values.at(0),
              delta = in[2]->values.at(0);
      if (delta == 0)
        return std::nullopt;
      int64_t n = std::max<int64_t>(
          0, (limit - start + delta + (delta > 0 ? -1 : 1)) / delta);
      if (n > kMaxFoldedElements)
        return std::nullopt;
      IntTensor out{{n}, {}, in[0]->type};
      for (int64_t i = 0; i < n; ++i)
        out.values.push_back(start + i * delta);
      return out;
    }
    if (op == "ConstantOfShape") {
      if (!input(0))
        return std::nullopt;
      IntTensor value = IntTensor::scalar(0, TP::FLOAT);
      if (const auto *attr = attribute(node, "value")) {
        std::optional<IntTensor> v = fromProto(attr->t());
        if (!v || v->values.size() != 1)
          return std::nullopt;
        value = *v;
      } else {
        return std::nullopt; // The default is a float zero: not shape data.
      }
      int64_t n = numElements(in[0]->values);
      if (n > kMaxFoldedElements)
        return std::nullopt;
      return IntTensor{in[0]->values, std::vector<int64_t>(n, value.values[0]),
                       value.type};
    }
    if (op == "Expand") {
      if (!input(1))
        return std::nullopt;
      std::optional<std::vector<int64_t>> dims =
          broadcastShape(in[0]->dims, in[1]->values);
      if (!dims || numElements(*dims) > kMaxFoldedElements)
        return std::nullopt;
      IntTensor out{*dims, {}, in[0]->type};
      for (int64_t i = 0, n = numElements(*dims); i < n; ++i)
        out.values.push_back(broadcastAt(*in[0], *dims, i));
      return out;
    }
    if (op == "Reshape") {
      if (!input(1))
        return std::nullopt;
      std::vector<int64_t> dims = in[1]->values;
      int64_t total = numElements(in[0]->dims), known = 1, infer = -1;
      for (size_t i = 0; i < dims.size(); ++i) {
        if (dims[i] == 0 && intAttribute(node, "allowzero", 0) == 0)
          dims[i] = i < in[0]->dims.size() ? in[0]->dims[i] : 0;
        if (dims[i] == -1)
          infer = i;
        else
          known *= dims[i];
      }
      if (infer >= 0)
        dims[infer] = known ? total / known : 0;
      if (numElements(dims) != total)
        return std::nullopt;
      return IntTensor{dims, in[0]->values, in[0]->type};
    }
    return std::nullopt;
  }
};

} // namespace

bool fqt::detail::foldShapeComputations(::onnx::ModelProto &model) {
  ::onnx::GraphProto *graph = model.mutable_graph();
  Evaluator evaluator;
  for (const TP &init : graph->initializer()) {
    evaluator.initializerDims[init.name()].assign(init.dims().begin(),
                                                  init.dims().end());
    if (std::optional<IntTensor> t = fromProto(init))
      evaluator.known[init.name()] = *t;
  }
  for (const auto *list :
       {&graph->input(), &graph->value_info(), &graph->output()})
    for (const ::onnx::ValueInfoProto &info : *list)
      evaluator.types[info.name()] = &info.type();

  bool changed = false;
  for (::onnx::NodeProto &node : *graph->mutable_node()) {
    if (node.output_size() != 1 || node.output(0).empty())
      continue;
    std::optional<IntTensor> result = evaluator.evaluate(node);
    if (!result)
      continue;
    evaluator.known[node.output(0)] = *result;
    if (node.op_type() == "Constant")
      continue;
    // The node becomes a Constant of its value, keeping its name and output.
    TP value = toProto(*result);
    node.clear_input();
    node.clear_attribute();
    node.set_op_type("Constant");
    node.clear_domain();
    ::onnx::AttributeProto *attr = node.add_attribute();
    attr->set_name("value");
    attr->set_type(::onnx::AttributeProto::TENSOR);
    *attr->mutable_t() = value;
    changed = true;
  }
  return changed;
}

void fqt::detail::inferShapesAndFold(::onnx::ModelProto &model) {
  ::onnx::ShapeInferenceOptions inference(/*check_type_val=*/true,
                                          /*strict_mode_val=*/1,
                                          /*data_prop_val=*/true);
  // Every round replaces at least one node, so the node count bounds it.
  for (int round = 0; round <= model.graph().node_size(); ++round) {
    model.mutable_graph()->clear_value_info();
    ::onnx::shape_inference::InferShapes(
        model, ::onnx::OpSchemaRegistry::Instance(), inference);
    if (!foldShapeComputations(model))
      break;
  }
}
