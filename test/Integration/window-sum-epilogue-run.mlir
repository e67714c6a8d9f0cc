// A data gradient's dequantizing epilogue fused into the windows' sum that
// reads its columns (--fqt-fuse-elementwise with epilogues-into-window-sums,
// then --fqt-vectorize-window-sums on the fused body) gives the bits of the
// unfused loops: an i8 x i8 product of 2 x 5 x 37 windows by K = 27 (3
// channels of 3x3 windows: a full tile of columns and a masked one; rows of
// 37 windows: two full segments of 16 and a masked one), its row sums and
// column sums, scales whose products round, pixels that already hold values.
// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.vector
// RUN: fqt-opt %s --fqt-cpu-pipeline="min-parallel-work=1" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.threads
// RUN: fqt-opt %s --fqt-cpu-pipeline="cpu-features=+avx,+avx2,+fma" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.avx2
// RUN: fqt-opt %s --fqt-cpu-pipeline="vectorize=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.loops
// The same a sample at a time (--fqt-tile-window-sums: the product, its
// row sums and the sum per group of samples), with AVX-512 and AVX2 code.
// RUN: fqt-opt %s --fqt-cpu-pipeline="window-sum-min-bytes=0 window-sum-group-bytes=20000" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.groups
// RUN: fqt-opt %s --fqt-cpu-pipeline="window-sum-min-bytes=0 window-sum-group-bytes=20000 cpu-features=+avx,+avx2,+fma" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.groups-avx2
// RUN: diff %t.loops %t.vector
// RUN: diff %t.loops %t.threads
// RUN: diff %t.loops %t.avx2
// RUN: diff %t.loops %t.groups
// RUN: diff %t.loops %t.groups-avx2
// RUN: fqt-opt %s --fqt-cpu-pipeline="window-sum-min-bytes=0 window-sum-group-bytes=20000" --mlir-disable-threading --mlir-print-ir-after=fqt-tile-window-sums -o /dev/null 2>&1 | FileCheck %s --check-prefix=GROUPS
// GROUPS: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<2x3x7x39xf32>)
// GROUPS: tensor.extract_slice %{{.*}} [185, 8] [1, 1] : tensor<370x8xi8> to tensor<185x8xi8>
// GROUPS: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<185x8xi8>, tensor<8x27xi8>) outs(%{{.*}} : tensor<185x27xi32>)
// GROUPS: tensor.expand_shape %{{.*}} output_shape [1, 5, 37, 3, 3, 3]
// GROUPS: tensor.insert_slice %{{.*}} [1, 3, 7, 39] [1, 1, 1, 1] : tensor<1x3x7x39xf32> into tensor<2x3x7x39xf32>
// RUN: FileCheck %s < %t.vector
// The epilogue did go into the sum, and the sum became vector code that
// converts the i32 product itself.
// RUN: fqt-opt %s --fqt-cpu-pipeline --mlir-disable-threading --mlir-print-ir-after=fqt-fuse-elementwise -o /dev/null 2>&1 | FileCheck %s --check-prefix=FUSED
// FUSED: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<2x5x37x3x3x3xi32>, tensor<f32>, tensor<2x5x37xi32>, tensor<3x3x3xi32>, tensor<5x37xf32>)
// FUSED-NOT: tensor<370x27xf32>
// RUN: fqt-opt %s --fqt-cpu-pipeline --mlir-disable-threading --mlir-print-ir-after=fqt-vectorize-window-sums -o /dev/null 2>&1 | FileCheck %s --check-prefix=IR
// IR: memref.load %{{.*}}[] : memref<f32>
// IR: vector.maskedload %{{.*}} : memref<{{[0-9]+}}xi32>, vector<16xi1>, vector<16xi32> into vector<16xi32>
// IR: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// IR: vector.shuffle
// IR: vector.maskedstore

// CHECK: sizes = [2, 3, 7, 39]

#id2 = affine_map<(m, k) -> (m, k)>
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#acc = affine_map<(m, n, k) -> (m, n)>
#scalar = affine_map<(m, n) -> ()>
#row = affine_map<(m, n) -> (m)>
#column = affine_map<(m, n) -> (n)>
#cols = affine_map<(n, h, w, c, i, j) -> (n, 4 - h, 36 - w, c, i, j)>
#windows = affine_map<(n, h, w, c, i, j) -> (h, w)>
#pixels = affine_map<(n, h, w, c, i, j) -> (n, c, 4 - h + i, 36 - w + j)>

func.func private @printMemrefI32(tensor<*xi32>)

// ((s mod 23) - 11) * (1 + (s mod 97) / 1024) / 7 for s a mix of the
// indices: full mantissas, so that sums round differently in another order.
func.func @value(%s: index) -> f32 {
  %c23 = arith.constant 23 : index
  %c97 = arith.constant 97 : index
  %m = arith.remui %s, %c23 : index
  %r = arith.remui %s, %c97 : index
  %mi = arith.index_cast %m : index to i32
  %ri = arith.index_cast %r : index to i32
  %mf = arith.sitofp %mi : i32 to f32
  %rf = arith.sitofp %ri : i32 to f32
  %c11 = arith.constant 11.0 : f32
  %k = arith.constant 9.765625e-04 : f32
  %one = arith.constant 1.0 : f32
  %a = arith.subf %mf, %c11 : f32
  %b = arith.mulf %rf, %k : f32
  %f = arith.addf %one, %b : f32
  %p = arith.mulf %a, %f : f32
  %c7 = arith.constant 7.0 : f32
  %v = arith.divf %p, %c7 : f32
  return %v : f32
}

// (s * 37) mod 256 - 128 as a code.
func.func @code(%s: index) -> i8 {
  %c37 = arith.constant 37 : index
  %c256 = arith.constant 256 : index
  %c128 = arith.constant 128 : index
  %p = arith.muli %s, %c37 : index
  %m = arith.remui %p, %c256 : index
  %v = arith.subi %m, %c128 : index
  %i = arith.index_cast %v : index to i8
  return %i : i8
}

func.func @main() {
  // The gradient's codes [370 windows x 8] and the weight's [8 x 27].
  %ae = tensor.empty() : tensor<370x8xi8>
  %a = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%ae : tensor<370x8xi8>) {
  ^bb0(%o: i8):
    %m = linalg.index 0 : index
    %k = linalg.index 1 : index
    %flat = affine.apply affine_map<(m, k) -> (m * 11 + k * 5)>(%m, %k)
    %v = func.call @code(%flat) : (index) -> i8
    linalg.yield %v : i8
  } -> tensor<370x8xi8>
  %be = tensor.empty() : tensor<8x27xi8>
  %b = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%be : tensor<8x27xi8>) {
  ^bb0(%o: i8):
    %k = linalg.index 0 : index
    %n = linalg.index 1 : index
    %flat = affine.apply affine_map<(k, n) -> (k * 7 + n * 3 + 1)>(%k, %n)
    %v = func.call @code(%flat) : (index) -> i8
    linalg.yield %v : i8
  } -> tensor<8x27xi8>
  %zero = arith.constant 0 : i32
  %pe = tensor.empty() : tensor<370x27xi32>
  %pz = linalg.fill ins(%zero : i32) outs(%pe : tensor<370x27xi32>) -> tensor<370x27xi32>
  %product = linalg.generic {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<370x8xi8>, tensor<8x27xi8>) outs(%pz : tensor<370x27xi32>) {
  ^bb0(%x: i8, %y: i8, %s: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %m = arith.muli %xe, %ye : i32
    %t = arith.addi %s, %m : i32
    linalg.yield %t : i32
  } -> tensor<370x27xi32>
  %re = tensor.empty() : tensor<370xi32>
  %rz = linalg.fill ins(%zero : i32) outs(%re : tensor<370xi32>) -> tensor<370xi32>
  %rows = linalg.generic {indexing_maps = [affine_map<(m, k) -> (m, k)>, affine_map<(m, k) -> (m)>], iterator_types = ["parallel", "reduction"]} ins(%a : tensor<370x8xi8>) outs(%rz : tensor<370xi32>) {
  ^bb0(%x: i8, %s: i32):
    %xe = arith.extsi %x : i8 to i32
    %t = arith.addi %s, %xe : i32
    linalg.yield %t : i32
  } -> tensor<370xi32>
  %ce = tensor.empty() : tensor<27xi32>
  %cz = linalg.fill ins(%zero : i32) outs(%ce : tensor<27xi32>) -> tensor<27xi32>
  %columns = linalg.generic {indexing_maps = [affine_map<(k, n) -> (k, n)>, affine_map<(k, n) -> (n)>], iterator_types = ["reduction", "parallel"]} ins(%b : tensor<8x27xi8>) outs(%cz : tensor<27xi32>) {
  ^bb0(%y: i8, %s: i32):
    %ye = arith.extsi %y : i8 to i32
    %t = arith.addi %s, %ye : i32
    linalg.yield %t : i32
  } -> tensor<27xi32>
  // Dequantized: sa*sb*p + sa*zb*rows + za*sb*columns + za*zb*K.
  // sa computed at run time, as a quantizer's scale is (from a maximum,
  // whose value does not depend on the order): a buffer read once.
  %fz = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<f32>
  %sz0 = linalg.fill ins(%fz : f32) outs(%se : tensor<f32>) -> tensor<f32>
  %sa = linalg.generic {indexing_maps = [affine_map<(n) -> (n)>, affine_map<(n) -> ()>], iterator_types = ["reduction"]} ins(%columns : tensor<27xi32>) outs(%sz0 : tensor<f32>) {
  ^bb0(%c: i32, %s: f32):
    %cf = arith.sitofp %c : i32 to f32
    %k = arith.constant 3.1e-05 : f32
    %t = arith.mulf %cf, %k : f32
    %u = arith.maximumf %s, %t : f32
    linalg.yield %u : f32
  } -> tensor<f32>
  %sb = arith.constant dense<0.00731> : tensor<f32>
  %za = arith.constant dense<-3.1> : tensor<f32>
  %zb = arith.constant dense<1.7> : tensor<f32>
  %ee = tensor.empty() : tensor<370x27xf32>
  %epilogue = linalg.generic {indexing_maps = [#id2, #scalar, #scalar, #scalar, #scalar, #row, #column, #id2], iterator_types = ["parallel", "parallel"]} ins(%product, %sa, %sb, %za, %zb, %rows, %columns : tensor<370x27xi32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<370xi32>, tensor<27xi32>) outs(%ee : tensor<370x27xf32>) {
  ^bb0(%p: i32, %s1: f32, %s2: f32, %z1: f32, %z2: f32, %r: i32, %c: i32, %o: f32):
    %k8 = arith.constant 8.0 : f32
    %pf = arith.sitofp %p : i32 to f32
    %ss = arith.mulf %s1, %s2 : f32
    %t0 = arith.mulf %ss, %pf : f32
    %rf = arith.sitofp %r : i32 to f32
    %sz = arith.mulf %s1, %z2 : f32
    %t1 = arith.mulf %sz, %rf : f32
    %u1 = arith.addf %t0, %t1 : f32
    %cf = arith.sitofp %c : i32 to f32
    %zs = arith.mulf %z1, %s2 : f32
    %t2 = arith.mulf %zs, %cf : f32
    %u2 = arith.addf %u1, %t2 : f32
    %zz = arith.mulf %z1, %z2 : f32
    %t3 = arith.mulf %zz, %k8 : f32
    %u3 = arith.addf %u2, %t3 : f32
    linalg.yield %u3 : f32
  } -> tensor<370x27xf32>
  %cols = tensor.expand_shape %epilogue [[0, 1, 2], [3, 4, 5]] output_shape [2, 5, 37, 3, 3, 3] : tensor<370x27xf32> into tensor<2x5x37x3x3x3xf32>
  %xe = tensor.empty() : tensor<2x3x7x39xf32>
  %start = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%xe : tensor<2x3x7x39xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %flat = affine.apply affine_map<(n, c, h, w) -> (n * 17 + c * 11 + h * 5 + w * 41)>(%n, %c, %h, %w)
    %v = func.call @value(%flat) : (index) -> f32
    linalg.yield %v : f32
  } -> tensor<2x3x7x39xf32>
  %shape = tensor.empty() : tensor<5x37xf32>
  %sum = linalg.generic {indexing_maps = [#cols, #windows, #pixels], iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]} ins(%cols, %shape : tensor<2x5x37x3x3x3xf32>, tensor<5x37xf32>) outs(%start : tensor<2x3x7x39xf32>) {
  ^bb0(%in: f32, %unused: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  } -> tensor<2x3x7x39xf32>
  // Printed as the bits of each float: every difference shows.
  %bits_e = tensor.empty() : tensor<2x3x7x39xi32>
  %bits = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sum : tensor<2x3x7x39xf32>) outs(%bits_e : tensor<2x3x7x39xi32>) {
  ^bb0(%f: f32, %o: i32):
    %i = arith.bitcast %f : f32 to i32
    linalg.yield %i : i32
  } -> tensor<2x3x7x39xi32>
  %u = tensor.cast %bits : tensor<2x3x7x39xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}
