// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext \
// RUN:   | FileCheck %s

// BHQ over row groups, as on a convolution's dY ([N*OH*OW, OC], grouped by
// sample). A 12 x 5 gradient whose rows are 4 samples of 3 rows (transform
// 4 x 4) must quantize exactly as the 4 x 15 matrix of its samples: the same
// codes, each row with its sample's scale and offset, the same inverse
// transform. Sample 0 has a 16x larger range, so BHQ makes it a leader.

#id = affine_map<(i, j) -> (i, j)>

// x[r, c] = ((7 r + 3 c) mod 11 - 5) * (r < 3 ? 8 : 0.5).
func.func @grad() -> tensor<12x5xf32> {
  %e = tensor.empty() : tensor<12x5xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<12x5xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c3 = arith.constant 3 : index
    %c7 = arith.constant 7 : index
    %c11 = arith.constant 11 : index
    %a = arith.muli %i, %c7 : index
    %b = arith.muli %j, %c3 : index
    %s = arith.addi %a, %b : index
    %m = arith.remui %s, %c11 : index
    %mi = arith.index_cast %m : index to i32
    %mf = arith.sitofp %mi : i32 to f32
    %five = arith.constant 5.0 : f32
    %v = arith.subf %mf, %five : f32
    %lead = arith.cmpi ult, %i, %c3 : index
    %big = arith.constant 8.0 : f32
    %small = arith.constant 0.5 : f32
    %k = arith.select %lead, %big, %small : f32
    %x = arith.mulf %v, %k : f32
    linalg.yield %x : f32
  } -> tensor<12x5xf32>
  return %r : tensor<12x5xf32>
}

// Prints the number of positions where %a and %b differ.
func.func @mismatches(%a: tensor<4x15xf32>, %b: tensor<4x15xf32>) {
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<i32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<i32>) -> tensor<i32>
  %r = linalg.generic {indexing_maps = [#id, #id, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%a, %b : tensor<4x15xf32>, tensor<4x15xf32>) outs(%init : tensor<i32>) {
  ^bb0(%x: f32, %y: f32, %n: i32):
    %ne = arith.cmpf une, %x, %y : f32
    %one = arith.extui %ne : i1 to i32
    %s = arith.addi %n, %one : i32
    linalg.yield %s : i32
  } -> tensor<i32>
  %v = tensor.extract %r[] : tensor<i32>
  vector.print %v : i32
  return
}

func.func @code_mismatches(%a: tensor<4x15xi8>, %b: tensor<4x15xi8>) {
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<i32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<i32>) -> tensor<i32>
  %r = linalg.generic {indexing_maps = [#id, #id, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%a, %b : tensor<4x15xi8>, tensor<4x15xi8>) outs(%init : tensor<i32>) {
  ^bb0(%x: i8, %y: i8, %n: i32):
    %ne = arith.cmpi ne, %x, %y : i8
    %one = arith.extui %ne : i1 to i32
    %s = arith.addi %n, %one : i32
    linalg.yield %s : i32
  } -> tensor<i32>
  %v = tensor.extract %r[] : tensor<i32>
  vector.print %v : i32
  return
}

func.func @main() {
  %seed = arith.constant 11 : i64
  %step = arith.constant 4 : i64
  %x = call @grad() : () -> tensor<12x5xf32>
  %q, %s, %z, %t = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>, stream = 3 : i64}
      : tensor<12x5xf32> -> tensor<12x5xi8>, tensor<12xf32>, offset tensor<12xf32>, transform tensor<4x4xf32>
  %flat = tensor.collapse_shape %x [[0, 1]] : tensor<12x5xf32> into tensor<60xf32>
  %y = tensor.expand_shape %flat [[0, 1]] output_shape [4, 15] : tensor<60xf32> into tensor<4x15xf32>
  %qy, %sy, %zy, %ty = fqt.quantize %y seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>, stream = 3 : i64}
      : tensor<4x15xf32> -> tensor<4x15xi8>, tensor<4xf32>, offset tensor<4xf32>, transform tensor<4x4xf32>

  // Codes, in the 4 x 15 view.
  %qf = tensor.collapse_shape %q [[0, 1]] : tensor<12x5xi8> into tensor<60xi8>
  %qv = tensor.expand_shape %qf [[0, 1]] output_shape [4, 15] : tensor<60xi8> into tensor<4x15xi8>
  // CHECK: 0
  call @code_mismatches(%qv, %qy) : (tensor<4x15xi8>, tensor<4x15xi8>) -> ()

  // Row scales and offsets: row r has those of sample r / 3.
  %s3 = tensor.expand_shape %s [[0, 1]] output_shape [4, 3] : tensor<12xf32> into tensor<4x3xf32>
  %z3 = tensor.expand_shape %z [[0, 1]] output_shape [4, 3] : tensor<12xf32> into tensor<4x3xf32>
  %e = tensor.empty() : tensor<4x15xf32>
  %pair:2 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j floordiv 5)>, affine_map<(i, j) -> (i, j floordiv 5)>, #id, #id],
                          iterator_types = ["parallel", "parallel"]}
      ins(%s3, %z3 : tensor<4x3xf32>, tensor<4x3xf32>) outs(%e, %e : tensor<4x15xf32>, tensor<4x15xf32>) {
  ^bb0(%a: f32, %b: f32, %o1: f32, %o2: f32):
    linalg.yield %a, %b : f32, f32
  } -> (tensor<4x15xf32>, tensor<4x15xf32>)
  %sye:2 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i)>, #id, #id],
                         iterator_types = ["parallel", "parallel"]}
      ins(%sy, %zy : tensor<4xf32>, tensor<4xf32>) outs(%e, %e : tensor<4x15xf32>, tensor<4x15xf32>) {
  ^bb0(%a: f32, %b: f32, %o1: f32, %o2: f32):
    linalg.yield %a, %b : f32, f32
  } -> (tensor<4x15xf32>, tensor<4x15xf32>)
  // CHECK-NEXT: 0
  call @mismatches(%pair#0, %sye#0) : (tensor<4x15xf32>, tensor<4x15xf32>) -> ()
  // CHECK-NEXT: 0
  call @mismatches(%pair#1, %sye#1) : (tensor<4x15xf32>, tensor<4x15xf32>) -> ()

  // The inverse transforms agree, and sample 0 leads a group: T^-1 is not
  // diagonal.
  %tp = tensor.pad %t low[0, 0] high[0, 11] {
  ^bb0(%i: index, %j: index):
    %zero = arith.constant 0.0 : f32
    tensor.yield %zero : f32
  } : tensor<4x4xf32> to tensor<4x15xf32>
  %typ = tensor.pad %ty low[0, 0] high[0, 11] {
  ^bb0(%i: index, %j: index):
    %zero = arith.constant 0.0 : f32
    tensor.yield %zero : f32
  } : tensor<4x4xf32> to tensor<4x15xf32>
  // CHECK-NEXT: 0
  call @mismatches(%tp, %typ) : (tensor<4x15xf32>, tensor<4x15xf32>) -> ()
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %t01 = tensor.extract %t[%c0, %c1] : tensor<4x4xf32>
  %t02 = tensor.extract %t[%c0, %c2] : tensor<4x4xf32>
  %t03 = tensor.extract %t[%c0, %c3] : tensor<4x4xf32>
  %a1 = math.absf %t01 : f32
  %a2 = math.absf %t02 : f32
  %a3 = math.absf %t03 : f32
  %m12 = arith.maximumf %a1, %a2 : f32
  %m = arith.maximumf %m12, %a3 : f32
  %zero = arith.constant 0.0 : f32
  %mixed = arith.cmpf ogt, %m, %zero : f32
  // CHECK-NEXT: 1
  vector.print %mixed : i1

  // Dequantized: the grouped gradient equals the 4 x 15 one, element by
  // element (the same products, in the same order).
  %dx = fqt.dequantize %q scale(%s, %z) transform(%t) {quantizer = #fqt.bhq<bits = 4>}
      : tensor<12x5xi8>, tensor<12xf32>, tensor<12xf32>, tensor<4x4xf32> -> tensor<12x5xf32>
  %dy = fqt.dequantize %qy scale(%sy, %zy) transform(%ty) {quantizer = #fqt.bhq<bits = 4>}
      : tensor<4x15xi8>, tensor<4xf32>, tensor<4xf32>, tensor<4x4xf32> -> tensor<4x15xf32>
  %dxf = tensor.collapse_shape %dx [[0, 1]] : tensor<12x5xf32> into tensor<60xf32>
  %dxv = tensor.expand_shape %dxf [[0, 1]] output_shape [4, 15] : tensor<60xf32> into tensor<4x15xf32>
  // CHECK-NEXT: 0
  call @mismatches(%dxv, %dy) : (tensor<4x15xf32>, tensor<4x15xf32>) -> ()

  // The integer product undoes the transform on the result's row groups:
  // it matches the f32 product of the dequantized gradient.
  %w = arith.constant dense<[[1, -2, 3, 0, 5, -7], [2, 2, -1, 4, 0, 1], [-3, 1, 1, 1, 2, 0],
                             [0, -5, 2, 3, 1, 1], [4, 0, -2, 1, -1, 3]]> : tensor<5x6xi8>
  %ws = arith.constant dense<0.25> : tensor<f32>
  %wz = arith.constant dense<-0.5> : tensor<f32>
  %p = fqt.qmatmul %q as #fqt.bhq<bits = 4> scale(%s, %z) transform(%t), %w as #fqt.weight<bits = 8> scale(%ws, %wz)
      : (tensor<12x5xi8>, tensor<12xf32>, tensor<12xf32>, tensor<4x4xf32>, tensor<5x6xi8>, tensor<f32>, tensor<f32>) -> tensor<12x6xf32>
  %dw = fqt.dequantize %w scale(%ws, %wz) {quantizer = #fqt.weight<bits = 8>} : tensor<5x6xi8>, tensor<f32>, tensor<f32> -> tensor<5x6xf32>
  %e6 = tensor.empty() : tensor<12x6xf32>
  %z6 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<12x6xf32>) -> tensor<12x6xf32>
  %ref = linalg.matmul ins(%dx, %dw : tensor<12x5xf32>, tensor<5x6xf32>) outs(%z6 : tensor<12x6xf32>) -> tensor<12x6xf32>
  // CHECK-NEXT: 1
  call @close(%p, %ref) : (tensor<12x6xf32>, tensor<12x6xf32>) -> ()
  return
}

// Prints 1 when max|x - y| <= 1e-5 max|y| and y is not all zero.
func.func @close(%x: tensor<12x6xf32>, %y: tensor<12x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %r:2 = linalg.generic {indexing_maps = [#id, #id, affine_map<(i, j) -> ()>, affine_map<(i, j) -> ()>],
                         iterator_types = ["reduction", "reduction"]}
      ins(%x, %y : tensor<12x6xf32>, tensor<12x6xf32>) outs(%init, %init : tensor<f32>, tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %err: f32, %mag: f32):
    %d = arith.subf %a, %b : f32
    %ad = math.absf %d : f32
    %ab = math.absf %b : f32
    %e = arith.maximumf %err, %ad : f32
    %m = arith.maximumf %mag, %ab : f32
    linalg.yield %e, %m : f32, f32
  } -> (tensor<f32>, tensor<f32>)
  %err = tensor.extract %r#0[] : tensor<f32>
  %mag = tensor.extract %r#1[] : tensor<f32>
  %tol = arith.constant 1.0e-5 : f32
  %lim = arith.mulf %mag, %tol : f32
  %ok = arith.cmpf ole, %err, %lim : f32
  %nz = arith.cmpf ogt, %mag, %zero : f32
  %both = arith.andi %ok, %nz : i1
  vector.print %both : i1
  return
}
