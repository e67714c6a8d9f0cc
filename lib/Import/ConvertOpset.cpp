//===- ConvertOpset.cpp - Bring a model to the opset fqt imports ----------===//
//
// fqt's onnx dialect and everything after it speak one opset (kImportOpset,
// 17). Older models are converted up by the ONNX library's version
// converter; newer ones (18-23, what current PyTorch exports) are converted
// down by the same converter, which ONNX ships with adapters for most of the
// steps. What it lacks is added here, each adapter either proving that the
// node means the same in the older opset or refusing the model with a
// message that names the node and what cannot be expressed:
//   - ops that are new in the model's opset and defined by a function (Gelu,
//     Mish, GroupNormalization, ...) are expanded into their function body
//     first, the ONNX library's own definition of what they compute; after
//     conversion, so are the ops fqt has no operation for (CastLike, ...);
//   - steps whose changes only add element types (float8, float4, int4 and
//     strings, none of which fqt trains) restrict the types;
//   - Split's num_outputs becomes the split sizes, Pad's axes become pads
//     over every axis, and Reduce*'s axes input becomes the attribute (ONNX's
//     own adapter dereferences an absent axes input);
//   - SplitToSequence read only by SequenceAts at constant positions (the
//     dynamo exporter's torch.chunk) becomes the Split of the same parts;
//   - new attributes (Resize's antialias, AveragePool's dilations, Pad's
//     wrap mode, ...) are accepted at their default and refused otherwise.
// BatchNormalization of opsets 9-13 in training mode has five outputs, of
// which opset 14 keeps three: the two saved statistics are dropped first
// when nothing reads them (ONNX's adapter asserts on them).
//
// Runs in the worker process of PrepareModel.cpp: the ONNX library throws
// (and on malformed models may crash); every failure here throws too.
//
//===----------------------------------------------------------------------===//

#include "ConvertOpset.h"
#include "FoldShapes.h"

#include "onnx/common/ir.h"
#include "onnx/defs/function.h"
#include "onnx/defs/schema.h"
#include "onnx/defs/tensor_proto_util.h"
#include "onnx/inliner/inliner.h"
#include "onnx/shape_inference/implementation.h"
#include "onnx/version_converter/adapters/compatible.h"
#include "onnx/version_converter/adapters/type_restriction.h"
#include "onnx/version_converter/convert.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace onnx_vc = ::onnx::version_conversion;
using ::onnx::Node;
using ::onnx::Symbol;
using ::onnx::Value;
using Graph = ::onnx::Graph;

namespace {

[[noreturn]] void refuse(const Node *node, const std::string &what) {
  std::string name = node->has_name() ? node->name() : "<unnamed>";
  throw std::runtime_error("node '" + name + "' (" + node->kind().toString() +
                           "): " + what);
}

bool isAbsent(const Node *node, size_t input) {
  return input >= node->inputs().size() ||
         node->inputs()[input]->node()->kind() == ::onnx::kUndefined;
}

/// The integers of an INT64 or INT32 tensor.
std::vector<int64_t> tensorInts(const ::onnx::Tensor &t) {
  std::vector<int64_t> values;
  bool is64 = t.elem_type() == ::onnx::TensorProto::INT64;
  if (!is64 && t.elem_type() != ::onnx::TensorProto::INT32)
    throw std::runtime_error("an integer tensor was expected");
  if (t.is_raw_data()) {
    const std::string &raw = t.raw();
    size_t width = is64 ? 8 : 4;
    for (size_t i = 0; i + width <= raw.size(); i += width) {
      if (is64) {
        int64_t v;
        std::memcpy(&v, raw.data() + i, 8);
        values.push_back(v);
      } else {
        int32_t v;
        std::memcpy(&v, raw.data() + i, 4);
        values.push_back(v);
      }
    }
    return values;
  }
  if (is64)
    return t.int64s();
  return std::vector<int64_t>(t.int32s().begin(), t.int32s().end());
}

/// The values of `value` when it is a Constant's output or an initializer.
std::optional<std::vector<int64_t>> constantInts(Graph &graph, Value *value) {
  Node *producer = value->node();
  if (producer->kind() == ::onnx::kConstant) {
    if (producer->hasAttribute(::onnx::kvalue))
      return tensorInts(producer->t(::onnx::kvalue));
    if (producer->hasAttribute(Symbol("value_ints")))
      return producer->is(Symbol("value_ints"));
    if (producer->hasAttribute(Symbol("value_int")))
      return std::vector<int64_t>{producer->i(Symbol("value_int"))};
  }
  for (const ::onnx::Tensor &init : graph.initializers())
    if (init.name() == value->uniqueName())
      return tensorInts(init);
  return std::nullopt;
}

/// A new INT64 initializer holding `values`.
Value *int64Initializer(Graph &graph, const std::string &name,
                        const std::vector<int64_t> &values) {
  ::onnx::Tensor t;
  t.elem_type() = ::onnx::TensorProto::INT64;
  t.sizes() = {int64_t(values.size())};
  t.int64s() = values;
  t.setName(name);
  return graph.addInitializerAndCreateValue(t);
}

/// Removes input `index` of `node` (and the Constant producing it, once
/// nothing else reads it).
void dropInput(Node *node, size_t index) {
  Value *value = node->inputs()[index];
  node->removeInput(index);
  Node *producer = value->node();
  if (value->uses().empty() && producer->kind() == ::onnx::kConstant)
    producer->destroy();
}

/// Refuses `node` unless its attribute `name` is absent or at `dflt`, then
/// removes it (the older opset does not know it).
void requireDefaultString(Node *node, const char *name, const char *dflt,
                          const std::string &why) {
  Symbol attr(name);
  if (node->hasAttribute(attr)) {
    if (node->s(attr) != dflt)
      refuse(node, why);
    node->removeAttribute(attr);
  }
}

void requireDefaultInt(Node *node, const char *name, int64_t dflt,
                       const std::string &why) {
  Symbol attr(name);
  if (node->hasAttribute(attr)) {
    if (node->i(attr) != dflt)
      refuse(node, why);
    node->removeAttribute(attr);
  }
}

/// Reduce* 18 -> 17: the axes input becomes the attribute.
Node *reduceAxesToAttribute(std::shared_ptr<Graph> graph, Node *node) {
  Symbol noop("noop_with_empty_axes");
  bool noopWithEmptyAxes = node->hasAttribute(noop) && node->i(noop) != 0;
  if (node->hasAttribute(noop))
    node->removeAttribute(noop);
  if (isAbsent(node, 1)) {
    if (noopWithEmptyAxes)
      refuse(node, "noop_with_empty_axes = 1 without axes (an identity) has "
                   "no form in opset 17");
    if (node->inputs().size() > 1)
      node->removeInput(1);
    return node;
  }
  std::optional<std::vector<int64_t>> axes =
      constantInts(*graph, node->inputs()[1]);
  if (!axes)
    refuse(node, "its axes are computed at run time; fqt needs them constant");
  if (axes->empty() && noopWithEmptyAxes)
    refuse(node, "noop_with_empty_axes = 1 with empty axes (an identity) has "
                 "no form in opset 17");
  dropInput(node, 1);
  if (!axes->empty())
    node->is_(::onnx::kaxes, std::move(*axes));
  return node;
}

/// Split 18 -> 17: num_outputs becomes the split sizes (the last chunk is
/// the smaller one when the axis does not divide evenly).
Node *splitNumOutputsToSizes(std::shared_ptr<Graph> graph, Node *node) {
  if (!node->hasAttribute(::onnx::knum_outputs))
    return node;
  int64_t parts = node->i(::onnx::knum_outputs);
  node->removeAttribute(::onnx::knum_outputs);
  if (!isAbsent(node, 1))
    return node;
  Value *input = node->inputs()[0];
  int64_t axis = node->hasAttribute(::onnx::kaxis) ? node->i(::onnx::kaxis) : 0;
  int64_t rank = input->has_sizes() ? int64_t(input->sizes().size()) : -1;
  if (rank < 0 || axis < -rank || axis >= rank)
    refuse(node, "num_outputs needs the input's rank and the split axis");
  if (axis < 0)
    axis += rank;
  const ::onnx::Dimension &dim = input->sizes()[axis];
  if (!dim.is_int)
    refuse(node, "num_outputs needs a static size of the split axis");
  if (parts <= 0 || size_t(parts) != node->outputs().size())
    refuse(node, "num_outputs does not match the number of outputs");
  int64_t chunk = (dim.dim + parts - 1) / parts;
  std::vector<int64_t> sizes;
  for (int64_t i = 0, left = dim.dim; i < parts; ++i, left -= chunk)
    sizes.push_back(std::max<int64_t>(0, std::min(chunk, left)));
  std::string name =
      (node->has_name() ? node->name() : std::string("split")) + "/split";
  if (node->inputs().size() > 1)
    node->removeInput(1);
  node->addInput(int64Initializer(*graph, name, sizes));
  return node;
}

/// Pad 18 -> 17: the pads of the listed axes become pads over every axis.
Node *padAxesToFullPads(std::shared_ptr<Graph> graph, Node *node) {
  if (isAbsent(node, 3)) {
    if (node->inputs().size() > 3)
      node->removeInput(3);
    return node;
  }
  std::optional<std::vector<int64_t>> axes =
      constantInts(*graph, node->inputs()[3]);
  std::optional<std::vector<int64_t>> pads =
      constantInts(*graph, node->inputs()[1]);
  Value *input = node->inputs()[0];
  if (!axes || !pads || !input->has_sizes())
    refuse(node, "its axes and pads must be constant and its input ranked");
  int64_t rank = input->sizes().size();
  if (pads->size() != 2 * axes->size())
    refuse(node, "pads must hold two values per axis");
  std::vector<int64_t> full(2 * rank, 0);
  for (size_t i = 0; i < axes->size(); ++i) {
    int64_t axis = (*axes)[i] < 0 ? (*axes)[i] + rank : (*axes)[i];
    if (axis < 0 || axis >= rank)
      refuse(node, "axis " + std::to_string((*axes)[i]) + " is out of range");
    full[axis] = (*pads)[i];
    full[axis + rank] = (*pads)[i + axes->size()];
  }
  dropInput(node, 3);
  std::string name =
      (node->has_name() ? node->name() : std::string("pad")) + "/pads";
  node->replaceInput(1, int64Initializer(*graph, name, full));
  return node;
}

/// The element types that opsets 19-23 added and fqt never trains with.
const std::vector<::onnx::TensorProto_DataType> &newerOnlyTypes() {
  using TP = ::onnx::TensorProto;
  static const std::vector<::onnx::TensorProto_DataType> types = {
      TP::FLOAT8E4M3FN, TP::FLOAT8E4M3FNUZ, TP::FLOAT8E5M2, TP::FLOAT8E5M2FNUZ,
      TP::UINT4,        TP::INT4,           TP::FLOAT4E2M1};
  return types;
}

/// The default converter plus the adapters it lacks.
class OpsetConverter final : public onnx_vc::DefaultVersionConverter {
public:
  OpsetConverter() {
    using ::onnx::OpSetID;
    using onnx_vc::TypeRestriction;
    for (const char *op : {"ReduceL1", "ReduceL2", "ReduceLogSum",
                           "ReduceLogSumExp", "ReduceMax", "ReduceMean",
                           "ReduceMin", "ReduceProd", "ReduceSumSquare"})
      registerAdapter(op, 18, 17, reduceAxesToAttribute);
    registerAdapter("Split", 18, 17, splitNumOutputsToSizes);
    registerAdapter("Pad", 18, 17, padAxesToFullPads);
    registerAdapter("Resize", 18, 17, [](std::shared_ptr<Graph>, Node *node) {
      requireDefaultInt(node, "antialias", 0,
                        "antialiased resizing has no form in opset 17");
      requireDefaultString(node, "keep_aspect_ratio_policy", "stretch",
                           "keep_aspect_ratio_policy other than 'stretch' "
                           "has no form in opset 17");
      if (node->hasAttribute(::onnx::kaxes))
        refuse(node, "resizing a subset of the axes has no form in opset 17");
      return node;
    });
    for (const char *op : {"ScatterND", "ScatterElements"})
      registerAdapter(op, 18, 17, [](std::shared_ptr<Graph>, Node *node) {
        Symbol reduction("reduction");
        if (node->hasAttribute(reduction) &&
            (node->s(reduction) == "max" || node->s(reduction) == "min"))
          refuse(node, "reduction '" + node->s(reduction) +
                           "' has no form in opset 17");
        return node;
      });
    registerAdapter("LpPool", 18, 17, [](std::shared_ptr<Graph>, Node *node) {
      requireDefaultInt(node, "ceil_mode", 0,
                        "ceil_mode = 1 has no form in opset 17");
      return node;
    });

    // 19 -> 18.
    for (const char *op : {"Equal", "Cast", "CastLike", "Constant", "Identity",
                           "If", "Loop", "Scan", "Reshape", "Shape", "Size",
                           "DequantizeLinear", "QuantizeLinear"})
      addIfMissing(std::make_unique<TypeRestriction>(
          op, OpSetID(19), OpSetID(18), newerOnlyTypes()));
    addIfMissing("Pad", 19, 18, [](std::shared_ptr<Graph>, Node *node) {
      if (node->hasAttribute(::onnx::kmode) && node->s(::onnx::kmode) == "wrap")
        refuse(node, "mode 'wrap' has no form in opset 18");
      return node;
    });
    addIfMissing("AveragePool", 19, 18, [](std::shared_ptr<Graph>, Node *node) {
      if (node->hasAttribute(::onnx::kdilations)) {
        for (int64_t d : node->is(::onnx::kdilations))
          if (d != 1)
            refuse(node, "dilated average pooling has no form "
                         "in opset 18");
        node->removeAttribute(::onnx::kdilations);
      }
      return node;
    });
    addIfMissing("Resize", 19, 18, [](std::shared_ptr<Graph>, Node *node) {
      if (node->hasAttribute(::onnx::kcoordinate_transformation_mode) &&
          node->s(::onnx::kcoordinate_transformation_mode) ==
              "half_pixel_symmetric")
        refuse(node, "coordinate_transformation_mode 'half_pixel_symmetric' "
                     "has no form in opset 18");
      return node;
    });
    // 20 -> 19.
    addIfMissing(std::make_unique<TypeRestriction>(
        "ConstantOfShape", OpSetID(20), OpSetID(19), newerOnlyTypes()));
    // 23 -> 22, 24 -> 23: element types only.
    for (int64_t from : {23, 24})
      for (const char *op :
           {"Cast", "CastLike", "Constant", "ConstantOfShape",
            "DequantizeLinear", "Flatten", "Identity", "If", "Loop", "Pad",
            "QuantizeLinear", "Reshape", "Scan", "Shape", "Size", "Squeeze",
            "Transpose", "Unsqueeze"})
        addIfMissing(std::make_unique<TypeRestriction>(
            op, OpSetID(from), OpSetID(from - 1), newerOnlyTypes()));

    // Opsets 9-13 mark training by BatchNormalization's extra outputs,
    // opset 14 by an attribute.
    registerAdapter("BatchNormalization", 13, 14,
                    [](std::shared_ptr<Graph>, Node *node) {
                      if (node->outputs().size() > 3)
                        refuse(node, "the saved mean and variance outputs "
                                     "have no form in opset 14");
                      if (node->outputs().size() > 1)
                        node->i_(Symbol("training_mode"), 1);
                      return node;
                    });
  }

private:
  bool hasAdapter(const std::string &op, int64_t from, int64_t to) const {
    auto byOp = adapters.find(op);
    if (byOp == adapters.end())
      return false;
    auto byFrom = byOp->second.find(::onnx::OpSetID(from).toString());
    return byFrom != byOp->second.end() &&
           byFrom->second.count(::onnx::OpSetID(to).toString());
  }
  void addIfMissing(std::unique_ptr<onnx_vc::Adapter> adapter) {
    if (!hasAdapter(adapter->name(), adapter->initial_version().version(),
                    adapter->target_version().version()))
      registerAdapter(std::move(adapter));
  }
  void addIfMissing(const char *op, int64_t from, int64_t to,
                    const onnx_vc::NodeTransformerFunction &transform) {
    if (!hasAdapter(op, from, to))
      registerAdapter(op, from, to, transform);
  }
};

/// Types of the model's named values, after shape inference.
std::unordered_map<std::string, ::onnx::TypeProto>
valueTypes(const ::onnx::GraphProto &graph) {
  std::unordered_map<std::string, ::onnx::TypeProto> types;
  for (const auto *list :
       {&graph.input(), &graph.value_info(), &graph.output()})
    for (const ::onnx::ValueInfoProto &info : *list)
      types[info.name()] = info.type();
  for (const ::onnx::TensorProto &init : graph.initializer()) {
    ::onnx::TypeProto type;
    type.mutable_tensor_type()->set_elem_type(init.data_type());
    auto *shape = type.mutable_tensor_type()->mutable_shape();
    for (int64_t d : init.dims())
      shape->add_dim()->set_dim_value(d);
    types[init.name()] = type;
  }
  return types;
}

/// Expands every node of the default domain for which `expand(op)` holds
/// into the function body its schema at `opset` defines, where it has one.
/// Returns whether anything changed.
template <typename Predicate>
bool expandFunctionOps(::onnx::ModelProto &model, int64_t opset,
                       Predicate expand) {
  ::onnx::GraphProto *graph = model.mutable_graph();
  std::unordered_map<std::string, ::onnx::TypeProto> types = valueTypes(*graph);
  google::protobuf::RepeatedPtrField<::onnx::NodeProto> nodes;
  bool changed = false;
  for (int index = 0; index < graph->node_size(); ++index) {
    const ::onnx::NodeProto &node = graph->node(index);
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    const ::onnx::OpSchema *schema =
        defaultDomain
            ? ::onnx::OpSchemaRegistry::Schema(node.op_type(), int(opset), "")
            : nullptr;
    bool newOp = schema && expand(node.op_type());
    ::onnx::FunctionProto body;
    bool expanded = false;
    if (newOp && schema->HasFunction()) {
      if (const ::onnx::FunctionProto *f = schema->GetFunction(int(opset))) {
        body = *f;
        expanded = true;
      }
    } else if (newOp && schema->HasContextDependentFunction()) {
      std::vector<::onnx::TypeProto> inputTypes;
      for (const std::string &input : node.input()) {
        auto it = types.find(input);
        inputTypes.push_back(it == types.end() ? ::onnx::TypeProto()
                                               : it->second);
      }
      ::onnx::FunctionBodyBuildContextImpl context(node, inputTypes);
      expanded =
          schema->BuildContextDependentFunction(context, body, int(opset));
    }
    if (!expanded) {
      *nodes.Add() = node;
      continue;
    }
    std::string name = node.name().empty()
                           ? node.op_type() + "_" + std::to_string(index)
                           : node.name();
    ::onnx::GraphProto scratch;
    ::onnx::FunctionExpandHelper(node, body, scratch, name);
    // The expanded nodes are named after the node they replace, so that
    // every later diagnostic still points at it.
    for (int i = 0; i < scratch.node_size(); ++i) {
      ::onnx::NodeProto *copy = nodes.Add();
      *copy = scratch.node(i);
      copy->set_name(name + "/" + copy->op_type() + "_" + std::to_string(i));
    }
    changed = true;
  }
  if (changed)
    graph->mutable_node()->Swap(&nodes);
  return changed;
}

/// Drops the saved-statistics outputs (3 and 4) of opset 9-13
/// BatchNormalizations when nothing reads them.
void dropUnusedBatchNormOutputs(::onnx::GraphProto &graph) {
  std::unordered_set<std::string> read;
  for (const ::onnx::NodeProto &node : graph.node())
    for (const std::string &input : node.input())
      read.insert(input);
  for (const ::onnx::ValueInfoProto &output : graph.output())
    read.insert(output.name());
  for (::onnx::NodeProto &node : *graph.mutable_node()) {
    if (node.op_type() != "BatchNormalization" || node.output_size() <= 3)
      continue;
    bool used = false;
    for (int i = 3; i < node.output_size(); ++i)
      used = used || read.count(node.output(i));
    if (used)
      throw std::runtime_error(
          "node '" + node.name() +
          "' (BatchNormalization): its saved mean and variance outputs are "
          "read, which opset 14 and later cannot express");
    while (node.output_size() > 3)
      node.mutable_output()->RemoveLast();
  }
}

} // namespace

/// Rewrites variadic Sum and Mean, when fqt has no operation for them, into
/// the chain of binary Adds (and, for Mean, one Div) they are defined as:
/// both broadcast their inputs the way Add does.
void sumsToAddChains(::onnx::GraphProto &graph,
                     const std::unordered_set<std::string> &importableOps) {
  if (!importableOps.count("Add") || !importableOps.count("Div"))
    return;
  google::protobuf::RepeatedPtrField<::onnx::NodeProto> nodes;
  bool changed = false;
  for (int index = 0; index < graph.node_size(); ++index) {
    const ::onnx::NodeProto &node = graph.node(index);
    bool isDefault = node.domain().empty() || node.domain() == "ai.onnx";
    bool isSum = node.op_type() == "Sum", isMean = node.op_type() == "Mean";
    if (!isDefault || !(isSum || isMean) ||
        importableOps.count(node.op_type()) || node.input_size() == 0) {
      *nodes.Add() = node;
      continue;
    }
    changed = true;
    std::string name = node.name().empty()
                           ? node.op_type() + "_" + std::to_string(index)
                           : node.name();
    auto add = [&](const std::string &op, std::vector<std::string> inputs,
                   const std::string &output) {
      ::onnx::NodeProto *step = nodes.Add();
      step->set_op_type(op);
      step->set_name(name + "/" + op + "_" + std::to_string(nodes.size()));
      for (const std::string &input : inputs)
        step->add_input(input);
      step->add_output(output);
      return step;
    };
    std::string total = node.input(0);
    int n = node.input_size();
    for (int i = 1; i < n; ++i) {
      bool last = i == n - 1 && isSum;
      std::string next =
          last ? node.output(0) : name + "/sum_" + std::to_string(i);
      add("Add", {total, node.input(i)}, next);
      total = next;
    }
    if (isMean) {
      // The count as a scalar of the inputs' element type.
      std::string count = name + "/count";
      ::onnx::NodeProto *constant = add("Constant", {}, name + "/count_f");
      ::onnx::AttributeProto *value = constant->add_attribute();
      value->set_name("value");
      value->set_type(::onnx::AttributeProto::TENSOR);
      value->mutable_t()->set_data_type(::onnx::TensorProto::FLOAT);
      value->mutable_t()->add_float_data(float(n));
      add("CastLike", {name + "/count_f", total}, count);
      add("Div", {total, count}, node.output(0));
    } else if (n == 1) {
      add("Identity", {total}, node.output(0));
    }
  }
  if (changed)
    graph.mutable_node()->Swap(&nodes);
}

/// The values of an INT64 or INT32 Constant or initializer named `name`.
std::optional<std::vector<int64_t>>
constantIntsOf(const ::onnx::GraphProto &graph, const std::string &name) {
  auto read =
      [](const ::onnx::TensorProto &t) -> std::optional<std::vector<int64_t>> {
    if (t.data_type() == ::onnx::TensorProto::INT64)
      return ::onnx::ParseData<int64_t>(&t);
    if (t.data_type() == ::onnx::TensorProto::INT32) {
      std::vector<int32_t> v = ::onnx::ParseData<int32_t>(&t);
      return std::vector<int64_t>(v.begin(), v.end());
    }
    return std::nullopt;
  };
  for (const ::onnx::TensorProto &init : graph.initializer())
    if (init.name() == name)
      return read(init);
  for (const ::onnx::NodeProto &node : graph.node())
    if (node.op_type() == "Constant" && node.output_size() == 1 &&
        node.output(0) == name)
      for (const ::onnx::AttributeProto &attr : node.attribute())
        if (attr.name() == "value")
          return read(attr.t());
  return std::nullopt;
}

/// SplitToSequence whose every reader is a SequenceAt at a constant
/// position (what PyTorch's dynamo exporter writes for torch.chunk and
/// torch.split) is the Split of the same parts, each SequenceAt an Identity
/// of one part. Applied when fqt has no sequence operations.
void sequenceSplitsToSplits(
    ::onnx::GraphProto &graph,
    const std::unordered_set<std::string> &importableOps) {
  if (importableOps.count("SplitToSequence") || !importableOps.count("Split"))
    return;
  std::unordered_map<std::string, ::onnx::TypeProto> types = valueTypes(graph);
  std::unordered_map<std::string, std::vector<int>> readers;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const std::string &input : graph.node(i).input())
      readers[input].push_back(i);
  std::unordered_set<std::string> graphOutputs;
  for (const ::onnx::ValueInfoProto &output : graph.output())
    graphOutputs.insert(output.name());

  // Node index -> its replacement nodes.
  std::unordered_map<int, std::vector<::onnx::NodeProto>> replaced;
  std::vector<::onnx::TensorProto> sizeTensors;
  for (int index = 0; index < graph.node_size(); ++index) {
    const ::onnx::NodeProto &node = graph.node(index);
    if (node.op_type() != "SplitToSequence" ||
        !(node.domain().empty() || node.domain() == "ai.onnx") ||
        node.output_size() != 1 || graphOutputs.count(node.output(0)))
      continue;
    int64_t axis = 0, keepdims = 1;
    for (const ::onnx::AttributeProto &attr : node.attribute()) {
      if (attr.name() == "axis")
        axis = attr.i();
      if (attr.name() == "keepdims")
        keepdims = attr.i();
    }
    auto type = types.find(node.input(0));
    if (type == types.end() || !type->second.tensor_type().has_shape())
      continue;
    const auto &dims = type->second.tensor_type().shape().dim();
    int64_t rank = dims.size();
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank || !dims[axis].has_dim_value())
      continue;
    int64_t size = dims[axis].dim_value();
    std::vector<int64_t> sizes;
    bool hasSplit = node.input_size() > 1 && !node.input(1).empty();
    if (!hasSplit) {
      sizes.assign(size, 1);
    } else {
      std::optional<std::vector<int64_t>> split =
          constantIntsOf(graph, node.input(1));
      if (!split || split->empty())
        continue;
      if (split->size() == 1 && split->front() > 0) {
        for (int64_t left = size; left > 0; left -= split->front())
          sizes.push_back(std::min(left, split->front()));
      } else {
        sizes = *split;
      }
    }
    // Every reader must be a SequenceAt at a constant position.
    std::vector<std::pair<int, int64_t>> parts;
    bool convertible = true;
    for (int reader : readers[node.output(0)]) {
      const ::onnx::NodeProto &at = graph.node(reader);
      std::optional<std::vector<int64_t>> position =
          at.op_type() == "SequenceAt" && at.input_size() == 2
              ? constantIntsOf(graph, at.input(1))
              : std::nullopt;
      int64_t n = sizes.size();
      int64_t p = position && position->size() == 1 ? position->front() : n;
      if (p < 0)
        p += n;
      convertible = convertible && p >= 0 && p < n;
      parts.emplace_back(reader, p);
    }
    if (!convertible || parts.empty())
      continue;

    std::string name = node.name().empty()
                           ? "SplitToSequence_" + std::to_string(index)
                           : node.name();
    ::onnx::TensorProto sizeTensor;
    sizeTensor.set_name(name + "/sizes");
    sizeTensor.set_data_type(::onnx::TensorProto::INT64);
    sizeTensor.add_dims(int64_t(sizes.size()));
    for (int64_t v : sizes)
      sizeTensor.add_int64_data(v);
    sizeTensors.push_back(sizeTensor);
    ::onnx::NodeProto split;
    split.set_op_type("Split");
    split.set_name(name);
    split.add_input(node.input(0));
    split.add_input(sizeTensor.name());
    for (size_t i = 0; i < sizes.size(); ++i)
      split.add_output(name + "/part_" + std::to_string(i));
    ::onnx::AttributeProto *axisAttr = split.add_attribute();
    axisAttr->set_name("axis");
    axisAttr->set_type(::onnx::AttributeProto::INT);
    axisAttr->set_i(axis);
    replaced[index] = {split};
    for (auto [reader, p] : parts) {
      const ::onnx::NodeProto &at = graph.node(reader);
      ::onnx::NodeProto part;
      // keepdims = 0 (only without split sizes) drops the axis of size 1.
      part.set_op_type(!hasSplit && keepdims == 0 ? "Squeeze" : "Identity");
      part.set_name(at.name());
      part.add_input(split.output(p));
      if (part.op_type() == "Squeeze") {
        ::onnx::TensorProto axes;
        axes.set_name(at.name() + "/axes");
        axes.set_data_type(::onnx::TensorProto::INT64);
        axes.add_dims(1);
        axes.add_int64_data(axis);
        sizeTensors.push_back(axes);
        part.add_input(axes.name());
      }
      part.add_output(at.output(0));
      replaced[reader] = {part};
    }
  }
  if (replaced.empty())
    return;
  google::protobuf::RepeatedPtrField<::onnx::NodeProto> nodes;
  for (int index = 0; index < graph.node_size(); ++index) {
    auto it = replaced.find(index);
    if (it == replaced.end()) {
      *nodes.Add() = graph.node(index);
      continue;
    }
    for (const ::onnx::NodeProto &n : it->second)
      *nodes.Add() = n;
  }
  graph.mutable_node()->Swap(&nodes);
  for (const ::onnx::TensorProto &t : sizeTensors)
    *graph.add_initializer() = t;
}

/// Expands function ops until `expand` holds for none that has a body
/// (bounded: ONNX's function ops nest only a few levels deep).
template <typename Predicate>
void expandFunctionOpsDeeply(::onnx::ModelProto &model, int64_t opset,
                             Predicate expand) {
  // Most models have no such op: skip the shape inference then.
  auto expandable = [&](const ::onnx::NodeProto &node) {
    if (!(node.domain().empty() || node.domain() == "ai.onnx") ||
        !expand(node.op_type()))
      return false;
    const ::onnx::OpSchema *schema =
        ::onnx::OpSchemaRegistry::Schema(node.op_type(), int(opset), "");
    return schema &&
           (schema->HasFunction() || schema->HasContextDependentFunction());
  };
  if (std::none_of(model.graph().node().begin(), model.graph().node().end(),
                   expandable))
    return;
  for (int depth = 0; depth < 4; ++depth) {
    // Context-dependent bodies (Gelu, CastLike, ...) need the input types.
    model.mutable_graph()->clear_value_info();
    ::onnx::shape_inference::InferShapes(model);
    if (!expandFunctionOps(model, opset, expand))
      break;
  }
}

/// Whether converting `graph` (and its subgraphs) from opset `from` to `to`
/// would only meet ONNX's compatible adapters, which change nothing (the op
/// was redefined with more types, say): then the model means the same at
/// both and converting it is only a matter of its opset import. ONNX's
/// converter builds its own IR of the graph, which costs time quadratic in
/// the number of nodes (16 s for 20,000 Relus).
static bool onlyCompatibleSteps(const OpsetConverter &converter,
                                const ::onnx::GraphProto &graph, int64_t from,
                                int64_t to) {
  int64_t step = to > from ? 1 : -1;
  std::set<std::string> ops;
  std::function<bool(const ::onnx::GraphProto &)> collect =
      [&](const ::onnx::GraphProto &g) {
        for (const ::onnx::NodeProto &node : g.node()) {
          if (!node.domain().empty() && node.domain() != "ai.onnx")
            continue;
          ops.insert(node.op_type());
          for (const ::onnx::AttributeProto &attr : node.attribute()) {
            // The converter adapts subgraphs too; keep those cases to it.
            if (attr.has_g() || attr.graphs_size() > 0)
              return false;
          }
        }
        return true;
      };
  if (!collect(graph))
    return false;
  ::onnx::Graph scratch;
  for (const std::string &op : ops) {
    Node *node = scratch.create(::onnx::Symbol(op), 0);
    for (int64_t v = from; v != to; v += step) {
      // The converter adapts an op at step v -> v + step where the op has a
      // definition since v + 1 (upwards) or since v (downwards).
      int64_t changedAt = step > 0 ? v + 1 : v;
      const ::onnx::OpSchema *schema =
          ::onnx::OpSchemaRegistry::Schema(op, int(changedAt), "");
      if (!schema)
        return false;
      if (schema->SinceVersion() != changedAt)
        continue;
      try {
        const onnx_vc::Adapter &adapter = converter.adapter_lookup(
            node, ::onnx::OpSetID("", v), ::onnx::OpSetID("", v + step));
        if (!dynamic_cast<const onnx_vc::CompatibleAdapter *>(&adapter))
          return false;
      } catch (const std::exception &) {
        return false;
      }
    }
  }
  return true;
}

void fqt::detail::convertOpset(
    ::onnx::ModelProto &model, int64_t opset, int64_t targetOpset,
    const std::unordered_set<std::string> &importableOps) {
  // Model-local functions (some exporters wrap modules in them) are inlined
  // first, converted to the model's opset where they import another.
  if (model.functions_size() > 0)
    ::onnx::inliner::InlineLocalFunctions(model, /*convert_version=*/true);
  if (opset < 14)
    dropUnusedBatchNormOutputs(*model.mutable_graph());
  // Ops that do not exist at the target cannot be converted: expand them
  // first, at the model's opset.
  if (opset > targetOpset)
    expandFunctionOpsDeeply(model, opset, [&](const std::string &op) {
      return !::onnx::OpSchemaRegistry::Schema(op, int(targetOpset), "");
    });
  OpsetConverter converter;
  if (opset != targetOpset &&
      onlyCompatibleSteps(converter, model.graph(), opset, targetOpset)) {
    for (::onnx::OperatorSetIdProto &import : *model.mutable_opset_import())
      if (import.domain().empty() || import.domain() == "ai.onnx")
        import.set_version(targetOpset);
  } else if (opset != targetOpset) {
    // The downward adapters need constant axes, split sizes and pads;
    // exporters compute some of them (dynamo: a Reshape of constants).
    // (Old models are not inferred here: opset 9-13 BatchNormalizations
    // without their saved statistics are valid only after conversion.)
    if (opset > targetOpset)
      inferShapesAndFold(model);
    model = converter.convert_version(model, ::onnx::OpSetID("", opset),
                                      ::onnx::OpSetID("", targetOpset));
  }
  // Then the ops fqt has no operation for but ONNX defines by a function
  // (CastLike inside Gelu's body, LogSoftmax, ...), at the target opset.
  auto notImportable = [&](const std::string &op) {
    return !importableOps.count(op);
  };
  expandFunctionOpsDeeply(model, targetOpset, notImportable);
  sumsToAddChains(*model.mutable_graph(), importableOps);
  sequenceSplitsToSplits(*model.mutable_graph(), importableOps);
  // Mean's count goes through CastLike, itself defined by a function.
  expandFunctionOpsDeeply(model, targetOpset, notImportable);
}
