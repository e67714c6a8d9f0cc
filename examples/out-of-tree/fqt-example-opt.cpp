//===- fqt-example-opt.cpp - An mlir-opt with the fqt dialect -------------===//
//
// What a project outside fqt needs to parse, verify and print the fqt
// dialect's ops and quantizer attributes: the installed headers and
// FQT::FQTDialect (find_package(FQT)).
//
//===----------------------------------------------------------------------===//

#include "FQT/FQTDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<fqt::FQTDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::tensor::TensorDialect>();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "An mlir-opt with fqt's dialect, built out of tree\n",
      registry));
}
