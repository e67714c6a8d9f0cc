// 2x2 max-pooling with stride 2 as vector code (--fqt-vectorize-pooling)
// gives the bits of linalg's loops: odd input widths (a row's last
// outputs masked), rows of more than one vector, NaN (which wins), -0 and
// +0 (maximumf: -0 < +0), an output that already holds values (the pooling
// takes the maximum with them).
// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.vector
// RUN: fqt-opt %s --fqt-cpu-pipeline="min-parallel-work=1" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.threads
// RUN: fqt-opt %s --fqt-cpu-pipeline="vectorize=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.loops
// RUN: diff %t.loops %t.vector
// RUN: diff %t.loops %t.threads
// RUN: FileCheck %s < %t.vector
// The pooling did become vector code.
// RUN: fqt-opt %s --fqt-cpu-pipeline --mlir-disable-threading --mlir-print-ir-after=fqt-vectorize-pooling -o /dev/null 2>&1 | FileCheck %s --check-prefix=IR
// IR-NOT: linalg.pooling_nchw_max
// IR: vector.shuffle
// IR: arith.maximumf %{{.*}} : vector<{{[0-9]+}}xf32>

// CHECK: sizes = [2, 3, 7, 37]
// CHECK: nan
// CHECK: -0
// CHECK: sizes = [2, 3, 7, 37]

#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>

func.func private @printMemrefF32(tensor<*xf32>)

// x = ((n*31 + c*17 + h*7 + w*3) mod 23) - 11, with NaN where the sum is
// 0 mod 97, -0 where it is 5 mod 41 and +0 where it is 6 mod 41.
func.func @values() -> tensor<2x3x15x75xf32> {
  %e = tensor.empty() : tensor<2x3x15x75xf32>
  %r = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<2x3x15x75xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %c31 = arith.constant 31 : index
    %c17 = arith.constant 17 : index
    %c7 = arith.constant 7 : index
    %c3 = arith.constant 3 : index
    %a = arith.muli %n, %c31 : index
    %b = arith.muli %c, %c17 : index
    %d = arith.muli %h, %c7 : index
    %f = arith.muli %w, %c3 : index
    %s1 = arith.addi %a, %b : index
    %s2 = arith.addi %s1, %d : index
    %s = arith.addi %s2, %f : index
    %c23 = arith.constant 23 : index
    %m = arith.remui %s, %c23 : index
    %mi = arith.index_cast %m : index to i32
    %mf = arith.sitofp %mi : i32 to f32
    %c11 = arith.constant 11.0 : f32
    %v = arith.subf %mf, %c11 : f32
    %c97 = arith.constant 97 : index
    %c41 = arith.constant 41 : index
    %z97 = arith.remui %s, %c97 : index
    %z41 = arith.remui %s, %c41 : index
    %c0 = arith.constant 0 : index
    %c5 = arith.constant 5 : index
    %c6 = arith.constant 6 : index
    %isnan = arith.cmpi eq, %z97, %c0 : index
    %isneg = arith.cmpi eq, %z41, %c5 : index
    %ispos = arith.cmpi eq, %z41, %c6 : index
    %nan = arith.constant 0x7FC00000 : f32
    %negz = arith.constant -0.0 : f32
    %posz = arith.constant 0.0 : f32
    %v1 = arith.select %isnan, %nan, %v : f32
    %v2 = arith.select %isneg, %negz, %v1 : f32
    %v3 = arith.select %ispos, %posz, %v2 : f32
    linalg.yield %v3 : f32
  } -> tensor<2x3x15x75xf32>
  return %r : tensor<2x3x15x75xf32>
}

func.func @main() {
  %x = call @values() : () -> tensor<2x3x15x75xf32>
  %window = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<2x3x7x37xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %init = linalg.fill ins(%ninf : f32) outs(%e : tensor<2x3x7x37xf32>) -> tensor<2x3x7x37xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %window : tensor<2x3x15x75xf32>, tensor<2x2xf32>) outs(%init : tensor<2x3x7x37xf32>) -> tensor<2x3x7x37xf32>
  %u = tensor.cast %p : tensor<2x3x7x37xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  // Onto an output that holds 3: the maximum with what it holds.
  %e2 = tensor.empty() : tensor<2x3x7x37xf32>
  %three = arith.constant 3.0 : f32
  %init2 = linalg.fill ins(%three : f32) outs(%e2 : tensor<2x3x7x37xf32>) -> tensor<2x3x7x37xf32>
  %q = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %window : tensor<2x3x15x75xf32>, tensor<2x2xf32>) outs(%init2 : tensor<2x3x7x37xf32>) -> tensor<2x3x7x37xf32>
  %v = tensor.cast %q : tensor<2x3x7x37xf32> to tensor<*xf32>
  call @printMemrefF32(%v) : (tensor<*xf32>) -> ()
  return
}
