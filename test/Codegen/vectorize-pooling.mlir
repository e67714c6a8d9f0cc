// RUN: fqt-opt %s --split-input-file --fqt-vectorize-pooling="cpu-features=+avx512f" | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-vectorize-pooling="cpu-features=+avx512f parallel=1" | FileCheck %s --check-prefix=PAR

// A 2x2 window with stride 2: per output row, 32 input values of each of
// the two rows under it, their maximum, the maximum of even and odd lanes,
// the maximum with the output's 16 values; masked at the row's end.
// CHECK-LABEL: func.func @pool
// CHECK-NOT: linalg.pooling_nchw_max
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// CHECK: vector.create_mask %{{.*}} : vector<32xi1>
// CHECK: vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: vector.maskedload %{{.*}} : memref<1x2x9x13xf32>, vector<32xi1>, vector<32xf32> into vector<32xf32>
// CHECK: vector.maskedload %{{.*}} : memref<1x2x9x13xf32>, vector<32xi1>, vector<32xf32> into vector<32xf32>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<32xf32>
// CHECK-DAG: vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, {{.*}}, 30] : vector<32xf32>, vector<32xf32>
// CHECK-DAG: vector.shuffle %{{.*}}, %{{.*}} [1, 3, 5, {{.*}}, 31] : vector<32xf32>, vector<32xf32>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %{{.*}} : memref<1x2x4x6xf32>, vector<16xi1>, vector<16xf32>
// PAR-LABEL: func.func @pool
// PAR: scf.parallel
func.func @pool(%x: memref<1x2x9x13xf32>, %w: memref<2x2xf32>, %y: memref<1x2x4x6xf32>) {
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : memref<1x2x9x13xf32>, memref<2x2xf32>) outs(%y : memref<1x2x4x6xf32>)
  return
}

// -----

// Other windows and strides, and tensors, are left to linalg's loops.
// CHECK-LABEL: func.func @others
// CHECK: linalg.pooling_nchw_max {{.*}}strides = dense<1>
// CHECK: linalg.pooling_nchw_max {{.*}}ins(%{{.*}}, %{{.*}} : memref<1x2x9x9xf32>, memref<3x3xf32>)
// CHECK: linalg.pooling_nchw_max {{.*}} -> tensor<1x2x4x4xf32>
func.func @others(%x: memref<1x2x9x9xf32>, %w2: memref<2x2xf32>, %w3: memref<3x3xf32>,
                  %y: memref<1x2x8x8xf32>, %z: memref<1x2x4x4xf32>,
                  %t: tensor<1x2x9x9xf32>, %tw: tensor<2x2xf32>, %ty: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w2 : memref<1x2x9x9xf32>, memref<2x2xf32>) outs(%y : memref<1x2x8x8xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w3 : memref<1x2x9x9xf32>, memref<3x3xf32>) outs(%z : memref<1x2x4x4xf32>)
  %r = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%t, %tw : tensor<1x2x9x9xf32>, tensor<2x2xf32>) outs(%ty : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %r : tensor<1x2x4x4xf32>
}
