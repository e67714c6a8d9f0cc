// fqt-opt knows fqt beside every upstream dialect.
// RUN: fqt-opt --show-dialects | FileCheck %s

// CHECK: Available Dialects:
// CHECK-SAME: arith
// CHECK-SAME: fqt
// CHECK-SAME: linalg
// CHECK-SAME: nvvm
// CHECK-SAME: x86vector
