// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s
// RUN: fqt-opt %s --fqt-cpu-pipeline="cpu-features=+sse4.2" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s
// RUN: fqt-opt %s --one-shot-bufferize="bufferize-function-boundaries" \
// RUN:   --fqt-tile-and-vectorize="tile-m=3 tile-n=16 tile-k=4" --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s

// f32 linalg.matmul through --fqt-tile-and-vectorize (host vector width, 4
// lanes, and small odd tiles) against the same product as a linalg.generic, which stays scalar
// loops. Small integer values keep every sum exact, so the two must be
// equal; the shapes leave remainders in every tile and cross tile-k.

#id = affine_map<(i, j) -> (i, j)>
#mk = affine_map<(m, n, k) -> (m, k)>
#km = affine_map<(m, n, k) -> (k, m)>
#kn = affine_map<(m, n, k) -> (k, n)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>

func.func @values_1x3(%a: index, %p: index) -> tensor<1x3xf32> {
  %e = tensor.empty() : tensor<1x3xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<1x3xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %x = arith.muli %i, %a : index
    %s = arith.addi %x, %j : index
    %m = arith.remui %s, %p : index
    %mi = arith.index_cast %m : index to i32
    %c2 = arith.constant 2 : i32
    %v = arith.subi %mi, %c2 : i32
    %f = arith.sitofp %v : i32 to f32
    linalg.yield %f : f32
  } -> tensor<1x3xf32>
  return %r : tensor<1x3xf32>
}

func.func @values_5x1(%a: index, %p: index) -> tensor<5x1xf32> {
  %e = tensor.empty() : tensor<5x1xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<5x1xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %x = arith.muli %i, %a : index
    %s = arith.addi %x, %j : index
    %m = arith.remui %s, %p : index
    %mi = arith.index_cast %m : index to i32
    %c2 = arith.constant 2 : i32
    %v = arith.subi %mi, %c2 : i32
    %f = arith.sitofp %v : i32 to f32
    linalg.yield %f : f32
  } -> tensor<5x1xf32>
  return %r : tensor<5x1xf32>
}

func.func @values_9x10(%a: index, %p: index) -> tensor<9x10xf32> {
  %e = tensor.empty() : tensor<9x10xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<9x10xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %x = arith.muli %i, %a : index
    %s = arith.addi %x, %j : index
    %m = arith.remui %s, %p : index
    %mi = arith.index_cast %m : index to i32
    %c2 = arith.constant 2 : i32
    %v = arith.subi %mi, %c2 : i32
    %f = arith.sitofp %v : i32 to f32
    linalg.yield %f : f32
  } -> tensor<9x10xf32>
  return %r : tensor<9x10xf32>
}

func.func @values_10x128(%a: index, %p: index) -> tensor<10x128xf32> {
  %e = tensor.empty() : tensor<10x128xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<10x128xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %x = arith.muli %i, %a : index
    %s = arith.addi %x, %j : index
    %m = arith.remui %s, %p : index
    %mi = arith.index_cast %m : index to i32
    %c2 = arith.constant 2 : i32
    %v = arith.subi %mi, %c2 : i32
    %f = arith.sitofp %v : i32 to f32
    linalg.yield %f : f32
  } -> tensor<10x128xf32>
  return %r : tensor<10x128xf32>
}

func.func @values_29x300(%a: index, %p: index) -> tensor<29x300xf32> {
  %e = tensor.empty() : tensor<29x300xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<29x300xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %x = arith.muli %i, %a : index
    %s = arith.addi %x, %j : index
    %m = arith.remui %s, %p : index
    %mi = arith.index_cast %m : index to i32
    %c2 = arith.constant 2 : i32
    %v = arith.subi %mi, %c2 : i32
    %f = arith.sitofp %v : i32 to f32
    linalg.yield %f : f32
  } -> tensor<29x300xf32>
  return %r : tensor<29x300xf32>
}

func.func @values_64x10(%a: index, %p: index) -> tensor<64x10xf32> {
  %e = tensor.empty() : tensor<64x10xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<64x10xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %x = arith.muli %i, %a : index
    %s = arith.addi %x, %j : index
    %m = arith.remui %s, %p : index
    %mi = arith.index_cast %m : index to i32
    %c2 = arith.constant 2 : i32
    %v = arith.subi %mi, %c2 : i32
    %f = arith.sitofp %v : i32 to f32
    linalg.yield %f : f32
  } -> tensor<64x10xf32>
  return %r : tensor<64x10xf32>
}

func.func @values_64x128(%a: index, %p: index) -> tensor<64x128xf32> {
  %e = tensor.empty() : tensor<64x128xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<64x128xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %x = arith.muli %i, %a : index
    %s = arith.addi %x, %j : index
    %m = arith.remui %s, %p : index
    %mi = arith.index_cast %m : index to i32
    %c2 = arith.constant 2 : i32
    %v = arith.subi %mi, %c2 : i32
    %f = arith.sitofp %v : i32 to f32
    linalg.yield %f : f32
  } -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}

func.func @values_300x7(%a: index, %p: index) -> tensor<300x7xf32> {
  %e = tensor.empty() : tensor<300x7xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<300x7xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %x = arith.muli %i, %a : index
    %s = arith.addi %x, %j : index
    %m = arith.remui %s, %p : index
    %mi = arith.index_cast %m : index to i32
    %c2 = arith.constant 2 : i32
    %v = arith.subi %mi, %c2 : i32
    %f = arith.sitofp %v : i32 to f32
    linalg.yield %f : f32
  } -> tensor<300x7xf32>
  return %r : tensor<300x7xf32>
}

func.func @values_1568x9(%a: index, %p: index) -> tensor<1568x9xf32> {
  %e = tensor.empty() : tensor<1568x9xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<1568x9xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %x = arith.muli %i, %a : index
    %s = arith.addi %x, %j : index
    %m = arith.remui %s, %p : index
    %mi = arith.index_cast %m : index to i32
    %c2 = arith.constant 2 : i32
    %v = arith.subi %mi, %c2 : i32
    %f = arith.sitofp %v : i32 to f32
    linalg.yield %f : f32
  } -> tensor<1568x9xf32>
  return %r : tensor<1568x9xf32>
}

func.func @main() {
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %zero = arith.constant 0.0 : f32
  %et = tensor.empty() : tensor<f32>
  %zt = linalg.fill ins(%zero : f32) outs(%et : tensor<f32>) -> tensor<f32>
  // 64 x 10 x 128, B transposed
  %a0 = call @values_64x128(%c3, %c5) : (index, index) -> tensor<64x128xf32>
  %b0 = call @values_10x128(%c7, %c5) : (index, index) -> tensor<10x128xf32>
  %e0 = tensor.empty() : tensor<64x10xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<64x10xf32>) -> tensor<64x10xf32>
  %k0 = linalg.matmul indexing_maps = [#mk, #nk, #mn] ins(%a0, %b0 : tensor<64x128xf32>, tensor<10x128xf32>) outs(%z0 : tensor<64x10xf32>) -> tensor<64x10xf32>
  %r0 = linalg.generic {indexing_maps = [#mk, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a0, %b0 : tensor<64x128xf32>, tensor<10x128xf32>) outs(%z0 : tensor<64x10xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<64x10xf32>
  %d0 = linalg.generic {indexing_maps = [#id, #id, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%k0, %r0 : tensor<64x10xf32>, tensor<64x10xf32>) outs(%zt : tensor<f32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %q = arith.subf %x, %y : f32
    %aq = math.absf %q : f32
    %s = arith.addf %acc, %aq : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %v0 = tensor.extract %d0[] : tensor<f32>
  // CHECK: 0
  vector.print %v0 : f32
  // 10 x 128 x 64, A transposed
  %a1 = call @values_64x10(%c3, %c5) : (index, index) -> tensor<64x10xf32>
  %b1 = call @values_64x128(%c7, %c5) : (index, index) -> tensor<64x128xf32>
  %e1 = tensor.empty() : tensor<10x128xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<10x128xf32>) -> tensor<10x128xf32>
  %k1 = linalg.matmul indexing_maps = [#km, #kn, #mn] ins(%a1, %b1 : tensor<64x10xf32>, tensor<64x128xf32>) outs(%z1 : tensor<10x128xf32>) -> tensor<10x128xf32>
  %r1 = linalg.generic {indexing_maps = [#km, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a1, %b1 : tensor<64x10xf32>, tensor<64x128xf32>) outs(%z1 : tensor<10x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<10x128xf32>
  %d1 = linalg.generic {indexing_maps = [#id, #id, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%k1, %r1 : tensor<10x128xf32>, tensor<10x128xf32>) outs(%zt : tensor<f32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %q = arith.subf %x, %y : f32
    %aq = math.absf %q : f32
    %s = arith.addf %acc, %aq : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %v1 = tensor.extract %d1[] : tensor<f32>
  // CHECK-NEXT: 0
  vector.print %v1 : f32
  // 1568 x 10 x 9
  %a2 = call @values_1568x9(%c3, %c5) : (index, index) -> tensor<1568x9xf32>
  %b2 = call @values_9x10(%c7, %c5) : (index, index) -> tensor<9x10xf32>
  %e2 = tensor.empty() : tensor<1568x10xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1568x10xf32>) -> tensor<1568x10xf32>
  %k2 = linalg.matmul indexing_maps = [#mk, #kn, #mn] ins(%a2, %b2 : tensor<1568x9xf32>, tensor<9x10xf32>) outs(%z2 : tensor<1568x10xf32>) -> tensor<1568x10xf32>
  %r2 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a2, %b2 : tensor<1568x9xf32>, tensor<9x10xf32>) outs(%z2 : tensor<1568x10xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1568x10xf32>
  %d2 = linalg.generic {indexing_maps = [#id, #id, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%k2, %r2 : tensor<1568x10xf32>, tensor<1568x10xf32>) outs(%zt : tensor<f32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %q = arith.subf %x, %y : f32
    %aq = math.absf %q : f32
    %s = arith.addf %acc, %aq : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %v2 = tensor.extract %d2[] : tensor<f32>
  // CHECK-NEXT: 0
  vector.print %v2 : f32
  // 7 x 29 x 300, A transposed, B transposed
  %a3 = call @values_300x7(%c3, %c5) : (index, index) -> tensor<300x7xf32>
  %b3 = call @values_29x300(%c7, %c5) : (index, index) -> tensor<29x300xf32>
  %e3 = tensor.empty() : tensor<7x29xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<7x29xf32>) -> tensor<7x29xf32>
  %k3 = linalg.matmul indexing_maps = [#km, #nk, #mn] ins(%a3, %b3 : tensor<300x7xf32>, tensor<29x300xf32>) outs(%z3 : tensor<7x29xf32>) -> tensor<7x29xf32>
  %r3 = linalg.generic {indexing_maps = [#km, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a3, %b3 : tensor<300x7xf32>, tensor<29x300xf32>) outs(%z3 : tensor<7x29xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<7x29xf32>
  %d3 = linalg.generic {indexing_maps = [#id, #id, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%k3, %r3 : tensor<7x29xf32>, tensor<7x29xf32>) outs(%zt : tensor<f32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %q = arith.subf %x, %y : f32
    %aq = math.absf %q : f32
    %s = arith.addf %acc, %aq : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %v3 = tensor.extract %d3[] : tensor<f32>
  // CHECK-NEXT: 0
  vector.print %v3 : f32
  // 5 x 3 x 1
  %a4 = call @values_5x1(%c3, %c5) : (index, index) -> tensor<5x1xf32>
  %b4 = call @values_1x3(%c7, %c5) : (index, index) -> tensor<1x3xf32>
  %e4 = tensor.empty() : tensor<5x3xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<5x3xf32>) -> tensor<5x3xf32>
  %k4 = linalg.matmul indexing_maps = [#mk, #kn, #mn] ins(%a4, %b4 : tensor<5x1xf32>, tensor<1x3xf32>) outs(%z4 : tensor<5x3xf32>) -> tensor<5x3xf32>
  %r4 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a4, %b4 : tensor<5x1xf32>, tensor<1x3xf32>) outs(%z4 : tensor<5x3xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<5x3xf32>
  %d4 = linalg.generic {indexing_maps = [#id, #id, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%k4, %r4 : tensor<5x3xf32>, tensor<5x3xf32>) outs(%zt : tensor<f32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %q = arith.subf %x, %y : f32
    %aq = math.absf %q : f32
    %s = arith.addf %acc, %aq : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %v4 = tensor.extract %d4[] : tensor<f32>
  // CHECK-NEXT: 0
  vector.print %v4 : f32

  // Range of the 1568 x 9 operand (values -2 .. 2) by a min/max reduction,
  // which --fqt-tile-and-vectorize turns into vector loops (9 = one vector
  // of 8 or two of 4, plus a remainder).
  %inf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %lo0 = linalg.fill ins(%inf : f32) outs(%et : tensor<f32>) -> tensor<f32>
  %hi0 = linalg.fill ins(%ninf : f32) outs(%et : tensor<f32>) -> tensor<f32>
  %range:2 = linalg.generic {indexing_maps = [#id, affine_map<(i, j) -> ()>, affine_map<(i, j) -> ()>],
                             iterator_types = ["reduction", "reduction"]}
      ins(%a2 : tensor<1568x9xf32>) outs(%lo0, %hi0 : tensor<f32>, tensor<f32>) {
  ^bb0(%x: f32, %l: f32, %h: f32):
    %mn = arith.minimumf %x, %l : f32
    %mx = arith.maximumf %x, %h : f32
    linalg.yield %mn, %mx : f32, f32
  } -> (tensor<f32>, tensor<f32>)
  %lo = tensor.extract %range#0[] : tensor<f32>
  %hi = tensor.extract %range#1[] : tensor<f32>
  // CHECK-NEXT: -2
  vector.print %lo : f32
  // CHECK-NEXT: 2
  vector.print %hi : f32
  return
}
