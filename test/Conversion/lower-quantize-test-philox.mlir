// RUN: fqt-opt %s --fqt-test-philox | FileCheck %s

// The test hook gives the Philox declarations their bodies: ten rounds of
// two unsigned 32 x 32 -> 64-bit products with xors and key bumps.
// CHECK-LABEL: func.func private @fqt_test_philox4x32_10
// CHECK-SAME: (%[[C0:.*]]: i32, %[[C1:.*]]: i32, %[[C2:.*]]: i32, %[[C3:.*]]: i32, %[[K0:.*]]: i32, %[[K1:.*]]: i32) -> (i32, i32, i32, i32)
// CHECK-DAG: %[[M0:.*]] = arith.constant -766435501 : i32
// CHECK-DAG: %[[M1:.*]] = arith.constant -845247145 : i32
// CHECK-DAG: %[[W0:.*]] = arith.constant -1640531527 : i32
// CHECK-DAG: %[[W1:.*]] = arith.constant -1150833019 : i32
// CHECK: %[[L0:.*]], %[[H0:.*]] = arith.mului_extended %[[M0]], %[[C0]] : i32
// CHECK: %[[L1:.*]], %[[H1:.*]] = arith.mului_extended %[[M1]], %[[C2]] : i32
// CHECK: %[[X0:.*]] = arith.xori %[[H1]], %[[C1]] : i32
// CHECK: %{{.*}} = arith.xori %[[X0]], %[[K0]] : i32
// CHECK: %[[X2:.*]] = arith.xori %[[H0]], %[[C3]] : i32
// CHECK: %{{.*}} = arith.xori %[[X2]], %[[K1]] : i32
// CHECK: arith.addi %[[K0]], %[[W0]] : i32
// CHECK: arith.addi %[[K1]], %[[W1]] : i32
// CHECK-COUNT-18: arith.mului_extended
// CHECK: return
// CHECK-LABEL: func.func private @fqt_test_philox_uniform
// CHECK-SAME: (%{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64) -> f32
// CHECK: arith.shrui %{{.*}}, %{{.*}} : i32
// CHECK: arith.uitofp %{{.*}} : i32 to f32
// CHECK: return %{{.*}} : f32
// CHECK-LABEL: func.func private @other
// CHECK-NOT: arith
func.func private @fqt_test_philox4x32_10(i32, i32, i32, i32, i32, i32) -> (i32, i32, i32, i32)
func.func private @fqt_test_philox_uniform(i64, i64, i64, i64) -> f32
func.func private @other(i32) -> i32

