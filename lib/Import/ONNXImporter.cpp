//===- ONNXImporter.cpp - ONNX model to MLIR ------------------------------===//
//
// The graph walk: parse, check, convert the opset, infer shapes, then one
// `onnx.<OpType>` op per node in the (checked) topological order. Each op's
// location names its node, so every later diagnostic can too. Initializers
// become `ml_program.global` constants named after the ONNX initializer.
//
// The ONNX library reports errors by throwing; this file is compiled with
// exceptions enabled and turns each into one MLIR diagnostic.
//
//===----------------------------------------------------------------------===//

#include "fqt/Import/ONNXImporter.h"
#include "fqt/Import/TensorProto.h"

#include "ExternalData.h"
#include "PrepareModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "fqt/Import/ONNXProto.h"
#include "onnx/defs/parser.h"
#include "onnx/defs/schema.h"

#include <exception>

using namespace mlir;

namespace fqt {

int64_t newestReadableOpset() {
  const auto &ranges =
      ::onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = ranges.find("");
  return it == ranges.end() ? kImportOpset : it->second.second;
}

void registerONNXImportDialects(DialectRegistry &registry) {
  registry.insert<func::FuncDialect, ml_program::MLProgramDialect>();
}

namespace {

/// The domain of ONNX's training operators (Gradient and the optimizers).
constexpr llvm::StringLiteral kTrainingDomain = "ai.onnx.preview.training";

/// Whether the ONNX element type `dataType` is an unsigned integer.
static bool isUnsignedDataType(int32_t dataType) {
  using TP = ::onnx::TensorProto;
  return dataType == TP::UINT8 || dataType == TP::UINT16 ||
         dataType == TP::UINT32 || dataType == TP::UINT64;
}

/// Imports one checked, shape-inferred ModelProto.
class ModelImporter {
public:
  ModelImporter(MLIRContext *context, StringRef sourceName,
                const ONNXImportOptions &options)
      : context(context), builder(context), options(options),
        fileLoc(FileLineColLoc::get(context, sourceName, 0, 0)) {}

  OwningOpRef<ModuleOp> import(const ::onnx::ModelProto &model, int64_t opset);

  /// The model's version of the `ai.onnx.preview.training` domain, if it
  /// imports it.
  std::optional<int64_t> trainingOpset;

private:
  FailureOr<Type> convertElementType(int32_t dataType, Location loc,
                                     StringRef what);
  FailureOr<Type> convertType(const ::onnx::TypeProto &type, Location loc,
                              StringRef what);
  FailureOr<ElementsAttr> convertTensor(const ::onnx::TensorProto &tensor,
                                        Location loc, bool allowResource);
  FailureOr<Attribute> convertAttribute(const ::onnx::AttributeProto &attr,
                                        Location loc);
  LogicalResult importNode(const ::onnx::NodeProto &node, size_t index,
                           int64_t opset);
  Value noValue(Location loc);

  MLIRContext *context;
  OpBuilder builder;
  const ONNXImportOptions &options;
  Location fileLoc;
  /// Types of every named value after shape inference.
  llvm::StringMap<const ::onnx::TypeProto *> valueTypes;
  /// SSA value of every ONNX value name imported so far.
  llvm::StringMap<Value> values;
  /// Names of the values of an unsigned integer element type.
  llvm::StringSet<> unsignedValues;
};

} // namespace

FailureOr<Type> ModelImporter::convertElementType(int32_t dataType,
                                                  Location loc,
                                                  StringRef what) {
  using TP = ::onnx::TensorProto;
  switch (dataType) {
  case TP::FLOAT:
    return Type(builder.getF32Type());
  case TP::DOUBLE:
    return Type(builder.getF64Type());
  case TP::FLOAT16:
    return Type(builder.getF16Type());
  case TP::BFLOAT16:
    return Type(builder.getBF16Type());
  case TP::BOOL:
    return Type(builder.getI1Type());
  case TP::INT8:
    return Type(builder.getIntegerType(8));
  case TP::INT16:
    return Type(builder.getIntegerType(16));
  case TP::INT32:
    return Type(builder.getIntegerType(32));
  case TP::INT64:
    return Type(builder.getIntegerType(64));
  // Unsigned integers are signless too; the ops that read them record it
  // (onnx.unsigned_operands).
  case TP::UINT8:
    return Type(builder.getIntegerType(8));
  case TP::UINT16:
    return Type(builder.getIntegerType(16));
  case TP::UINT32:
    return Type(builder.getIntegerType(32));
  case TP::UINT64:
    return Type(builder.getIntegerType(64));
  default:
    break;
  }
  return emitError(loc) << what << ": unsupported element type "
                        << TP::DataType_Name(
                               static_cast<TP::DataType>(dataType));
}

FailureOr<Type> ModelImporter::convertType(const ::onnx::TypeProto &type,
                                           Location loc, StringRef what) {
  if (!type.has_tensor_type())
    return emitError(loc) << what << ": only tensor values are supported";
  const ::onnx::TypeProto::Tensor &tensor = type.tensor_type();
  FailureOr<Type> elementType =
      convertElementType(tensor.elem_type(), loc, what);
  if (failed(elementType))
    return failure();
  if (!tensor.has_shape())
    return Type(UnrankedTensorType::get(*elementType));
  SmallVector<int64_t> shape;
  for (const ::onnx::TensorShapeProto::Dimension &dim : tensor.shape().dim()) {
    if (dim.has_dim_value() && dim.dim_value() < 0)
      return emitError(loc)
             << what << ": negative dimension " << dim.dim_value();
    shape.push_back(dim.has_dim_value() ? dim.dim_value()
                                        : ShapedType::kDynamic);
  }
  return Type(RankedTensorType::get(shape, *elementType));
}

FailureOr<ElementsAttr>
ModelImporter::convertTensor(const ::onnx::TensorProto &tensor, Location loc,
                             bool allowResource) {
  std::string what = "tensor '" + tensor.name() + "'";
  // Reads (and checks) the data first: it rejects negative dimensions,
  // which a tensor type cannot hold.
  std::string error;
  std::optional<std::string> data = readTensorBytes(tensor, error);
  if (!data)
    return emitError(loc) << error;
  const std::string &bytes = *data;

  FailureOr<Type> elementType =
      convertElementType(tensor.data_type(), loc, what);
  if (failed(elementType))
    return failure();
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  auto type = RankedTensorType::get(shape, *elementType);
  int64_t numElements = type.getNumElements();
  unsigned elementBits = elementType->getIntOrFloatBitWidth();
  size_t elementBytes = std::max(1u, elementBits / 8);

  if (elementBits == 1) {
    SmallVector<bool> bits;
    for (char c : bytes)
      bits.push_back(c != 0);
    return ElementsAttr(DenseElementsAttr::get(type, bits));
  }
  ArrayRef<char> raw(bytes.data(), bytes.size());
  if (allowResource && numElements > options.inlineElementLimit) {
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        raw, /*align=*/elementBytes, /*dataIsMutable=*/false);
    return ElementsAttr(
        DenseResourceElementsAttr::get(type, tensor.name(), std::move(blob)));
  }
  return ElementsAttr(DenseElementsAttr::getFromRawBuffer(type, raw));
}

FailureOr<Attribute>
ModelImporter::convertAttribute(const ::onnx::AttributeProto &attr,
                                Location loc) {
  using AP = ::onnx::AttributeProto;
  switch (attr.type()) {
  case AP::INT:
    return Attribute(builder.getIntegerAttr(
        builder.getIntegerType(64, /*isSigned=*/true), attr.i()));
  case AP::FLOAT:
    return Attribute(builder.getF32FloatAttr(attr.f()));
  case AP::STRING:
    return Attribute(builder.getStringAttr(attr.s()));
  case AP::INTS:
    return Attribute(builder.getI64ArrayAttr(
        SmallVector<int64_t>(attr.ints().begin(), attr.ints().end())));
  case AP::FLOATS:
    return Attribute(builder.getF32ArrayAttr(
        SmallVector<float>(attr.floats().begin(), attr.floats().end())));
  case AP::STRINGS: {
    SmallVector<Attribute> strings;
    for (const std::string &s : attr.strings())
      strings.push_back(builder.getStringAttr(s));
    return Attribute(builder.getArrayAttr(strings));
  }
  case AP::TENSOR: {
    FailureOr<ElementsAttr> value =
        convertTensor(attr.t(), loc, /*allowResource=*/false);
    if (failed(value))
      return failure();
    return Attribute(*value);
  }
  default:
    break;
  }
  return emitError(loc) << "attribute '" << attr.name() << "' of type "
                        << AP::AttributeType_Name(attr.type())
                        << " is not supported";
}

Value ModelImporter::noValue(Location loc) {
  OperationState state(loc, "onnx.NoValue");
  state.addTypes(builder.getNoneType());
  return builder.create(state)->getResult(0);
}

LogicalResult ModelImporter::importNode(const ::onnx::NodeProto &node,
                                        size_t index, int64_t opset) {
  std::string nodeName = node.name().empty()
                             ? node.op_type() + "_" + std::to_string(index)
                             : node.name();
  Location loc = NameLoc::get(builder.getStringAttr(nodeName), fileLoc);
  auto fail = [&]() {
    return emitError(loc) << "node '" << nodeName << "' (" << node.op_type()
                          << "): ";
  };

  bool training = node.domain() == kTrainingDomain;
  if (!node.domain().empty() && node.domain() != "ai.onnx" && !training)
    return fail() << "operator domain '" << node.domain()
                  << "' is not supported";
  if (training && !trainingOpset)
    return fail() << "the model does not import the '" << kTrainingDomain
                  << "' domain";
  const ::onnx::OpSchema *schema = ::onnx::OpSchemaRegistry::Schema(
      node.op_type(), static_cast<int>(training ? *trainingOpset : opset),
      node.domain());
  std::string opName = "onnx." + node.op_type();
  if (!schema || !RegisteredOperationName::lookup(opName, context))
    return fail() << "unsupported ONNX operator '" << node.op_type() << "'";

  // One operand per formal input: absent optional inputs become
  // onnx.NoValue, a variadic input takes the rest.
  SmallVector<Value> operands;
  SmallVector<bool> unsignedOperands;
  auto addOperand = [&](const std::string &name) -> LogicalResult {
    Value value = values.lookup(name);
    if (!value)
      return fail() << "input '" << name << "' is undefined";
    operands.push_back(value);
    unsignedOperands.push_back(unsignedValues.contains(name));
    return success();
  };
  const auto &formalInputs = schema->inputs();
  int actual = node.input_size();
  for (size_t i = 0; i < formalInputs.size(); ++i) {
    auto option = formalInputs[i].GetOption();
    if (option == ::onnx::OpSchema::Variadic) {
      for (int j = i; j < actual; ++j)
        if (failed(addOperand(node.input(j))))
          return failure();
      break;
    }
    if (int(i) < actual && !node.input(i).empty()) {
      if (failed(addOperand(node.input(i))))
        return failure();
      continue;
    }
    if (option != ::onnx::OpSchema::Optional)
      return fail() << "required input '" << formalInputs[i].GetName()
                    << "' is missing";
    operands.push_back(noValue(loc));
    unsignedOperands.push_back(false);
  }

  // Gradient names the value it differentiates by its `y` attribute; the
  // onnx dialect takes that value as a last operand as well.
  if (training && node.op_type() == "Gradient") {
    const ::onnx::AttributeProto *y = nullptr;
    for (const ::onnx::AttributeProto &attr : node.attribute())
      if (attr.name() == "y")
        y = &attr;
    if (!y || y->s().empty())
      return fail() << "attribute 'y' is missing";
    Value value = values.lookup(y->s());
    if (!value)
      return fail() << "the value '" << y->s()
                    << "' that attribute 'y' names is not computed before "
                       "the node";
    operands.push_back(value);
    unsignedOperands.push_back(false);
  }

  // One result per formal output; outputs the node does not ask for are
  // `none`.
  SmallVector<Type> resultTypes;
  SmallVector<std::string> resultNames;
  const auto &formalOutputs = schema->outputs();
  auto addResult = [&](const std::string &name) -> LogicalResult {
    const ::onnx::TypeProto *type = valueTypes.lookup(name);
    // ONNX infers no types for Gradient's outputs: the i-th is the gradient
    // of the i-th input, of that input's type.
    if (!type && training && node.op_type() == "Gradient" &&
        resultTypes.size() < operands.size()) {
      resultTypes.push_back(operands[resultTypes.size()].getType());
      resultNames.push_back(name);
      return success();
    }
    if (!type)
      return fail() << "the type of output '" << name
                    << "' could not be inferred";
    FailureOr<Type> converted =
        convertType(*type, loc, "output '" + name + "'");
    if (failed(converted))
      return failure();
    resultTypes.push_back(*converted);
    resultNames.push_back(name);
    return success();
  };
  for (size_t i = 0; i < formalOutputs.size(); ++i) {
    if (formalOutputs[i].GetOption() == ::onnx::OpSchema::Variadic) {
      for (int j = i; j < node.output_size(); ++j)
        if (failed(addResult(node.output(j))))
          return failure();
      break;
    }
    if (int(i) < node.output_size() && !node.output(i).empty()) {
      if (failed(addResult(node.output(i))))
        return failure();
      continue;
    }
    resultTypes.push_back(builder.getNoneType());
    resultNames.push_back("");
  }

  OperationState state(loc, opName);
  state.addOperands(operands);
  state.addTypes(resultTypes);
  for (const ::onnx::AttributeProto &attr : node.attribute()) {
    FailureOr<Attribute> value = convertAttribute(attr, loc);
    if (failed(value))
      return failure();
    state.addAttribute(attr.name(), *value);
  }
  if (llvm::is_contained(unsignedOperands, true))
    // fqt::onnx::kUnsignedOperandsAttrName; the importer builds ops by name.
    state.addAttribute("onnx.unsigned_operands",
                       builder.getDenseBoolArrayAttr(unsignedOperands));
  Operation *op = builder.create(state);
  for (auto [result, name] : llvm::zip_equal(op->getResults(), resultNames))
    if (!name.empty())
      values[name] = result;
  return success();
}

OwningOpRef<ModuleOp> ModelImporter::import(const ::onnx::ModelProto &model,
                                            int64_t opset) {
  const ::onnx::GraphProto &graph = model.graph();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  module->getOperation()->setAttr("onnx.opset",
                                  builder.getI64IntegerAttr(opset));
  if (!model.producer_name().empty())
    module->getOperation()->setAttr(
        "onnx.producer", builder.getStringAttr(model.producer_name()));
  builder.setInsertionPointToEnd(module->getBody());

  for (const ::onnx::ValueInfoProto &info : graph.input())
    valueTypes[info.name()] = &info.type();
  for (const ::onnx::ValueInfoProto &info : graph.value_info())
    valueTypes[info.name()] = &info.type();
  for (const ::onnx::ValueInfoProto &info : graph.output())
    valueTypes[info.name()] = &info.type();
  for (const auto &[name, type] : valueTypes)
    if (type->has_tensor_type() &&
        isUnsignedDataType(type->tensor_type().elem_type()))
      unsignedValues.insert(name);
  for (const ::onnx::TensorProto &init : graph.initializer())
    if (isUnsignedDataType(init.data_type()))
      unsignedValues.insert(init.name());

  // Initializers: named constant globals, loaded in the function.
  llvm::StringMap<ml_program::GlobalOp> globals;
  SmallVector<ml_program::GlobalOp> globalsInOrder;
  for (const ::onnx::TensorProto &init : graph.initializer()) {
    Location loc = NameLoc::get(builder.getStringAttr(init.name()), fileLoc);
    FailureOr<ElementsAttr> value =
        convertTensor(init, loc, /*allowResource=*/true);
    if (failed(value))
      return nullptr;
    auto global = ml_program::GlobalOp::create(
        builder, loc, init.name(), value->getType(),
        /*is_mutable=*/false, *value, builder.getStringAttr("private"));
    globals[init.name()] = global;
    globalsInOrder.push_back(global);
  }

  // Graph inputs that are not initializers are the function's arguments.
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const ::onnx::ValueInfoProto &info : graph.input()) {
    if (globals.count(info.name()))
      continue;
    Location loc = NameLoc::get(builder.getStringAttr(info.name()), fileLoc);
    FailureOr<Type> type =
        convertType(info.type(), loc, "input '" + info.name() + "'");
    if (failed(type))
      return nullptr;
    argTypes.push_back(*type);
    argNames.push_back(info.name());
  }
  SmallVector<Type> resultTypes;
  for (const ::onnx::ValueInfoProto &info : graph.output()) {
    Location loc = NameLoc::get(builder.getStringAttr(info.name()), fileLoc);
    FailureOr<Type> type =
        convertType(info.type(), loc, "output '" + info.name() + "'");
    if (failed(type))
      return nullptr;
    resultTypes.push_back(*type);
  }

  auto func =
      func::FuncOp::create(builder, fileLoc, options.functionName,
                           builder.getFunctionType(argTypes, resultTypes));
  Block *body = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, "onnx.name", builder.getStringAttr(name));
    values[name] = body->getArgument(i);
  }
  for (auto [i, info] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "onnx.name", builder.getStringAttr(info.name()));

  builder.setInsertionPointToStart(body);
  for (ml_program::GlobalOp global : globalsInOrder) {
    auto load = ml_program::GlobalLoadConstOp::create(
        builder, global.getLoc(), global.getType(),
        SymbolRefAttr::get(global.getSymNameAttr()));
    values[global.getSymName()] = load.getResult();
  }

  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, index, opset)))
      return nullptr;

  SmallVector<Value> results;
  for (const ::onnx::ValueInfoProto &info : graph.output()) {
    Value value = values.lookup(info.name());
    if (!value) {
      emitError(fileLoc) << "graph output '" << info.name()
                         << "' is not produced by any node";
      return nullptr;
    }
    results.push_back(value);
  }
  func::ReturnOp::create(builder, fileLoc, results);

  if (failed(verify(*module)))
    return nullptr;
  return module;
}

/// Binds symbolic dimensions of the graph inputs as the options say.
static void bindDimensions(::onnx::ModelProto &model,
                           const ONNXImportOptions &options) {
  llvm::StringMap<bool> initializers;
  for (const ::onnx::TensorProto &init : model.graph().initializer())
    initializers[init.name()] = true;
  size_t inputIndex = 0;
  for (::onnx::ValueInfoProto &input :
       *model.mutable_graph()->mutable_input()) {
    if (initializers.count(input.name()))
      continue;
    const std::vector<int64_t> *shape = inputIndex < options.inputShapes.size()
                                            ? &options.inputShapes[inputIndex]
                                            : nullptr;
    ++inputIndex;
    if (!input.type().has_tensor_type() ||
        !input.type().tensor_type().has_shape())
      continue;
    auto *dims = input.mutable_type()
                     ->mutable_tensor_type()
                     ->mutable_shape()
                     ->mutable_dim();
    for (int i = 0; i < dims->size(); ++i) {
      ::onnx::TensorShapeProto::Dimension &dim = (*dims)[i];
      if (dim.has_dim_value())
        continue;
      if (shape && size_t(i) < shape->size()) {
        dim.set_dim_value((*shape)[i]);
        continue;
      }
      if (dim.has_dim_param()) {
        auto it = options.dimBindings.find(dim.dim_param());
        if (it != options.dimBindings.end()) {
          dim.set_dim_value(it->second);
          continue;
        }
      }
      if (i == 0 && options.batchSize)
        dim.set_dim_value(*options.batchSize);
    }
  }
}

/// Binds, checks, converts, infers shapes of and imports the main graph of
/// `model` as the function options.functionName.
static OwningOpRef<ModuleOp>
importGraphModel(::onnx::ModelProto model, int64_t opset,
                 std::optional<int64_t> trainingOpset, StringRef sourceName,
                 MLIRContext *context, const ONNXImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(context, sourceName, 0, 0);
  // Bound before conversion: the version converter keeps the graph inputs'
  // types, and shape inference then sees the bound sizes.
  bindDimensions(model, options);
  // The default-domain ops the onnx dialect has.
  SmallVector<std::string> importableOps;
  for (RegisteredOperationName op : context->getRegisteredOperations())
    if (op.getDialectNamespace() == "onnx")
      importableOps.push_back(op.stripDialect().str());
  FailureOr<int64_t> preparedOpset =
      detail::prepareModel(model, opset, kImportOpset, importableOps, fileLoc);
  if (failed(preparedOpset))
    return nullptr;
  ModelImporter importer(context, sourceName, options);
  importer.trainingOpset = trainingOpset;
  return importer.import(model, *preparedOpset);
}

/// A graph input or output of the type and shape of `tensor`.
static ::onnx::ValueInfoProto valueInfoOf(const ::onnx::TensorProto &tensor,
                                          const std::string &name) {
  ::onnx::ValueInfoProto info;
  info.set_name(name);
  auto *type = info.mutable_type()->mutable_tensor_type();
  type->set_elem_type(tensor.data_type());
  auto *shape = type->mutable_shape();
  for (int64_t dim : tensor.dims())
    shape->add_dim()->set_dim_value(dim);
  return info;
}

/// Imports the training algorithm of `model.training_info(0)` as two more
/// functions of `module`, following ONNX's TrainingInfoProto:
///
///   training_init() -> (state...)
///   training_step(state..., input...) -> (output...)
///
/// The state is the initializers the algorithm updates (the keys of
/// `update_binding`, in order): training_init returns their values at the
/// start (the initialization graph's outputs where `initialization_binding`
/// binds them, the initializers' values otherwise). training_step runs the
/// inference graph and the algorithm graph together, as the specification
/// says, with the state as leading arguments (`onnx.name` = initializer) and
/// the graphs' inputs after; its results are the outputs of both graphs, and
/// those `update_binding` binds carry `onnx.update` = the initializer they
/// replace.
static LogicalResult
importTrainingInfo(const ::onnx::ModelProto &model, int64_t opset,
                   std::optional<int64_t> trainingOpset, StringRef sourceName,
                   MLIRContext *context, const ONNXImportOptions &options,
                   ModuleOp module) {
  Location fileLoc = FileLineColLoc::get(context, sourceName, 0, 0);
  if (model.training_info_size() != 1)
    return emitError(fileLoc)
           << "the model has " << model.training_info_size()
           << " training_info entries; fqt imports exactly one";
  const ::onnx::TrainingInfoProto &info = model.training_info(0);
  const ::onnx::GraphProto &graph = model.graph();

  llvm::StringMap<const ::onnx::TensorProto *> initializers;
  for (const ::onnx::TensorProto &init : graph.initializer())
    initializers[init.name()] = &init;
  for (const ::onnx::TensorProto &init : info.algorithm().initializer())
    initializers[init.name()] = &init;
  llvm::StringSet<> algorithmOutputs;
  for (const ::onnx::ValueInfoProto &out : info.algorithm().output())
    algorithmOutputs.insert(out.name());
  llvm::StringSet<> initOutputs;
  for (const ::onnx::ValueInfoProto &out : info.initialization().output())
    initOutputs.insert(out.name());

  // The state: the initializers update_binding names.
  SmallVector<std::string> state;
  llvm::StringMap<std::string> updatedBy; // algorithm output -> initializer
  for (const ::onnx::StringStringEntryProto &b : info.update_binding()) {
    if (!initializers.count(b.key()))
      return emitError(fileLoc) << "training_info: update_binding names '"
                                << b.key() << "', which is not an initializer";
    if (!algorithmOutputs.contains(b.value()))
      return emitError(fileLoc)
             << "training_info: update_binding binds '" << b.key() << "' to '"
             << b.value() << "', which is not an output of the algorithm";
    state.push_back(b.key());
    updatedBy[b.value()] = b.key();
  }
  if (state.empty())
    return emitError(fileLoc)
           << "training_info: update_binding is empty: the algorithm "
              "updates nothing";
  llvm::StringMap<std::string> initialValue; // initializer -> init output
  for (const ::onnx::StringStringEntryProto &b :
       info.initialization_binding()) {
    if (!initializers.count(b.key()))
      return emitError(fileLoc)
             << "training_info: initialization_binding names '" << b.key()
             << "', which is not an initializer";
    if (!initOutputs.contains(b.value()))
      return emitError(fileLoc)
             << "training_info: initialization_binding binds '" << b.key()
             << "' to '" << b.value()
             << "', which is not an output of the initialization graph";
    initialValue[b.key()] = b.value();
  }
  llvm::StringSet<> stateSet;
  for (const std::string &name : state)
    stateSet.insert(name);

  // training_step: inference and algorithm graphs concatenated, the state
  // moved from the initializers to the leading inputs.
  ::onnx::ModelProto step = model;
  step.clear_training_info();
  ::onnx::GraphProto *g = step.mutable_graph();
  for (const ::onnx::NodeProto &node : info.algorithm().node())
    *g->add_node() = node;
  for (const ::onnx::TensorProto &init : info.algorithm().initializer())
    *g->add_initializer() = init;
  for (const ::onnx::ValueInfoProto &v : info.algorithm().value_info())
    *g->add_value_info() = v;
  for (const ::onnx::ValueInfoProto &v : info.algorithm().output())
    *g->add_output() = v;
  google::protobuf::RepeatedPtrField<::onnx::TensorProto> kept;
  for (const ::onnx::TensorProto &init : g->initializer())
    if (!stateSet.contains(init.name()))
      *kept.Add() = init;
  google::protobuf::RepeatedPtrField<::onnx::ValueInfoProto> inputs;
  for (const std::string &name : state)
    *inputs.Add() = valueInfoOf(*initializers[name], name);
  auto addInputs = [&](const auto &list) {
    for (const ::onnx::ValueInfoProto &v : list)
      if (!stateSet.contains(v.name()))
        *inputs.Add() = v;
  };
  addInputs(graph.input());
  addInputs(info.algorithm().input());
  g->mutable_initializer()->Swap(&kept);
  g->mutable_input()->Swap(&inputs);

  ONNXImportOptions stepOptions = options;
  stepOptions.functionName = "training_step";
  stepOptions.inputShapes.clear();
  for (const std::string &name : state) {
    const auto &dims = initializers[name]->dims();
    stepOptions.inputShapes.emplace_back(dims.begin(), dims.end());
  }
  llvm::append_range(stepOptions.inputShapes, options.inputShapes);
  OwningOpRef<ModuleOp> stepModule = importGraphModel(
      step, opset, trainingOpset, sourceName, context, stepOptions);
  if (!stepModule)
    return failure();

  // training_init: the initialization graph's outputs or the initializers'
  // values, through one Identity per state tensor.
  ::onnx::ModelProto init = model;
  init.clear_training_info();
  ::onnx::GraphProto *ig = init.mutable_graph();
  ig->clear_node();
  ig->clear_input();
  ig->clear_output();
  ig->clear_value_info();
  for (const ::onnx::NodeProto &node : info.initialization().node())
    *ig->add_node() = node;
  for (const ::onnx::TensorProto &t : info.initialization().initializer())
    *ig->add_initializer() = t;
  for (const ::onnx::ValueInfoProto &v : info.initialization().value_info())
    *ig->add_value_info() = v;
  for (const std::string &name : state) {
    auto it = initialValue.find(name);
    ::onnx::NodeProto *copy = ig->add_node();
    copy->set_op_type("Identity");
    copy->set_name("initial_" + name);
    copy->add_input(it != initialValue.end() ? it->second : name);
    copy->add_output("fqt_initial_" + name);
    *ig->add_output() = valueInfoOf(*initializers[name], "fqt_initial_" + name);
  }
  ONNXImportOptions initOptions = options;
  initOptions.functionName = "training_init";
  initOptions.inputShapes.clear();
  OwningOpRef<ModuleOp> initModule = importGraphModel(
      init, opset, trainingOpset, sourceName, context, initOptions);
  if (!initModule)
    return failure();

  // Move both functions (and the globals the main module lacks) over.
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  SymbolTable symbols(module);
  for (ModuleOp from : {*stepModule, *initModule})
    for (Operation &op : llvm::make_early_inc_range(*from.getBody())) {
      auto symbol = dyn_cast<SymbolOpInterface>(op);
      if (symbol && symbols.lookup(symbol.getName()))
        continue;
      op.moveBefore(module.getBody(), module.getBody()->end());
    }
  auto stepFunc = module.lookupSymbol<func::FuncOp>("training_step");
  auto initFunc = module.lookupSymbol<func::FuncOp>("training_init");
  for (unsigned i = 0, e = stepFunc.getNumResults(); i < e; ++i) {
    auto name = stepFunc.getResultAttrOfType<StringAttr>(i, "onnx.name");
    auto it = name ? updatedBy.find(name.getValue()) : updatedBy.end();
    if (it != updatedBy.end())
      stepFunc.setResultAttr(i, "onnx.update", b.getStringAttr(it->second));
  }
  for (auto [i, name] : llvm::enumerate(state))
    initFunc.setResultAttr(i, "onnx.name", b.getStringAttr(name));
  return verify(module);
}

/// Checks, converts, infers shapes of and imports a parsed model.
static OwningOpRef<ModuleOp>
importParsedModel(::onnx::ModelProto &model, StringRef sourceName,
                  MLIRContext *context, const ONNXImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(context, sourceName, 0, 0);
  if (!model.has_graph()) {
    emitError(fileLoc) << "not an ONNX model: it has no graph";
    return nullptr;
  }

  int64_t opset = -1;
  std::optional<int64_t> trainingOpset;
  for (const ::onnx::OperatorSetIdProto &id : model.opset_import()) {
    if (id.domain().empty() || id.domain() == "ai.onnx")
      opset = id.version();
    else if (id.domain() == kTrainingDomain)
      trainingOpset = id.version();
  }
  // A graph of training operators only (an optimizer step) has no operators
  // of the default set to convert: ONNX's checker makes sure of that.
  if (opset < 0 && trainingOpset)
    opset = kImportOpset;
  if (opset < 0) {
    emitError(fileLoc) << "the model imports no version of the default ONNX "
                          "operator set";
    return nullptr;
  }
  if (opset > newestReadableOpset()) {
    emitError(fileLoc) << "opset " << opset << " is newer than the newest "
                       << "supported opset " << newestReadableOpset()
                       << "; export the model with opset_version="
                       << newestReadableOpset();
    return nullptr;
  }
  if (failed(detail::loadExternalData(model, options.externalDataDir, fileLoc)))
    return nullptr;

  // The onnx dialect must be in the context's registry; load it so that its
  // ops are known to RegisteredOperationName.
  if (!context->getOrLoadDialect("onnx")) {
    emitError(fileLoc) << "the onnx dialect is not registered in this tool";
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = importGraphModel(model, opset, trainingOpset,
                                                  sourceName, context, options);
  if (!module || model.training_info_size() == 0)
    return module;
  if (failed(importTrainingInfo(model, opset, trainingOpset, sourceName,
                                context, options, *module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> importONNXModel(StringRef bytes, StringRef sourceName,
                                      MLIRContext *context,
                                      const ONNXImportOptions &options) {
  context->loadDialect<func::FuncDialect, ml_program::MLProgramDialect>();
  Location fileLoc = FileLineColLoc::get(context, sourceName, 0, 0);
  if (bytes.empty()) {
    emitError(fileLoc) << "empty file: not an ONNX model";
    return nullptr;
  }
  ::onnx::ModelProto model;
  if (bytes.size() > size_t(INT32_MAX) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    emitError(fileLoc) << "not an ONNX model: the protobuf is truncated or "
                          "malformed";
    return nullptr;
  }
  return importParsedModel(model, sourceName, context, options);
}

OwningOpRef<ModuleOp> importONNXModelText(StringRef text, StringRef sourceName,
                                          MLIRContext *context,
                                          const ONNXImportOptions &options) {
  context->loadDialect<func::FuncDialect, ml_program::MLProgramDialect>();
  ::onnx::ModelProto model;
  std::string nulTerminated = text.str();
  ::onnx::Common::Status status =
      ::onnx::OnnxParser::Parse(model, nulTerminated.c_str());
  if (!status.IsOK()) {
    emitError(FileLineColLoc::get(context, sourceName, 0, 0))
        << "cannot parse the ONNX text: " << status.ErrorMessage();
    return nullptr;
  }
  return importParsedModel(model, sourceName, context, options);
}

void printModelDiagnostic(Diagnostic &diag, llvm::raw_ostream &os) {
  std::string message = diag.str();
  std::string file = "<unknown>";
  if (auto loc = diag.getLocation()->findInstanceOf<FileLineColLoc>())
    file = loc.getFilename().str();
  const char *severity = "note";
  if (diag.getSeverity() == DiagnosticSeverity::Error)
    severity = "error";
  else if (diag.getSeverity() == DiagnosticSeverity::Warning)
    severity = "warning";
  os << file << ": " << severity << ": " << message;
  if (auto loc = diag.getLocation()->findInstanceOf<NameLoc>()) {
    std::string quoted = "'" + loc.getName().str() + "'";
    if (message.find(quoted) == std::string::npos)
      os << " (node " << quoted << ")";
  }
  os << "\n";
}

OwningOpRef<ModuleOp> importONNXModelFile(StringRef path, MLIRContext *context,
                                          const ONNXImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false);
  if (std::error_code error = buffer.getError()) {
    emitError(FileLineColLoc::get(context, path, 0, 0))
        << "cannot read the model: " << error.message();
    return nullptr;
  }
  ONNXImportOptions fileOptions = options;
  if (!fileOptions.externalDataDir)
    fileOptions.externalDataDir = llvm::sys::path::parent_path(path).str();
  if (path.ends_with(".onnxtxt"))
    return importONNXModelText((*buffer)->getBuffer(), path, context,
                               fileOptions);
  return importONNXModel((*buffer)->getBuffer(), path, context, fileOptions);
}

} // namespace fqt
