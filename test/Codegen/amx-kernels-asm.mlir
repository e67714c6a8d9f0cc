// Instruction level, on any host: the AMX kernels carry their own target
// features, so a program for an AVX-512 CPU without AMX holds them; the
// tiles are configured inside the kernel (ldtilecfg, tilerelease), after
// the caller's check, and each signedness has its instruction.
// RUN: fqt-opt %s --fqt-cpu-pipeline="cpu-features=+avx,+avx2,+fma,+avx512f,+avx512bw,+avx512vnni amx=on openmp=0" \
// RUN:   | mlir-translate --mlir-to-llvmir | llc -O2 -mattr=+avx,+avx2,+fma,+avx512f,+avx512bw,+avx512vnni | FileCheck %s
// With threads, each thread's part configures its tiles.
// RUN: fqt-opt %s --fqt-cpu-pipeline="cpu-features=+avx,+avx2,+fma,+avx512f,+avx512bw,+avx512vnni amx=on min-parallel-work=1" \
// RUN:   | mlir-translate --mlir-to-llvmir | llc -O2 -mattr=+avx,+avx2,+fma,+avx512f,+avx512bw,+avx512vnni | FileCheck %s --check-prefix=OMP

#mk = affine_map<(m, n, k) -> (m, k)>
#km = affine_map<(m, n, k) -> (k, m)>
#kn = affine_map<(m, n, k) -> (k, n)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>

// The caller (the pipeline's kernel function of the first product) asks,
// then calls; it never configures tiles itself.
// CHECK-LABEL: fqt_kernel_0:
// CHECK-NOT: ldtilecfg
// CHECK: callq fqt_amx_ready
// CHECK-NOT: ldtilecfg
// CHECK: callq fqt_amx_gemm
// CHECK-NOT: ldtilecfg
// CHECK: vpdpbusd
// CHECK-LABEL: fqt_amx_gemm:
// CHECK: ldtilecfg
// CHECK-DAG: tileloadd
// CHECK-DAG: tdpbusd
// CHECK-DAG: tilestored
// CHECK: tilerelease
// CHECK-LABEL: fqt_amx_gemm_0:
// CHECK: tdpbssd
// CHECK-LABEL: fqt_amx_gemm_1:
// CHECK: tdpbsud
// CHECK-LABEL: fqt_amx_gemm_2:
// CHECK: tdpbuud

// OMP-LABEL: fqt_amx_gemm..omp_par
// OMP: ldtilecfg
// OMP-DAG: tdpbusd
// OMP: tilerelease
func.func @products(%a: memref<40x130xi8>, %b: memref<130x70xi8>, %c: memref<40x70xi32>,
                    %at: memref<130x40xi8>, %bt: memref<70x130xi8>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<40x130xi8>, memref<130x70xi8>) outs(%c : memref<40x70xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  }
  linalg.generic {indexing_maps = [#km, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%at, %b : memref<130x40xi8>, memref<130x70xi8>) outs(%c : memref<40x70xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  }
  linalg.generic {indexing_maps = [#mk, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %bt : memref<40x130xi8>, memref<70x130xi8>) outs(%c : memref<40x70xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extui %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  }
  linalg.generic {indexing_maps = [#km, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%at, %bt : memref<130x40xi8>, memref<70x130xi8>) outs(%c : memref<40x70xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extui %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  }
  return
}
