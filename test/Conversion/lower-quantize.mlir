// RUN: fqt-opt %s --split-input-file --fqt-lower-quantize | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-lower-quantize | FileCheck %s --check-prefix=PHILOX
// RUN: fqt-opt %s --split-input-file --fqt-lower-quantize | FileCheck %s --check-prefix=NOFQT

// NOFQT-NOT: fqt.quantize

// Activations: per-tensor min/max, nearest rounding, no noise.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ALL:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<() -> ()>
// CHECK-LABEL: func.func @act
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK-DAG: %[[B:.*]] = arith.constant 2.550000e+02 : f32
// CHECK-DAG: %[[EPS:.*]] = arith.constant 9.99999993E-9 : f32
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK: %[[MIN0:.*]] = linalg.fill ins(%[[INF]] : f32)
// CHECK: %[[MAX0:.*]] = linalg.fill ins(%[[NINF]] : f32)
// CHECK: %[[R:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ALL]], #[[ALL]]], iterator_types = ["reduction", "reduction"]} ins(%[[X]] : tensor<4x8xf32>) outs(%[[MIN0]], %[[MAX0]] : tensor<f32>, tensor<f32>)
// CHECK:   arith.minimumf
// CHECK:   arith.maximumf
// CHECK: %[[P:.*]]:3 = linalg.generic {indexing_maps = [#[[SCALAR]], #[[SCALAR]], #[[SCALAR]], #[[SCALAR]], #[[SCALAR]]], iterator_types = []} ins(%[[R]]#0, %[[R]]#1 : tensor<f32>, tensor<f32>)
// CHECK:   %[[MN:.*]] = arith.subf %{{.*}}, %[[EPS]] : f32
// CHECK:   %[[MX:.*]] = arith.addf %{{.*}}, %[[EPS]] : f32
// CHECK:   %[[RANGE:.*]] = arith.subf %[[MX]], %[[MN]] : f32
// CHECK:   %[[POS:.*]] = arith.cmpf ogt, %[[RANGE]]
// CHECK:   %[[SAFE:.*]] = arith.select %[[POS]], %[[RANGE]]
// CHECK:   %[[MUL:.*]] = arith.divf %[[B]], %[[SAFE]] : f32
// CHECK:   %[[SCALE:.*]] = arith.divf %[[SAFE]], %[[B]] : f32
// A range that is not finite (a NaN or an infinity in the tensor) gives NaN
// parameters, so that the tensor dequantizes to NaN, not to finite values.
// CHECK:   %[[EXTENT:.*]] = arith.subf %{{.*}}, %{{.*}} : f32
// CHECK:   %[[ABS:.*]] = math.absf %[[EXTENT]] : f32
// CHECK:   %[[FINITE:.*]] = arith.cmpf olt, %[[ABS]], %[[INF]] : f32
// CHECK:   %[[GMUL:.*]] = arith.select %[[FINITE]], %[[MUL]], %[[NAN:.*]] : f32
// CHECK:   %[[GSCALE:.*]] = arith.select %[[FINITE]], %[[SCALE]], %[[NAN]] : f32
// CHECK:   %[[GMN:.*]] = arith.select %[[FINITE]], %[[MN]], %[[NAN]] : f32
// CHECK:   linalg.yield %[[GMUL]], %[[GSCALE]], %[[GMN]] : f32, f32, f32
// CHECK: %[[Q:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ALL]], #[[ALL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[P]]#0, %[[P]]#2 : tensor<4x8xf32>, tensor<f32>, tensor<f32>) outs(%{{.*}} : tensor<4x8xi8>)
// CHECK: ^bb0(%[[E:.*]]: f32, %[[EM:.*]]: f32, %[[ELO:.*]]: f32, %{{.*}}: i8):
// CHECK:   %[[D:.*]] = arith.subf %[[E]], %[[ELO]] : f32
// CHECK:   %[[Y:.*]] = arith.mulf %[[D]], %[[EM]] : f32
// CHECK:   %[[HI:.*]] = arith.minimumf %[[Y]], %[[B]] : f32
// CHECK:   %[[LO:.*]] = arith.maximumf %[[HI]]
// CHECK:   %[[RD:.*]] = math.roundeven %[[LO]] : f32
// CHECK:   %[[C:.*]] = arith.fptoui %[[RD]] : f32 to i8
// CHECK:   linalg.yield %[[C]] : i8
// CHECK: return %[[Q]], %[[P]]#1, %[[P]]#2
// PHILOX-LABEL: func.func @act
// PHILOX-NOT: arith.mului_extended
// PHILOX: return
func.func @act(%x: tensor<4x8xf32>) -> (tensor<4x8xi8>, tensor<f32>, tensor<f32>) {
  %q, %s, %z = fqt.quantize %x {quantizer = #fqt.act<bits = 8>}
      : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<f32>, offset tensor<f32>
  return %q, %s, %z : tensor<4x8xi8>, tensor<f32>, tensor<f32>
}

// -----

// Weights: the range contains 0 and the zero point is the integer code
// floor(-mn * B / range), added after scaling; the offset is -(zc * scale).
// CHECK-LABEL: func.func @weight
// CHECK: %[[P:.*]]:5 = linalg.generic
// CHECK:   %[[IQ:.*]] = math.floor
// CHECK:   %[[BYMIN:.*]] = arith.cmpf oge, %[[IQ]]
// CHECK:   %[[ZC:.*]] = arith.select %[[BYMIN]], %[[IQ]]
// CHECK:   %[[ZS:.*]] = arith.mulf %[[ZC]], %[[SC:.*]] : f32
// CHECK:   %[[OFF:.*]] = arith.subf %{{.*}}, %[[ZS]] : f32
// CHECK:   linalg.yield
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[P]]#0, %[[P]]#1, %[[P]]#2 : tensor<16x8xf32>, tensor<f32>, tensor<f32>, tensor<f32>)
// CHECK:   arith.subf
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK:   math.roundeven
// CHECK:   arith.fptoui %{{.*}} : f32 to i8
// CHECK: return %[[Q]], %[[P]]#3, %[[P]]#4
func.func @weight(%x: tensor<16x8xf32>) -> (tensor<16x8xi8>, tensor<f32>, tensor<f32>) {
  %q, %s, %z = fqt.quantize %x {quantizer = #fqt.weight<bits = 8>}
      : tensor<16x8xf32> -> tensor<16x8xi8>, tensor<f32>, offset tensor<f32>
  return %q, %s, %z : tensor<16x8xi8>, tensor<f32>, tensor<f32>
}

// -----

// PTQ: the weight's parameters, stochastic rounding with Philox noise keyed
// by (seed, step, stream, row-major index), four elements per Philox block
// (element i takes word i % 4 of block i / 4). A per-tensor quantizer views
// its tensor as one row of blocks, [32] as [8, 4]: the block is the outer
// index, the word the inner one, so the block does not depend on the inner
// loop.
// CHECK-LABEL: func.func @ptq
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[SEED:.*]]: i64, %[[STEP:.*]]: i64)
// CHECK-DAG: %[[STREAM:.*]] = arith.constant 3 : i32
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK: linalg.generic {{.*}} iterator_types = []
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1]] : tensor<4x8xf32> into tensor<32xf32>
// CHECK: %[[BLOCKS:.*]] = tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1]] output_shape [8, 4]
// CHECK: %[[CODES:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[BLOCKS]],
// CHECK:   %[[B:.*]] = linalg.index 0 : index
// CHECK:   %[[IDX:.*]] = arith.index_cast %[[B]] : index to i64
// CHECK:   %[[LANE:.*]] = linalg.index 1 : index
// CHECK:   %[[K0:.*]] = arith.trunci %[[SEED]] : i64 to i32
// CHECK:   %[[C0:.*]] = arith.trunci %[[IDX]] : i64 to i32
// CHECK:   %[[C2:.*]] = arith.trunci %[[STEP]] : i64 to i32
// CHECK:   arith.mului_extended %[[C0]], %{{.*}} : i32
// CHECK:   arith.mului_extended %[[C2]], %{{.*}} : i32
// CHECK:   arith.xori %{{.*}}, %[[STREAM]] : i32
// CHECK:   arith.cmpi eq, %[[LANE]], %{{.*}} : index
// CHECK:   arith.cmpi eq, %[[LANE]], %{{.*}} : index
// CHECK:   arith.cmpi eq, %[[LANE]], %{{.*}} : index
// CHECK:   %[[U:.*]] = arith.select
// CHECK:   %[[FL:.*]] = math.floor %[[Y:.*]] : f32
// CHECK:   %[[FR:.*]] = arith.subf %[[Y]], %[[FL]] : f32
// CHECK:   %[[UP:.*]] = arith.cmpf olt, %[[U]], %[[FR]] : f32
// CHECK:   %[[INC:.*]] = arith.select %[[UP]]
// CHECK:   %[[QF:.*]] = arith.addf %[[FL]], %[[INC]] : f32
// CHECK:   arith.fptoui %[[QF]] : f32 to i8
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %[[CODES]] {{\[\[}}0, 1]] : tensor<8x4xi8> into tensor<32xi8>
// CHECK: tensor.expand_shape %[[ROWS]] {{\[\[}}0, 1]] output_shape [4, 8] : tensor<32xi8> into tensor<4x8xi8>
// PHILOX-LABEL: func.func @ptq
// PHILOX-DAG: arith.constant -766435501 : i32
// PHILOX-DAG: arith.constant -845247145 : i32
// PHILOX-DAG: arith.constant -1640531527 : i32
// PHILOX-DAG: arith.constant -1150833019 : i32
// PHILOX-DAG: arith.constant 5.96046448E-8 : f32
// Ten rounds of two 32 x 32 -> 64-bit products; all four output words are
// used.
// PHILOX-COUNT-20: arith.mului_extended
// PHILOX-NOT: arith.mului_extended
// PHILOX-COUNT-4: arith.uitofp %{{.*}} : i32 to f32
// PHILOX: return
func.func @ptq(%x: tensor<4x8xf32>, %seed: i64, %step: i64) -> (tensor<4x8xi8>, tensor<f32>, tensor<f32>) {
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.ptq<bits = 4>, stream = 3 : i64}
      : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<f32>, offset tensor<f32>
  return %q, %s, %z : tensor<4x8xi8>, tensor<f32>, tensor<f32>
}

// -----

// A nearest-rounding PTQ takes no noise.
// CHECK-LABEL: func.func @ptq_nearest
// CHECK: math.roundeven
// PHILOX-LABEL: func.func @ptq_nearest
// PHILOX-NOT: arith.mului_extended
// PHILOX: return
func.func @ptq_nearest(%x: tensor<4x8xf32>) -> (tensor<4x8xi8>, tensor<f32>, tensor<f32>) {
  %q, %s, %z = fqt.quantize %x {quantizer = #fqt.ptq<bits = 4, rounding = nearest>}
      : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<f32>, offset tensor<f32>
  return %q, %s, %z : tensor<4x8xi8>, tensor<f32>, tensor<f32>
}

// -----

// PSQ: one range per row (dim 0) of a rank-3 tensor.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[VEC:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @psq
// CHECK: %[[R:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction", "reduction"]} {{.*}} outs(%{{.*}}, %{{.*}} : tensor<8xf32>, tensor<8xf32>)
// CHECK: %[[P:.*]]:3 = linalg.generic {indexing_maps = [#[[VEC]], #[[VEC]], #[[VEC]], #[[VEC]], #[[VEC]]], iterator_types = ["parallel"]} ins(%[[R]]#0, %[[R]]#1 : tensor<8xf32>, tensor<8xf32>)
// CHECK: %[[Q:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.*}}, %[[P]]#0, %[[P]]#2 : tensor<8x3x2xf32>, tensor<8xf32>, tensor<8xf32>) outs(%{{.*}} : tensor<8x3x2xi8>)
// CHECK: return %[[Q]], %[[P]]#1, %[[P]]#2 : tensor<8x3x2xi8>, tensor<8xf32>, tensor<8xf32>
func.func @psq(%x: tensor<8x3x2xf32>, %seed: i64, %step: i64) -> (tensor<8x3x2xi8>, tensor<8xf32>, tensor<8xf32>) {
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>}
      : tensor<8x3x2xf32> -> tensor<8x3x2xi8>, tensor<8xf32>, offset tensor<8xf32>
  return %q, %s, %z : tensor<8x3x2xi8>, tensor<8xf32>, tensor<8xf32>
}

// -----

// Per column: one range per (d1, d2) position across dim 0.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @percol
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[COL]]], iterator_types = ["reduction", "parallel", "parallel"]} {{.*}} outs(%{{.*}}, %{{.*}} : tensor<3x2xf32>, tensor<3x2xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} {{.*}} outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[COL]], #[[ID]]]
func.func @percol(%x: tensor<4x3x2xf32>, %seed: i64, %step: i64) -> (tensor<4x3x2xi8>, tensor<3x2xf32>, tensor<3x2xf32>) {
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.percol<bits = 8>}
      : tensor<4x3x2xf32> -> tensor<4x3x2xi8>, tensor<3x2xf32>, offset tensor<3x2xf32>
  return %q, %s, %z : tensor<4x3x2xi8>, tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// LBT: c = gamma * max|g|, signed codes clamped to [-7, 7], no offset.
// CHECK-LABEL: func.func @lbt
// CHECK-SAME: %[[GAMMA:[a-z0-9]+]]: f32)
// CHECK-DAG: %[[M:.*]] = arith.constant 7.000000e+00 : f32
// CHECK-DAG: %[[NM:.*]] = arith.constant -7.000000e+00 : f32
// CHECK: %[[AMAX:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK:   math.absf
// CHECK:   arith.maximumf
// CHECK: %[[P:.*]]:2 = linalg.generic {{.*}} ins(%[[AMAX]] : tensor<f32>)
// CHECK:   %[[CLIP:.*]] = arith.mulf %[[GAMMA]], %{{.*}} : f32
// CHECK:   %[[ZERO:.*]] = arith.cmpf oeq, %[[CLIP]]
// CHECK:   %[[C:.*]] = arith.select %[[ZERO]], %{{.*}}, %[[CLIP]] : f32
// CHECK:   %[[MUL:.*]] = arith.divf %[[M]], %[[C]] : f32
// CHECK:   %[[SCALE:.*]] = arith.divf %[[C]], %[[M]] : f32
// CHECK:   %[[FINITE:.*]] = arith.cmpf olt
// CHECK:   %[[GMUL:.*]] = arith.select %[[FINITE]], %[[MUL]]
// CHECK:   %[[GSCALE:.*]] = arith.select %[[FINITE]], %[[SCALE]]
// CHECK:   linalg.yield %[[GMUL]], %[[GSCALE]]
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[P]]#0 : tensor<16x8xf32>, tensor<f32>) outs(%{{.*}} : tensor<16x8xi4>)
// CHECK:   %[[Y:.*]] = arith.mulf
// CHECK:   %[[HI:.*]] = arith.minimumf %[[Y]], %[[M]] : f32
// CHECK:   arith.maximumf %[[HI]], %[[NM]] : f32
// CHECK:   arith.fptosi %{{.*}} : f32 to i4
// CHECK: return %[[Q]], %[[P]]#1 : tensor<16x8xi4>, tensor<f32>
func.func @lbt(%x: tensor<16x8xf32>, %seed: i64, %step: i64, %gamma: f32) -> (tensor<16x8xi4>, tensor<f32>) {
  %q, %s = fqt.quantize %x seed(%seed, %step) gamma(%gamma) {quantizer = #fqt.lbt<bits = 4>, stream = 2 : i64}
      : tensor<16x8xf32> -> tensor<16x8xi4>, tensor<f32>
  return %q, %s : tensor<16x8xi4>, tensor<f32>
}

// -----

// BHQ: rank rows by range, pick the followers (scf.while), build the groups
// (scf.for on tensors), rotate the rows group by group, build T^-1, then
// quantize the rotated rows per row.
// CHECK-LABEL: func.func @bhq
// CHECK: %[[RANGE:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: %[[RANK:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} {{.*}} outs(%{{.*}} : tensor<8xindex>)
// CHECK: %[[SORT:.*]]:2 = scf.for {{.*}} -> (tensor<8xindex>, tensor<8xf32>)
// CHECK: scf.while
// CHECK: scf.for {{.*}} -> (index, f32, tensor<8xindex>, tensor<8xindex>, tensor<8xindex>, tensor<8xf32>, tensor<8xindex>)
// CHECK:   scf.for
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8x6xf32>)
// CHECK:   scf.for
// CHECK:     tensor.extract %{{.*}} : tensor<8x6xf32>
// CHECK: %[[TINV:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8x8xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<8x6xf32>)
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%[[Y]], {{.*}} outs(%{{.*}} : tensor<8x6xi8>)
// CHECK: return %[[Q]], %{{.*}}, %{{.*}}, %[[TINV]] : tensor<8x6xi8>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32>
func.func @bhq(%x: tensor<8x6xf32>, %seed: i64, %step: i64) -> (tensor<8x6xi8>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32>) {
  %q, %s, %z, %t = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.bhq<bits = 5>}
      : tensor<8x6xf32> -> tensor<8x6xi8>, tensor<8xf32>, offset tensor<8xf32>, transform tensor<8x8xf32>
  return %q, %s, %z, %t : tensor<8x6xi8>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32>
}

// -----

// PSQ with rows of a multiple of 4: rows stay rows, each split into blocks
// of four ([2, 8] as [2, 2, 4]), the params read by row; the block of
// (row, g) is 2 * row + g, the word the innermost index.
// CHECK-LABEL: func.func @psq_blocks
// CHECK: %[[V:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [2, 2, 4] : tensor<2x8xf32> into tensor<2x2x4xf32>
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[V]], %{{.*}}, %{{.*}} : tensor<2x2x4xf32>, tensor<2xf32>, tensor<2xf32>) outs(%{{.*}} : tensor<2x2x4xi8>)
// CHECK:   %[[R:.*]] = linalg.index 0 : index
// CHECK:   %[[RB:.*]] = arith.muli %[[R]], %{{.*}} : index
// CHECK:   %[[G:.*]] = linalg.index 1 : index
// CHECK:   %[[B:.*]] = arith.addi %[[RB]], %[[G]] : index
// CHECK:   arith.index_cast %[[B]] : index to i64
// CHECK:   %[[LANE:.*]] = linalg.index 2 : index
// CHECK:   arith.cmpi eq, %[[LANE]]
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[Q]] {{\[\[}}0], [1, 2]] : tensor<2x2x4xi8> into tensor<2x8xi8>
// CHECK: return %[[C]]
// Rows of 2 (@psq above) draw per element: block index / 4, word index % 4.
// PHILOX-LABEL: func.func @psq
// PHILOX: %[[I:.*]] = arith.index_cast %{{.*}} : index to i64
// PHILOX-DAG: arith.shrui %[[I]], %{{.*}} : i64
// PHILOX-DAG: arith.andi %[[I]], %{{.*}} : i64
// PHILOX: return
// PHILOX-LABEL: func.func @psq_blocks
// PHILOX-COUNT-20: arith.mului_extended
// PHILOX-NOT: arith.mului_extended
// PHILOX: return
func.func @psq_blocks(%x: tensor<2x8xf32>, %seed: i64, %step: i64) -> (tensor<2x8xi8>, tensor<2xf32>, tensor<2xf32>) {
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>}
      : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<2xf32>, offset tensor<2xf32>
  return %q, %s, %z : tensor<2x8xi8>, tensor<2xf32>, tensor<2xf32>
}

// -----

// Dynamic batch: sizes come from tensor.dim, the strides of the noise index
// too; result types that name a static size get a tensor.cast.
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4xf32>
// CHECK: tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x4xi8>)
// CHECK: %[[BN:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4xf32>
// CHECK: tensor.empty(%[[BN]], %[[BN]]) : tensor<?x?xf32>
// CHECK: %[[CAST:.*]] = tensor.cast %{{.*}} : tensor<?x?xf32> to tensor<?x8xf32>
// CHECK: return {{.*}}, %[[CAST]]
func.func @dynamic(%x: tensor<?x4xf32>, %seed: i64, %step: i64)
    -> (tensor<?x4xi8>, tensor<?xf32>, tensor<?xf32>, tensor<?x4xi8>, tensor<?xf32>, tensor<?xf32>, tensor<?x8xf32>) {
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>}
      : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?xf32>, offset tensor<?xf32>
  %bq, %bs, %bz, %bt = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>}
      : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?xf32>, offset tensor<?xf32>, transform tensor<?x8xf32>
  return %q, %s, %z, %bq, %bs, %bz, %bt
      : tensor<?x4xi8>, tensor<?xf32>, tensor<?xf32>, tensor<?x4xi8>, tensor<?xf32>, tensor<?xf32>, tensor<?x8xf32>
}
