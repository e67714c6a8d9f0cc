//===- ProgramDescription.cpp - The runtime's view of a program -----------===//

#include "ProgramDescription.h"

#include "FQT/FQTAttrs.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace fqt;

FailureOr<SmallVector<func::FuncOp>> fqt::getStepFunctions(ModuleOp module) {
  SmallVector<func::FuncOp> steps;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isExternal() || !fn.isPublic())
      continue;
    unsigned labelled = 0, total = fn.getNumArguments() + fn.getNumResults();
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
      labelled += getArgSlot(fn, i) != nullptr;
    for (unsigned i = 0, e = fn.getNumResults(); i < e; ++i)
      labelled += getResultSlot(fn, i) != nullptr;
    if (labelled == 0)
      continue;
    if (labelled != total)
      return fn.emitError("step function '")
             << fn.getName() << "' has a #fqt.slot on " << labelled
             << " of its " << total
             << " arguments and results; the runtime needs all";
    steps.push_back(fn);
  }
  if (steps.empty())
    return module.emitError(
        "no step functions (public functions whose arguments and results "
        "carry fqt.slot); run --fqt-build-training first");
  return steps;
}

FailureOr<unsigned> fqt::getNumOriginalArguments(func::FuncOp fn) {
  std::optional<unsigned> last;
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
    // weight, input, label, hyper: the kinds only arguments have.
    SlotAttr slot = getArgSlot(fn, i);
    if (slot && slot.isArgumentKind() && !slot.isResultKind())
      last = i;
  }
  if (!last)
    return fn.emitError("step function '")
           << fn.getName()
           << "' has no weight, input, label or hyper argument: the runtime "
              "cannot tell its arguments from its results";
  return *last + 1;
}

FailureOr<std::string> fqt::describeProgram(ModuleOp module) {
  FailureOr<SmallVector<func::FuncOp>> steps = getStepFunctions(module);
  if (failed(steps))
    return failure();
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "fqt-model 1\n";
  if (auto program = module->getAttrOfType<ProgramAttr>("fqt.program")) {
    os << "loss " << program.getLoss() << "\noptimizer "
       << program.getOptimizer() << " lr=" << program.getLr().convertToDouble()
       << "\n";
    if (DictionaryAttr quantizers = program.getQuantizers()) {
      // The roles in the order Model.h documents, then any other entry.
      os << "quantizers";
      static const char *const order[] = {"act", "weight", "dgrad", "wgrad",
                                          "mode"};
      for (const char *key : order)
        if (auto value = quantizers.getAs<StringAttr>(key))
          os << ' ' << key << '=' << value.getValue();
      for (NamedAttribute entry : quantizers)
        if (!llvm::is_contained(order, entry.getName().getValue()))
          os << ' ' << entry.getName().getValue() << '='
             << cast<StringAttr>(entry.getValue()).getValue();
      os << "\n";
    }
  }
  for (func::FuncOp fn : *steps) {
    // Before bufferization the results are results; after it, trailing
    // out-parameters.
    unsigned numArgs = fn.getNumArguments();
    if (fn.getNumResults() == 0) {
      FailureOr<unsigned> original = getNumOriginalArguments(fn);
      if (failed(original))
        return failure();
      numArgs = *original;
    }
    os << "function " << fn.getName() << "\n";
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
      SlotAttr slot = getArgSlot(fn, i);
      os << (i < numArgs ? "arg " : "result ")
         << stringifySlotKind(slot.getKind()) << ' ' << slot.getName() << ' '
         << describeSlotType(cast<ShapedType>(fn.getArgumentTypes()[i]))
         << "\n";
    }
    for (unsigned i = 0, e = fn.getNumResults(); i < e; ++i) {
      SlotAttr slot = getResultSlot(fn, i);
      os << "result " << stringifySlotKind(slot.getKind()) << ' '
         << slot.getName() << ' '
         << describeSlotType(cast<ShapedType>(fn.getResultTypes()[i])) << "\n";
    }
    os << "end\n";
  }
  return text;
}
