// Dialect extensions are registered: without them --convert-to-llvm would
// silently leave func and arith alone.
// RUN: fqt-opt %s --convert-to-llvm | FileCheck %s

// CHECK-LABEL: llvm.func @add
// CHECK: llvm.add
// CHECK: llvm.return
func.func @add(%a: i32, %b: i32) -> i32 {
  %c = arith.addi %a, %b : i32
  return %c : i32
}
