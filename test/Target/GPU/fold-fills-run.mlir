// The reductions --fqt-gpu-fold-fills rewrites (among them a scatter, whose
// threads fill their own slab of the output) compute what the fill and
// the linalg.generic computed, and the loops --fqt-gpu-merge-parallel-loops
// collapses and merges what they computed apart: the same program run on the
// CPU with and without the passes prints the same values (the sums run in
// the same order).
// RUN: fqt-opt %s --fqt-gpu-fold-fills --convert-linalg-to-parallel-loops --fqt-gpu-merge-parallel-loops --convert-linalg-to-loops --lower-affine --convert-scf-to-cf --convert-to-llvm --reconcile-unrealized-casts \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext \
// RUN:   | FileCheck %s
// RUN: fqt-opt %s --convert-linalg-to-loops --lower-affine --convert-scf-to-cf --convert-to-llvm --reconcile-unrealized-casts \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext \
// RUN:   | FileCheck %s
// RUN: fqt-opt %s --fqt-gpu-fold-fills --convert-linalg-to-parallel-loops --fqt-gpu-merge-parallel-loops | FileCheck %s --check-prefix=FOLDED
// FOLDED-NOT: linalg.fill
// FOLDED-NOT: memref.copy
// FOLDED: scf.parallel
// FOLDED: scf.if
// FOLDED: scf.parallel

func.func private @printMemrefF32(memref<*xf32>)
func.func private @printMemrefI32(memref<*xi32>)

// CHECK: [-3,  5,  2,  -1,  7]
// CHECK: [1,  5,  -2,  2,  -5,  -1,  3,  7,  0]
// CHECK: [0.2,  0.3,  0.4]
// CHECK: [0.55,  0.55,  0.5]
// CHECK: [-0.5,  -0.45,  -0.35]
// CHECK: sizes = [2, 2, 4, 4]
// CHECK-NEXT: [-4,  -2,  2,  4],
// CHECK-NEXT: [-4,  4,  3,  -6],
// CHECK-NEXT: [2,  7,  -3,  0],
// CHECK-NEXT: [3,  -6,  -2,  2]],
// CHECK-NEXT: [3,  -6,  -2,  2],
// CHECK-NEXT: [1,  -4,  4,  -1],
// CHECK-NEXT: [-2,  8,  7,  -4],
// CHECK-NEXT: [1,  -1,  -6,  0]]],
// CHECK-NEXT: [1,  -1,  -6,  0],
// CHECK-NEXT: [6,  -3,  -4,  4],
// CHECK-NEXT: [-6,  0,  8,  1],
// CHECK-NEXT: [-1,  4,  -1,  -2]],
// CHECK-NEXT: [-1,  4,  -1,  -2],
// CHECK-NEXT: [2,  7,  -3,  0],
// CHECK-NEXT: [-1,  -8,  0,  6],
// CHECK-NEXT: [-3,  0,  4,  -4]]]]
func.func @main() {
  %c0 = arith.constant 0 : i32
  %inf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %zf = arith.constant 0.0 : f32
  // x[i, k] = (7 i + 3 k) mod 11 - 5 as i8.
  %x = memref.alloc() : memref<5x9xi8>
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>], iterator_types = ["parallel", "parallel"]}
      outs(%x : memref<5x9xi8>) {
  ^bb0(%o: i8):
    %i = linalg.index 0 : index
    %k = linalg.index 1 : index
    %c7 = arith.constant 7 : index
    %c3 = arith.constant 3 : index
    %c11 = arith.constant 11 : index
    %c5 = arith.constant 5 : index
    %a = arith.muli %i, %c7 : index
    %b = arith.muli %k, %c3 : index
    %s = arith.addi %a, %b : index
    %m = arith.remui %s, %c11 : index
    %d = arith.subi %m, %c5 : index
    %v = arith.index_cast %d : index to i8
    linalg.yield %v : i8
  }
  %sums = memref.alloc() : memref<5xi32>
  linalg.fill ins(%c0 : i32) outs(%sums : memref<5xi32>)
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<5x9xi8>) outs(%sums : memref<5xi32>) {
  ^bb0(%v: i8, %acc: i32):
    %e = arith.extsi %v : i8 to i32
    %s = arith.addi %acc, %e : i32
    linalg.yield %s : i32
  }
  // Column sums of the same codes: independent of the row sums, so the
  // two folded loops become one.
  %cols = memref.alloc() : memref<9xi32>
  linalg.fill ins(%c0 : i32) outs(%cols : memref<9xi32>)
  linalg.generic {indexing_maps = [affine_map<(j, i) -> (i, j)>, affine_map<(j, i) -> (j)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<5x9xi8>) outs(%cols : memref<9xi32>) {
  ^bb0(%v: i8, %acc: i32):
    %e = arith.extsi %v : i8 to i32
    %s = arith.addi %acc, %e : i32
    linalg.yield %s : i32
  }
  %su = memref.cast %sums : memref<5xi32> to memref<*xi32>
  call @printMemrefI32(%su) : (memref<*xi32>) -> ()
  %cu = memref.cast %cols : memref<9xi32> to memref<*xi32>
  call @printMemrefI32(%cu) : (memref<*xi32>) -> ()

  // y[n, c, h] = (x[c, 2 n + h mod 2] + 0.5 h) / 10 (f32 sums whose
  // order matters), reduced over n and h: a sum, a min and a max, the
  // latter two from copies of shared fills.
  %y = memref.alloc() : memref<4x3x2xf32>
  linalg.generic {indexing_maps = [affine_map<(n, c, h) -> (n, c, h)>], iterator_types = ["parallel", "parallel", "parallel"]}
      outs(%y : memref<4x3x2xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %c2 = arith.constant 2 : index
    %k0 = arith.muli %n, %c2 : index
    %k = arith.addi %k0, %h : index
    %v = memref.load %x[%c, %k] : memref<5x9xi8>
    %vf = arith.sitofp %v : i8 to f32
    %hi = arith.index_cast %h : index to i32
    %hf = arith.sitofp %hi : i32 to f32
    %half = arith.constant 0.5 : f32
    %hh = arith.mulf %hf, %half : f32
    %w0 = arith.addf %vf, %hh : f32
    %ten = arith.constant 10.0 : f32
    %w = arith.divf %w0, %ten : f32
    linalg.yield %w : f32
  }
  %mean = memref.alloc() : memref<3xf32>
  linalg.fill ins(%zf : f32) outs(%mean : memref<3xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, c, h) -> (n, c, h)>, affine_map<(n, c, h) -> (c)>],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%y : memref<4x3x2xf32>) outs(%mean : memref<3xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  %mu = memref.cast %mean : memref<3xf32> to memref<*xf32>
  call @printMemrefF32(%mu) : (memref<*xf32>) -> ()
  %lo0 = memref.alloc() : memref<3xf32>
  %hi0 = memref.alloc() : memref<3xf32>
  linalg.fill ins(%inf : f32) outs(%lo0 : memref<3xf32>)
  linalg.fill ins(%ninf : f32) outs(%hi0 : memref<3xf32>)
  %lo = memref.alloc() : memref<3xf32>
  %hi = memref.alloc() : memref<3xf32>
  memref.copy %lo0, %lo : memref<3xf32> to memref<3xf32>
  memref.copy %hi0, %hi : memref<3xf32> to memref<3xf32>
  linalg.generic {indexing_maps = [affine_map<(n, c, h) -> (n, c, h)>, affine_map<(n, c, h) -> (c)>, affine_map<(n, c, h) -> (c)>],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%y : memref<4x3x2xf32>) outs(%lo, %hi : memref<3xf32>, memref<3xf32>) {
  ^bb0(%v: f32, %a: f32, %b: f32):
    %mn = arith.minimumf %a, %v : f32
    %mx = arith.maximumf %b, %v : f32
    linalg.yield %mn, %mx : f32, f32
  }
  %hu = memref.cast %hi : memref<3xf32> to memref<*xf32>
  call @printMemrefF32(%hu) : (memref<*xf32>) -> ()
  %lu = memref.cast %lo : memref<3xf32> to memref<*xf32>
  call @printMemrefF32(%lu) : (memref<*xf32>) -> ()
  // A scatter (the adjoint of overlapping 2x2 windows with stride 1):
  // cols[n, oh, ow, c, kh, kw] = (5 n + 3 oh + 2 ow + 7 c + kh + 4 kw)
  // mod 9 - 4, added into out[n, c, oh + kh, ow + kw].
  %windows = memref.alloc() : memref<2x3x3x2x2x2xf32>
  linalg.generic {indexing_maps = [affine_map<(n, oh, ow, c, kh, kw) -> (n, oh, ow, c, kh, kw)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      outs(%windows : memref<2x3x3x2x2x2xf32>) {
  ^bb0(%o: f32):
    %in = linalg.index 0 : index
    %ioh = linalg.index 1 : index
    %iow = linalg.index 2 : index
    %ic = linalg.index 3 : index
    %ikh = linalg.index 4 : index
    %ikw = linalg.index 5 : index
    %c2i = arith.constant 2 : index
    %c3i = arith.constant 3 : index
    %c4i = arith.constant 4 : index
    %c5i = arith.constant 5 : index
    %c7i = arith.constant 7 : index
    %c9i = arith.constant 9 : index
    %t0 = arith.muli %in, %c5i : index
    %t1 = arith.muli %ioh, %c3i : index
    %t2 = arith.muli %iow, %c2i : index
    %t3 = arith.muli %ic, %c7i : index
    %t4 = arith.muli %ikw, %c4i : index
    %s0 = arith.addi %t0, %t1 : index
    %s1 = arith.addi %s0, %t2 : index
    %s2 = arith.addi %s1, %t3 : index
    %s3 = arith.addi %s2, %ikh : index
    %s4 = arith.addi %s3, %t4 : index
    %m = arith.remui %s4, %c9i : index
    %d = arith.subi %m, %c4i : index
    %di = arith.index_cast %d : index to i32
    %v = arith.sitofp %di : i32 to f32
    linalg.yield %v : f32
  }
  %pixels = memref.alloc() : memref<2x2x4x4xf32>
  linalg.fill ins(%zf : f32) outs(%pixels : memref<2x2x4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, oh, ow, c, kh, kw) -> (n, oh, ow, c, kh, kw)>,
                                   affine_map<(n, oh, ow, c, kh, kw) -> (n, c, oh + kh, ow + kw)>],
                  iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]}
      ins(%windows : memref<2x3x3x2x2x2xf32>) outs(%pixels : memref<2x2x4x4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  %pu = memref.cast %pixels : memref<2x2x4x4xf32> to memref<*xf32>
  call @printMemrefF32(%pu) : (memref<*xf32>) -> ()
  return
}
