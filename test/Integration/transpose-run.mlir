// NCHW <-> NHWC transposes as 16x16 vector tiles (--fqt-vectorize-transposes)
// move every element where linalg's loops do: sizes that leave partial
// tiles on both sides (3 x 19 x 21 -> 399 x 3 and back), 32 channels (two
// whole tiles), f32 and i32.
// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.vector
// RUN: fqt-opt %s --fqt-cpu-pipeline="vectorize=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.loops
// RUN: diff %t.loops %t.vector
// RUN: FileCheck %s < %t.vector
// RUN: fqt-opt %s --fqt-cpu-pipeline --mlir-disable-threading --mlir-print-ir-after=fqt-vectorize-transposes -o /dev/null 2>&1 | FileCheck %s --check-prefix=IR
// IR-NOT: linalg.transpose
// IR: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23] : vector<16xf32>, vector<16xf32>

// CHECK: sizes = [2, 19, 21, 3]
// CHECK: sizes = [2, 3, 19, 21]
// CHECK: sizes = [2, 7, 5, 32]
// CHECK: sizes = [2, 32, 7, 5]

#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>

func.func private @printMemrefF32(tensor<*xf32>)
func.func private @printMemrefI32(tensor<*xi32>)

func.func @values(%n: index, %c: index, %h: index, %w: index) -> tensor<?x?x?x?xf32> {
  %e = tensor.empty(%n, %c, %h, %w) : tensor<?x?x?x?xf32>
  %r = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<?x?x?x?xf32>) {
  ^bb0(%o: f32):
    %i0 = linalg.index 0 : index
    %i1 = linalg.index 1 : index
    %i2 = linalg.index 2 : index
    %i3 = linalg.index 3 : index
    %c1000 = arith.constant 1000 : index
    %c100 = arith.constant 100 : index
    %c10 = arith.constant 10 : index
    %a = arith.muli %i0, %c1000 : index
    %b = arith.muli %i1, %c100 : index
    %d = arith.muli %i2, %c10 : index
    %s1 = arith.addi %a, %b : index
    %s2 = arith.addi %s1, %d : index
    %s = arith.addi %s2, %i3 : index
    %si = arith.index_cast %s : index to i32
    %v = arith.sitofp %si : i32 to f32
    linalg.yield %v : f32
  } -> tensor<?x?x?x?xf32>
  return %r : tensor<?x?x?x?xf32>
}

func.func @main() {
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %c19 = arith.constant 19 : index
  %c21 = arith.constant 21 : index
  %c32 = arith.constant 32 : index
  %xd = call @values(%c2, %c3, %c19, %c21) : (index, index, index, index) -> tensor<?x?x?x?xf32>
  %x = tensor.cast %xd : tensor<?x?x?x?xf32> to tensor<2x3x19x21xf32>
  %e1 = tensor.empty() : tensor<2x19x21x3xf32>
  %t1 = linalg.transpose ins(%x : tensor<2x3x19x21xf32>) outs(%e1 : tensor<2x19x21x3xf32>) permutation = [0, 2, 3, 1]
  %e2 = tensor.empty() : tensor<2x3x19x21xf32>
  %t2 = linalg.transpose ins(%t1 : tensor<2x19x21x3xf32>) outs(%e2 : tensor<2x3x19x21xf32>) permutation = [0, 3, 1, 2]
  %yd = call @values(%c2, %c7, %c5, %c32) : (index, index, index, index) -> tensor<?x?x?x?xf32>
  %y = tensor.cast %yd : tensor<?x?x?x?xf32> to tensor<2x7x5x32xf32>
  %ey = tensor.empty() : tensor<2x7x5x32xi32>
  %yi = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : tensor<2x7x5x32xf32>) outs(%ey : tensor<2x7x5x32xi32>) {
  ^bb0(%v: f32, %o: i32):
    %i = arith.fptosi %v : f32 to i32
    linalg.yield %i : i32
  } -> tensor<2x7x5x32xi32>
  %e4 = tensor.empty() : tensor<2x32x7x5xi32>
  %t4 = linalg.transpose ins(%yi : tensor<2x7x5x32xi32>) outs(%e4 : tensor<2x32x7x5xi32>) permutation = [0, 3, 1, 2]
  // Printed after every use (the printer may write, as far as
  // bufferization knows).
  %u1 = tensor.cast %t1 : tensor<2x19x21x3xf32> to tensor<*xf32>
  call @printMemrefF32(%u1) : (tensor<*xf32>) -> ()
  %u2 = tensor.cast %t2 : tensor<2x3x19x21xf32> to tensor<*xf32>
  call @printMemrefF32(%u2) : (tensor<*xf32>) -> ()
  %u3 = tensor.cast %y : tensor<2x7x5x32xf32> to tensor<*xf32>
  call @printMemrefF32(%u3) : (tensor<*xf32>) -> ()
  %u4 = tensor.cast %t4 : tensor<2x32x7x5xi32> to tensor<*xi32>
  call @printMemrefI32(%u4) : (tensor<*xi32>) -> ()
  return
}
