// RUN: fqt-opt %s --split-input-file --fqt-lower-qmatmul | FileCheck %s

// Per-row lhs (unsigned 4-bit codes) times a per-tensor transposed weight:
// i32 contraction of the zero-extended codes, code sums for the zero points,
// f32 epilogue.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @dgrad
// CHECK-SAME: (%[[G:.*]]: tensor<16x10xi8>, %[[GS:.*]]: tensor<16xf32>, %[[GZ:.*]]: tensor<16xf32>, %[[W:.*]]: tensor<32x10xi8>, %[[WS:.*]]: tensor<f32>, %[[WZ:.*]]: tensor<f32>)
// CHECK: %[[P0:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<16x32xi32>)
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[A]], #[[BT]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[G]], %[[W]] : tensor<16x10xi8>, tensor<32x10xi8>) outs(%[[P0]] : tensor<16x32xi32>)
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: %[[RS:.*]] = linalg.generic {{.*}} ins(%[[G]] : tensor<16x10xi8>) outs(%{{.*}} : tensor<16xi32>)
// CHECK: %[[CS:.*]] = linalg.generic {{.*}} ins(%[[W]] : tensor<32x10xi8>) outs(%{{.*}} : tensor<32xi32>)
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: ins(%[[P]], %[[GS]], %[[WS]], %[[GZ]], %[[WZ]], %[[RS]], %[[CS]] :
// CHECK: arith.sitofp
// CHECK: return %[[R]]
// CHECK-NOT: fqt.qmatmul
func.func @dgrad(%g: tensor<16x10xi8>, %gs: tensor<16xf32>, %gz: tensor<16xf32>,
                 %w: tensor<32x10xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> tensor<16x32xf32> {
  %dx = fqt.qmatmul %g as #fqt.psq<bits = 4> scale(%gs, %gz), %w as #fqt.weight<bits = 8> scale(%ws, %wz) transposed
      : (tensor<16x10xi8>, tensor<16xf32>, tensor<16xf32>, tensor<32x10xi8>, tensor<f32>, tensor<f32>) -> tensor<16x32xf32>
  return %dx : tensor<16x32xf32>
}

// -----

// Symmetric (LBT) lhs codes are sign-extended and need no column sums of
// the rhs; a transposed lhs reads (k, m).
// CHECK-DAG: #[[AT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-LABEL: func.func @wgrad_lbt
// CHECK: linalg.generic {indexing_maps = [#[[AT]],
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: ins(%{{.*}} : tensor<6x4xi8>) outs(%{{.*}} : tensor<4xi32>)
// CHECK-NOT: tensor<5xi32>
// CHECK: return
func.func @wgrad_lbt(%g: tensor<6x4xi8>, %gs: tensor<f32>,
                     %x: tensor<6x5xi8>, %xs: tensor<f32>, %xz: tensor<f32>) -> tensor<4x5xf32> {
  %dw = fqt.qmatmul %g as #fqt.lbt<bits = 8> scale(%gs) transposed, %x as #fqt.act<bits = 8> scale(%xs, %xz)
      : (tensor<6x4xi8>, tensor<f32>, tensor<6x5xi8>, tensor<f32>, tensor<f32>) -> tensor<4x5xf32>
  return %dw : tensor<4x5xf32>
}

// -----

// BHQ: the inverse transform multiplies the rows of the result.
// CHECK-LABEL: func.func @bhq
// CHECK-SAME: %[[T:[^:]*]]: tensor<4x4xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: %[[Y:.*]] = linalg.matmul ins(%[[T]], %[[R]] : tensor<4x4xf32>, tensor<4x3xf32>)
// CHECK: return %[[Y]]
func.func @bhq(%g: tensor<4x6xi8>, %gs: tensor<4xf32>, %gz: tensor<4xf32>, %t: tensor<4x4xf32>,
               %w: tensor<6x3xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> tensor<4x3xf32> {
  %r = fqt.qmatmul %g as #fqt.bhq<bits = 4> scale(%gs, %gz) transform(%t), %w as #fqt.weight<bits = 8> scale(%ws, %wz)
      : (tensor<4x6xi8>, tensor<4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<6x3xi8>, tensor<f32>, tensor<f32>) -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

// -----

// A per-sample scale on a transposed lhs varies along the reduction: left
// for --fqt-simulate-qmatmul.
// CHECK-LABEL: func.func @wgrad_psq
// CHECK: fqt.qmatmul
func.func @wgrad_psq(%g: tensor<6x4xi8>, %gs: tensor<6xf32>, %gz: tensor<6xf32>,
                     %x: tensor<6x5xi8>, %xs: tensor<f32>, %xz: tensor<f32>) -> tensor<4x5xf32> {
  %dw = fqt.qmatmul %g as #fqt.psq<bits = 8> scale(%gs, %gz) transposed, %x as #fqt.act<bits = 8> scale(%xs, %xz)
      : (tensor<6x4xi8>, tensor<6xf32>, tensor<6xf32>, tensor<6x5xi8>, tensor<f32>, tensor<f32>) -> tensor<4x5xf32>
  return %dw : tensor<4x5xf32>
}

// -----

// A reduction too long for i32 sums: unsigned 8-bit codes on both sides,
// so K * 255 * 255 < 2^31 holds up to K = 33025. K = 70000 runs in two
// blocks of 33024 (33025 rounded down to whole vector steps of 64) and a
// remainder of 3952, each an i32 contraction with its own code sums and K,
// accumulated in f32.
// CHECK-LABEL: func.func @long_reduction(
// CHECK-SAME: %[[A:[^:]*]]: tensor<2x70000xi8>
// CHECK-SAME: %[[B:[^:]*]]: tensor<70000x3xi8>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[SIZE:.*]] = arith.constant 33024 : index
// CHECK-DAG: %[[REST:.*]] = arith.constant 66048 : index
// CHECK-DAG: %[[KBLOCK:.*]] = arith.constant 3.302400e+04 : f32
// CHECK-DAG: %[[KREST:.*]] = arith.constant 3.952000e+03 : f32
// CHECK: %[[LOOP:.*]] = scf.for %[[I:.*]] = %[[C0]] to %[[C2]] step %[[C1]] iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<2x3xf32>)
// CHECK:   %[[K0:.*]] = arith.muli %[[I]], %[[SIZE]]
// CHECK:   tensor.extract_slice %[[A]][0, %[[K0]]] [2, 33024] [1, 1]
// CHECK:   tensor.extract_slice %[[B]][%[[K0]], 0] [33024, 3] [1, 1]
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} {{.*}} outs(%{{.*}} : tensor<2x3xi32>)
// CHECK:   arith.mulf %{{.*}}, %[[KBLOCK]] : f32
// CHECK:   scf.yield
// CHECK: tensor.extract_slice %[[A]][0, %[[REST]]] [2, 3952] [1, 1]
// CHECK: tensor.extract_slice %[[B]][%[[REST]], 0] [3952, 3] [1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} {{.*}} outs(%{{.*}} : tensor<2x3xi32>)
// CHECK: linalg.generic {{.*}} outs(%[[LOOP]] : tensor<2x3xf32>)
// CHECK: arith.mulf %{{.*}}, %[[KREST]] : f32
func.func @long_reduction(%a: tensor<2x70000xi8>, %as: tensor<f32>, %ao: tensor<f32>,
                          %b: tensor<70000x3xi8>, %bs: tensor<f32>, %bo: tensor<f32>) -> tensor<2x3xf32> {
  %c = fqt.qmatmul %a as #fqt.act<bits = 8> scale(%as, %ao), %b as #fqt.weight<bits = 8> scale(%bs, %bo)
      : (tensor<2x70000xi8>, tensor<f32>, tensor<f32>, tensor<70000x3xi8>, tensor<f32>, tensor<f32>) -> tensor<2x3xf32>
  return %c : tensor<2x3xf32>
}

// -----

// At the bound (K = 33025) one contraction suffices; signed 8-bit LBT codes
// (magnitude <= 127) allow K = 66311 against unsigned ones.
// CHECK-LABEL: func.func @at_the_bound(
// CHECK-NOT: scf.for
// CHECK: return
func.func @at_the_bound(%a: tensor<2x33025xi8>, %as: tensor<f32>, %ao: tensor<f32>,
                        %b: tensor<33025x3xi8>, %bs: tensor<f32>, %bo: tensor<f32>,
                        %g: tensor<66311x2xi8>, %gs: tensor<f32>,
                        %x: tensor<66311x3xi8>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %c = fqt.qmatmul %a as #fqt.act<bits = 8> scale(%as, %ao), %b as #fqt.weight<bits = 8> scale(%bs, %bo)
      : (tensor<2x33025xi8>, tensor<f32>, tensor<f32>, tensor<33025x3xi8>, tensor<f32>, tensor<f32>) -> tensor<2x3xf32>
  %d = fqt.qmatmul %g as #fqt.lbt<bits = 8> scale(%gs) transposed, %x as #fqt.act<bits = 8> scale(%as, %ao)
      : (tensor<66311x2xi8>, tensor<f32>, tensor<66311x3xi8>, tensor<f32>, tensor<f32>) -> tensor<2x3xf32>
  return %c, %d : tensor<2x3xf32>, tensor<2x3xf32>
}
