// What the AMX kernels' run-time check answers (@fqt_amx_ready, asked of
// Linux by arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)), printed by
// a program that asks it directly: true on a CPU with AMX (REQUIRES in
// amx-hardware-run.test), false elsewhere, false with FQT_AMX=0 anywhere;
// asked twice, the same answer.
// UNSUPPORTED: amx-int8
// RUN: fqt-opt %s --fqt-cpu-pipeline="amx=on" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s --check-prefix=REFUSED
// RUN: fqt-opt %s --fqt-cpu-pipeline="amx=on" | env FQT_AMX=0 mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s --check-prefix=REFUSED
// REFUSED: sum=83744
// REFUSED: ready=0 again=0

#id = affine_map<(i, j) -> (i, j)>
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>

func.func private @fqt_amx_ready() -> i1

func.func @main() {
  // One integer product, so that the pipeline adds the check's body.
  %ea = tensor.empty() : tensor<16x64xi8>
  %a0 = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%ea : tensor<16x64xi8>) {
  ^bb0(%o: i8):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %s = arith.addi %i, %j : index
    %t = arith.index_cast %s : index to i8
    linalg.yield %t : i8
  } -> tensor<16x64xi8>
  %eb = tensor.empty() : tensor<64x16xi8>
  %b0 = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%eb : tensor<64x16xi8>) {
  ^bb0(%o: i8):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %s = arith.subi %i, %j : index
    %t = arith.index_cast %s : index to i8
    linalg.yield %t : i8
  } -> tensor<64x16xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<16x16xi32>
  %c0 = linalg.fill ins(%z : i32) outs(%e : tensor<16x16xi32>) -> tensor<16x16xi32>
  %p = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a0, %b0 : tensor<16x64xi8>, tensor<64x16xi8>) outs(%c0 : tensor<16x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  } -> tensor<16x16xi32>
  %idx = arith.constant 5 : index
  %v = tensor.extract %p[%idx, %idx] : tensor<16x16xi32>
  vector.print str "sum="
  vector.print %v : i32
  %ready = call @fqt_amx_ready() : () -> i1
  %again = call @fqt_amx_ready() : () -> i1
  vector.print str "ready="
  %r = arith.extui %ready : i1 to i32
  vector.print %r : i32 punctuation <no_punctuation>
  vector.print str " again="
  %a = arith.extui %again : i1 to i32
  vector.print %a : i32
  return
}
