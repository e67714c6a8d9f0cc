//===- QuantizerKernel.cpp - One quantizer, compiled for one shape --------===//
//
// The kernel is a one-function module, built with the ops' builders,
//
//   func.func @quantize(%input: tensor<8x16xf32>, %seed: tensor<i64>,
//                       %step: tensor<i64>) -> (codes, scale, offset) {
//     %q, %s, %z = fqt.quantize %input seed(...) {quantizer = ..., stream = N}
//     return ...
//   }
//
// with a `#fqt.slot` on each of its buffers, so that the CPU
// pipeline's entry-points mode gives it the same `fqt_quantize(void **)`
// entry point as a training program's steps. ExecutionEngine JIT-compiles it
// for the host.
//
//===----------------------------------------------------------------------===//

#include "fqt/Driver/QuantizerKernel.h"

#include "fqt/Driver/Context.h"

#include "fqt/Pipelines/Pipelines.h"

#include "FQT/FQTAttrs.h"
#include "FQT/FQTDialect.h"
#include "FQT/FQTOps.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;

namespace fqt {

struct QuantizerKernel::Impl {
  std::unique_ptr<ExecutionEngine> engine;
  void (*entry)(void **) = nullptr;
};

QuantizerKernel::QuantizerKernel() = default;
QuantizerKernel::~QuantizerKernel() = default;

void QuantizerKernel::call(void **buffers) const { impl->entry(buffers); }

} // namespace fqt

namespace {

/// Collects every diagnostic of a context as text, one line each.
class DiagnosticCapture {
public:
  DiagnosticCapture(MLIRContext *context, std::string &text)
      : handler(context, [&text](Diagnostic &diag) {
          llvm::raw_string_ostream os(text);
          print(diag, os);
          return success();
        }) {}

private:
  static void print(Diagnostic &diag, llvm::raw_ostream &os) {
    switch (diag.getSeverity()) {
    case DiagnosticSeverity::Error:
      os << "error: ";
      break;
    case DiagnosticSeverity::Warning:
      os << "warning: ";
      break;
    default:
      os << "note: ";
      break;
    }
    os << diag.str() << "\n";
    for (Diagnostic &note : diag.getNotes())
      print(note, os);
  }

  ScopedDiagnosticHandler handler;
};

std::string shapeText(ArrayRef<int64_t> shape, StringRef separator) {
  std::string text;
  for (int64_t d : shape)
    text += std::to_string(d) + separator.str();
  return text;
}

/// Parses SPEC into an attribute of CONTEXT and fills RESULT.
fqt::QuantizerAttrInterface parseSpec(MLIRContext *context,
                                      const std::string &spec,
                                      fqt::QuantizerSpec &result,
                                      std::string &error) {
  StringRef text = StringRef(spec).trim();
  std::string problem;
  Attribute attr;
  {
    ScopedDiagnosticHandler capture(context, [&](Diagnostic &diag) {
      if (problem.empty())
        problem = diag.str();
      return success();
    });
    if (text.starts_with("#")) {
      // An attribute written out, with any of its parameters.
      attr = parseAttribute(text, context);
    } else {
      SmallVector<StringRef> parts;
      text.split(parts, ':');
      FailureOr<fqt::QuantizerSpecParts> widths = failure();
      if (parts.size() == 2 || parts.size() == 3)
        widths = fqt::splitQuantizerSpec(parts[0], parts[1]);
      bool ok = succeeded(widths);
      std::optional<fqt::Rounding> rounding;
      if (ok && parts.size() == 3) {
        rounding = fqt::symbolizeRounding(parts[2]);
        ok = rounding.has_value();
      }
      if (!ok) {
        error = "malformed quantizer '" + spec +
                "'; expected KIND:BITS[:ROUNDING] with KIND one of ptq, psq, "
                "psqz, bhq, percol, percolz, lbt, act, weight, or "
                "KIND:BITS/SIZE[:ROUNDING] with KIND blk or rht, ROUNDING "
                "nearest or stochastic, or an attribute such as "
                "#fqt.psq<bits = 4>";
        return nullptr;
      }
      if (parts[0] == "weight" && rounding == fqt::Rounding::stochastic) {
        error = "quantizer '" + spec + "': #fqt.weight rounds to nearest";
        return nullptr;
      }
      // Blocks along the last dimension of a matrix (a dY on its way to
      // dX = dY W^T); an attribute spells out another axis.
      attr = fqt::getQuantizerAttr(
          [&] { return mlir::emitError(UnknownLoc::get(context)); }, context,
          parts[0], widths->bits, rounding, widths->blockSize,
          /*blockAxis=*/1);
    }
  }
  auto quantizer = llvm::dyn_cast_or_null<fqt::QuantizerAttrInterface>(attr);
  if (!quantizer || !problem.empty()) {
    error = "invalid quantizer '" + spec + "'" +
            (problem.empty() ? std::string(": not an fqt quantizer")
                             : ": " + problem);
    return nullptr;
  }
  if (quantizer.isNone()) {
    error = "quantizer '" + spec + "' quantizes nothing; give one of ptq, "
                                   "psq, bhq, percol, lbt, act, weight";
    return nullptr;
  }
  llvm::raw_string_ostream os(result.attribute);
  result.attribute.clear();
  os << attr;
  // "#fqt.psq<bits = 4>" -> "psq".
  StringRef kind = StringRef(result.attribute).drop_front(strlen("#fqt."));
  result.kind = kind.take_until([](char c) { return c == '<'; }).str();
  result.bits = quantizer.getBits();
  result.symmetric = quantizer.isSymmetric();
  result.stochastic = quantizer.getRounding() == fqt::Rounding::stochastic;
  result.transform = isa<fqt::BHQAttr, fqt::RHTAttr>(attr);
  if (auto rht = dyn_cast<fqt::RHTAttr>(attr))
    result.transformSize = rht.getSize();
  result.gamma = isa<fqt::LBTAttr>(attr);
  result.minRows = quantizer.getMinRows();
  return quantizer;
}

} // namespace

bool fqt::parseQuantizerSpec(const std::string &spec, QuantizerSpec &result,
                             std::string &error) {
  DialectRegistry registry;
  registry.insert<fqt::FQTDialect>();
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadDialect<fqt::FQTDialect>();
  return static_cast<bool>(parseSpec(&context, spec, result, error));
}

std::unique_ptr<fqt::QuantizerKernel>
fqt::QuantizerKernel::create(Kind kind, const std::string &specText,
                             const std::vector<int64_t> &shape, int64_t stream,
                             std::string &error) {
  std::unique_ptr<MLIRContext> context = createCompilerContext();
  // The dialects of the kernel's ops (a builder, unlike the parser, does
  // not load them).
  context->loadDialect<fqt::FQTDialect, func::FuncDialect,
                       tensor::TensorDialect>();
  std::unique_ptr<QuantizerKernel> kernel(new QuantizerKernel());
  QuantizerSpec &spec = kernel->spec;
  QuantizerAttrInterface quantizer =
      parseSpec(context.get(), specText, spec, error);
  if (!quantizer)
    return nullptr;

  for (int64_t d : shape) {
    if (d <= 0) {
      error = "the tensor's shape [" + shapeText(shape, ",") +
              "] has an empty dimension";
      return nullptr;
    }
  }
  FailureOr<SmallVector<int64_t>> scaleShape = getScaleShape(quantizer, shape);
  if (failed(scaleShape)) {
    error = spec.attribute + " scales per " +
            stringifyGranularity(quantizer.getGranularity()).str() +
            ", which a tensor of rank " + std::to_string(shape.size()) +
            " does not have";
    return nullptr;
  }
  if (!shape.empty() && shape.front() < spec.minRows) {
    error = spec.attribute + " needs at least " +
            std::to_string(spec.minRows) + " rows, the tensor has " +
            std::to_string(shape.front());
    return nullptr;
  }
  if (spec.transform && shape.empty()) {
    error = spec.attribute + " needs rows; the tensor is a scalar";
    return nullptr;
  }

  auto &args = kernel->argBuffers;
  auto &results = kernel->resultBuffers;
  std::vector<int64_t> scales(scaleShape->begin(), scaleShape->end());
  std::vector<int64_t> square;
  if (spec.transformSize)
    square = {spec.transformSize};
  else if (spec.transform)
    square = {shape.front(), shape.front()};
  bool quantize = kind == Kind::Quantize;
  std::vector<QuantizerKernel::Buffer> quantized = {{"codes", "i8", shape},
                                                    {"scale", "f32", scales}};
  if (!spec.symmetric)
    quantized.push_back({"offset", "f32", scales});
  if (spec.transform)
    quantized.push_back({"transform", "f32", square});
  if (quantize) {
    args.push_back({"input", "f32", shape});
    if (spec.stochastic) {
      args.push_back({"seed", "i64", {}});
      args.push_back({"step", "i64", {}});
    }
    if (spec.gamma)
      args.push_back({"gamma", "f32", {}});
    results = quantized;
  } else {
    args = quantized;
    results.push_back({"result", "f32", shape});
  }

  // The module, op by op: one function whose every buffer carries its
  // slot, so that the CPU pipeline's entry-points mode describes it to the
  // runtime as a step function.
  MLIRContext *ctx = context.get();
  std::string name = quantize ? "quantize" : "dequantize";
  Location loc = NameLoc::get(StringAttr::get(ctx, "<" + name + ">"));
  auto type = [&](const Buffer &buffer) -> RankedTensorType {
    Type element = buffer.dtype == "i8"    ? Type(IntegerType::get(ctx, 8))
                   : buffer.dtype == "i64" ? Type(IntegerType::get(ctx, 64))
                                           : Type(Float32Type::get(ctx));
    return RankedTensorType::get(buffer.shape, element);
  };
  SmallVector<Type> argTypes, resultTypes;
  for (const Buffer &buffer : args)
    argTypes.push_back(type(buffer));
  for (const Buffer &buffer : results)
    resultTypes.push_back(type(buffer));
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b = OpBuilder::atBlockEnd(module->getBody());
  auto fn = func::FuncOp::create(b, loc, name,
                                 b.getFunctionType(argTypes, resultTypes));
  for (auto [i, buffer] : llvm::enumerate(args))
    fn.setArgAttrs(i, getSlotAttrs(ctx, SlotKind::input, buffer.name));
  for (auto [i, buffer] : llvm::enumerate(results))
    fn.setResultAttrs(i, getSlotAttrs(ctx, SlotKind::output, buffer.name));
  Block *block = fn.addEntryBlock();
  b.setInsertionPointToStart(block);
  auto arg = [&](StringRef argName) -> Value {
    for (auto [i, buffer] : llvm::enumerate(args))
      if (buffer.name == argName)
        return block->getArgument(i);
    return Value();
  };
  auto scalar = [&](StringRef argName) -> Value {
    Value tensor = arg(argName);
    return tensor ? tensor::ExtractOp::create(b, loc, tensor, ValueRange{})
                        .getResult()
                  : Value();
  };
  SmallVector<Value> returned;
  if (quantize) {
    // codes, scale, then the optional offset and transform.
    auto result = [&](StringRef resultName) -> Type {
      for (auto [i, buffer] : llvm::enumerate(results))
        if (buffer.name == resultName)
          return resultTypes[i];
      return Type();
    };
    auto op = QuantizeOp::create(
        b, loc, result("codes"), result("scale"), result("offset"),
        result("transform"), arg("input"), scalar("seed"), scalar("step"),
        scalar("gamma"), quantizer, static_cast<uint64_t>(stream));
    returned.append(op->result_begin(), op->result_end());
  } else {
    returned.push_back(
        DequantizeOp::create(b, loc, resultTypes[0], arg("codes"), arg("scale"),
                             arg("offset"), arg("transform"), quantizer));
  }
  func::ReturnOp::create(b, loc, returned);
  llvm::raw_string_ostream os(kernel->source);
  module->print(os);

  std::string diagnostics;
  {
    DiagnosticCapture capture(context.get(), diagnostics);
    if (failed(verify(*module))) {
      error = "cannot build the " + name + " kernel of " + spec.attribute +
              ":\n" + diagnostics;
      return nullptr;
    }
    PassManager pm(context.get());
    FqtCpuPipelineOptions cpuOptions;
    cpuOptions.entryPoints = true;
    // The caller passes the kernel's own buffers and nothing else; the few
    // temporaries of one quantizer stay allocations.
    cpuOptions.workspace = false;
    buildFqtCpuPipeline(pm, cpuOptions);
    if (failed(pm.run(*module))) {
      error = "cannot compile the " + name + " kernel of " + spec.attribute +
              " on shape [" + shapeText(shape, ",") + "]:\n" + diagnostics;
      return nullptr;
    }

    initializeNativeTarget();
    ExecutionEngineOptions engineOptions;
    // Bufferized copies call memrefCopy from MLIR's C runner utilities; the
    // parallel loops call libomp.
    SmallVector<StringRef> sharedLibs = {FQT_MLIR_C_RUNNER_UTILS,
                                         FQT_OPENMP_LIBRARY};
    engineOptions.sharedLibPaths = sharedLibs;
    auto transformer = makeOptimizingTransformer(/*optLevel=*/2,
                                                 /*sizeLevel=*/0,
                                                 /*targetMachine=*/nullptr);
    engineOptions.transformer = transformer;
    auto engine = ExecutionEngine::create(*module, engineOptions);
    if (!engine) {
      error = "JIT compilation of the " + name + " kernel failed: " +
              llvm::toString(engine.takeError());
      return nullptr;
    }
    auto entry = (*engine)->lookup("fqt_" + name);
    if (!entry) {
      error = "the " + name + " kernel has no entry point: " +
              llvm::toString(entry.takeError());
      return nullptr;
    }
    kernel->impl = std::make_unique<Impl>();
    kernel->impl->entry = reinterpret_cast<void (*)(void **)>(*entry);
    kernel->impl->engine = std::move(*engine);
  }
  return kernel;
}
