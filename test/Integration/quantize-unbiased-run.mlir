// RUN: fqt-opt %s --fqt-cpu-pipeline \
// RUN:   | mlir-runner -e main -entry-point-result=void -O3 \
// RUN:     -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | %python %S/Inputs/quantize_check_unbiased.py | FileCheck %s

// Statistical properties of the compiled stochastic quantizers
// (docs/quantizers.md §5.1, §5.5.1-3, §5.5.5, §5.5.8). Each of PTQ, PSQ, BHQ,
// LBT, the zero-snapped PSQ and per-column quantizers and the block
// quantizers blk and rht (whose random signs change with the step) quantizes a fixed 8x16 input at steps 0 .. 9999 (10^4 independent
// draws: the step is part of the Philox counter) and dequantizes it; the
// loop over steps runs inside the compiled program and accumulates, per
// element, the sum and the sum of squares of the dequantized values in f64.
// The checker compares them with the exact distribution of each element
// (Inputs/quantize_check_unbiased.py says which bounds and why).

// CHECK: ptq: unbiased
// CHECK: ptq: exact zeros stay exactly zero
// CHECK: psq: unbiased
// CHECK: bhq: unbiased
// CHECK: lbt: unbiased where |g| <= c, clipped to +-c elsewhere
// CHECK: psqz: unbiased
// CHECK: psqz: exact zeros stay exactly zero
// CHECK: percolz: unbiased
// CHECK: percolz: exact zeros stay exactly zero
// CHECK: blk: unbiased
// CHECK: blk: exact zeros stay exactly zero
// CHECK: rht: unbiased
// CHECK: all quantizers ok

func.func private @printMemrefI32(memref<*xi32>)
func.func private @printMemrefI64(memref<*xi64>)

func.func @ptq(%x: tensor<8x16xf32>, %seed: i64, %step: i64) -> tensor<8x16xf32> {
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.ptq<bits = 4>, stream = 1 : i64}
      : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<f32>, offset tensor<f32>
  %d = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.ptq<bits = 4>}
      : tensor<8x16xi8>, tensor<f32>, tensor<f32> -> tensor<8x16xf32>
  return %d : tensor<8x16xf32>
}

func.func @psq(%x: tensor<8x16xf32>, %seed: i64, %step: i64) -> tensor<8x16xf32> {
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>, stream = 2 : i64}
      : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8xf32>, offset tensor<8xf32>
  %d = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 4>}
      : tensor<8x16xi8>, tensor<8xf32>, tensor<8xf32> -> tensor<8x16xf32>
  return %d : tensor<8x16xf32>
}

func.func @bhq(%x: tensor<8x16xf32>, %seed: i64, %step: i64) -> tensor<8x16xf32> {
  %q, %s, %z, %t = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>, stream = 3 : i64}
      : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8xf32>, offset tensor<8xf32>, transform tensor<8x8xf32>
  %d = fqt.dequantize %q scale(%s, %z) transform(%t) {quantizer = #fqt.bhq<bits = 4>}
      : tensor<8x16xi8>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32> -> tensor<8x16xf32>
  return %d : tensor<8x16xf32>
}

func.func @lbt(%x: tensor<8x16xf32>, %seed: i64, %step: i64) -> tensor<8x16xf32> {
  %gamma = arith.constant 0.5 : f32
  %q, %s = fqt.quantize %x seed(%seed, %step) gamma(%gamma) {quantizer = #fqt.lbt<bits = 4>, stream = 4 : i64}
      : tensor<8x16xf32> -> tensor<8x16xi4>, tensor<f32>
  %d = fqt.dequantize %q scale(%s) {quantizer = #fqt.lbt<bits = 4>}
      : tensor<8x16xi4>, tensor<f32> -> tensor<8x16xf32>
  return %d : tensor<8x16xf32>
}

func.func @psqz(%x: tensor<8x16xf32>, %seed: i64, %step: i64) -> tensor<8x16xf32> {
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.psq<bits = 4, zero = snapped>, stream = 5 : i64}
      : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8xf32>, offset tensor<8xf32>
  %d = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 4, zero = snapped>}
      : tensor<8x16xi8>, tensor<8xf32>, tensor<8xf32> -> tensor<8x16xf32>
  return %d : tensor<8x16xf32>
}

func.func @percolz(%x: tensor<8x16xf32>, %seed: i64, %step: i64) -> tensor<8x16xf32> {
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.percol<bits = 4, zero = snapped>, stream = 6 : i64}
      : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<16xf32>, offset tensor<16xf32>
  %d = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.percol<bits = 4, zero = snapped>}
      : tensor<8x16xi8>, tensor<16xf32>, tensor<16xf32> -> tensor<8x16xf32>
  return %d : tensor<8x16xf32>
}

#id = affine_map<(d0, d1) -> (d0, d1)>

// sum += v, squares += v * v, in f64.
func.func @accumulate(%v: tensor<8x16xf32>, %sum: tensor<8x16xf64>, %sq: tensor<8x16xf64>)
    -> (tensor<8x16xf64>, tensor<8x16xf64>) {
  %r:2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%v : tensor<8x16xf32>) outs(%sum, %sq : tensor<8x16xf64>, tensor<8x16xf64>) {
  ^bb0(%a: f32, %s: f64, %q: f64):
    %w = arith.extf %a : f32 to f64
    %s1 = arith.addf %s, %w : f64
    %w2 = arith.mulf %w, %w : f64
    %q1 = arith.addf %q, %w2 : f64
    linalg.yield %s1, %q1 : f64, f64
  } -> (tensor<8x16xf64>, tensor<8x16xf64>)
  return %r#0, %r#1 : tensor<8x16xf64>, tensor<8x16xf64>
}

func.func @print_input(%x: tensor<8x16xf32>) {
  %e = tensor.empty() : tensor<8x16xi32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xi32>) {
  ^bb0(%a: f32, %o: i32):
    %v = arith.bitcast %a : f32 to i32
    linalg.yield %v : i32
  } -> tensor<8x16xi32>
  %m = bufferization.to_buffer %b : tensor<8x16xi32> to memref<8x16xi32>
  %u = memref.cast %m : memref<8x16xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

// Prints f64 values as their IEEE bits.
func.func @print_f64(%x: tensor<8x16xf64>) {
  %e = tensor.empty() : tensor<8x16xi64>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x16xf64>) outs(%e : tensor<8x16xi64>) {
  ^bb0(%a: f64, %o: i64):
    %v = arith.bitcast %a : f64 to i64
    linalg.yield %v : i64
  } -> tensor<8x16xi64>
  %m = bufferization.to_buffer %b : tensor<8x16xi64> to memref<8x16xi64>
  %u = memref.cast %m : memref<8x16xi64> to memref<*xi64>
  call @printMemrefI64(%u) : (memref<*xi64>) -> ()
  return
}

func.func @blk(%x: tensor<8x16xf32>, %seed: i64, %step: i64) -> tensor<8x16xf32> {
  %q, %s = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.blk<bits = 4, size = 4, axis = 1>, stream = 7 : i64}
      : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8x4xf32>
  %d = fqt.dequantize %q scale(%s) {quantizer = #fqt.blk<bits = 4, size = 4, axis = 1>}
      : tensor<8x16xi8>, tensor<8x4xf32> -> tensor<8x16xf32>
  return %d : tensor<8x16xf32>
}

func.func @rht(%x: tensor<8x16xf32>, %seed: i64, %step: i64) -> tensor<8x16xf32> {
  %q, %s, %t = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.rht<bits = 4, size = 8, axis = 1, signs = 9>, stream = 8 : i64}
      : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8x2xf32>, transform tensor<8xf32>
  %d = fqt.dequantize %q scale(%s) transform(%t) {quantizer = #fqt.rht<bits = 4, size = 8, axis = 1, signs = 9>}
      : tensor<8x16xi8>, tensor<8x2xf32>, tensor<8xf32> -> tensor<8x16xf32>
  return %d : tensor<8x16xf32>
}

func.func @main() {
  %x_ptq = arith.constant dense<[[0.0, -0.464418411, 0.0505150631, 0.686230838, -1.75679052, 0.0, -0.457842827, -0.596420109, 0.0, 0.931792021, 0.674980462, 1.24444115, 0.893087447, 0.263004929, 0.328517854, 0.0], [0.0, -0.0458960868, 0.38187173, -0.452538967, 0.721664906, -0.352163404, 0.672797024, 0.140623301, 0.462560683, -1.51765287, -0.860297561, 1.34456873, 0.178086326, -0.081318289, 0.0, 0.750888884], [0.0, -0.64308089, 1.96093488, 0.690720439, -1.5720551, 0.839465439, 0.768478036, 0.813917816, -0.403894842, 0.0, 0.0, 1.21113563, 0.292586476, 1.69733894, -0.388611823, 0.696423948], [0.844831586, -0.323760688, 0.0112522123, -0.414602816, 0.478243291, 0.0, -0.291656017, 0.0, 0.0, -0.521098852, -1.9225868, -1.17404222, -0.673933744, 0.108182758, 0.0, 0.269041538], [0.0913609639, 0.347901076, -1.40148842, 0.0483800583, -0.868113995, -0.573720574, 2.03630114, 1.84737277, 0.977152288, 0.543007433, 0.50359863, 0.0, -1.25545084, 0.334719926, -0.447193235, -0.776719749], [-0.0803223997, 0.0, 0.0, -0.739599705, 0.0173079092, 0.0, 1.22683227, 1.51920366, -1.10439897, 0.427307308, 0.0, 0.0, 0.0628524423, 1.19308817, 0.553271651, -0.868517399], [0.0801815018, -0.017562611, 0.0, 0.0, 0.0, 1.35927403, -0.18787241, 0.440992922, 0.0, -1.67761064, 0.327230453, 0.129049078, 0.908819199, -1.15224254, -0.284819245, -2.49237752], [-0.836597085, -0.433336645, 0.0, -0.554781914, 0.954104066, 0.0, 0.0, 0.460356981, 0.0, 1.33655119, 0.68912214, 0.332664788, -1.71408594, -0.617609859, 0.267985761, -0.643845141]]> : tensor<8x16xf32>
  %x_psq = arith.constant dense<[[1.59282601, -0.693920135, 0.465077102, -0.77181077, 1.30214345, -0.797723532, -0.178959444, 1.43941176, 0.936263442, -0.315349936, 1.23630273, 0.640274882, 1.06456316, 1.53645265, 1.63360596, -0.888095558], [-0.00832749251, 0.00529378653, -0.00299158902, -0.0314882398, 0.00976024196, -0.0126481121, -0.00295496313, -0.00683148485, -0.00349672325, 0.00624884805, -0.0180940256, -0.00314543582, -0.0153633598, -0.00334798056, 0.00264047831, 0.00969717186], [-0.726686001, 7.44468021, 2.79352975, 3.7079823, 2.21736336, -0.773307741, -1.43062282, -2.74132943, 0.0955901891, -9.13003445, -1.45989072, -0.0961563066, -4.18950272, -3.21834183, 1.21258044, 1.81747532], [0.155535668, -1.13716543, 0.92874527, -0.11674393, 1.50593722, -0.0220028032, 0.269124359, -0.224424705, 0.317508698, 0.858730137, 0.243798226, 0.506392181, 0.334369212, -0.829344034, 0.317622721, -0.343319714], [4.96719804e-05, -9.84979124e-05, 0.000134385962, -5.49668766e-05, 0.000210033293, -3.50639857e-05, 8.72399178e-05, -0.000130772911, 1.88051818e-05, -7.39338939e-05, 5.95173769e-05, 0.000146889535, 0.000112848778, -6.09113958e-05, -0.000118619813, -3.60265913e-05], [-10.5560522, 10.3905344, 3.44997358, 5.88465023, -14.4750595, -9.76203156, -9.68099213, 3.22277617, 3.56791377, -22.1374416, 12.6542168, 19.4398727, -18.0728416, -8.89481735, 7.51143312, -7.72402859], [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5], [-0.3580302, -0.118246473, -0.176881447, -0.0178005807, 0.0941731259, 0.484065175, 0.126677334, -0.0175308753, -0.405700535, -0.309776127, -0.244729921, -0.0716900751, -0.402612329, 0.0329146609, 0.266648978, 0.0990148187]]> : tensor<8x16xf32>
  %x_bhq = arith.constant dense<[[0.0132883573, -0.00281137414, 0.00505824573, 0.00075326208, 0.00677261362, 0.00924220029, -0.0120668309, -0.0147774676, -0.0106887398, 0.0102789029, 0.00516097108, 0.0101582343, -0.00889256131, 0.000894303375, 0.00495911576, -0.0191181116], [-0.411680281, 0.327168614, 0.236189485, -0.764829457, -0.203306526, 0.707248032, 0.527309418, 0.744282484, 0.411373109, -0.0897092223, 0.527928233, -0.186273634, -1.76412666, 0.272271305, -1.41791737, -1.17050779], [-0.00152439193, 0.00236484944, -0.000523929601, 0.00663835695, 0.0023301586, 0.000341308303, -0.00594519079, 0.00242486456, 0.00165168941, 0.00149330776, 0.000480282644, -0.000896226731, 0.0014870473, -0.00267459452, -0.00354382955, 0.00327522401], [-0.00289385766, -0.0025493314, 0.00190489402, 0.00887131598, 0.00954682007, 0.00436553871, -0.00904880185, 0.00666382769, 0.00855433475, 0.000632020528, 0.00378585886, -0.00510506425, -0.0033638794, -0.000471537554, -0.000101327554, -0.000312085205], [0.770039201, -0.303344011, 2.77545047, -3.26110053, 2.71275282, 2.17540741, 0.0426816419, -0.510652125, 1.41860473, -0.948244274, 1.25320435, 0.459529459, -1.69345629, 3.03357768, 1.66079199, 0.615740895], [0.0179956201, 0.0145815043, -0.00170852151, 0.00170280202, 0.00229962799, 0.00590262096, 0.0090857204, 0.00409650523, 0.00177130499, -0.0132947601, -0.00283015892, -0.00387369934, -0.00138363952, -0.00698644482, -0.00369897997, -0.0108851455], [0.000158004521, -0.00474154809, 0.00651109498, -0.00146280334, 0.00570354098, -0.000390102272, 0.000446844788, 0.00598007767, -0.000636418117, 0.00739298202, -0.00285681733, 0.00201960956, 0.00260891835, 0.000544439594, -0.00217148126, 0.00584955048], [-0.00692558428, 0.00193541136, -0.0282199383, -0.000624933571, -0.0334718004, 0.0242303945, 0.0118890284, 0.0289278645, -0.000817867287, 0.0220502112, 0.0298626926, -0.0191150159, -0.0107862633, -0.0160598215, 0.0166431013, 0.0218787231]]> : tensor<8x16xf32>
  %x_lbt = arith.constant dense<[[0.582708597, -1.03819716, -0.0626463145, -0.218811005, -1.14137888, 1.16366255, 2.09522986, 1.72668684, -0.592109442, 1.23098993, -1.86584997, -1.21218133, 0.556088567, -0.78820467, -0.301435411, 1.73313165], [-0.18689914, 0.631505191, -0.162636817, 0.649489522, 0.920870721, -0.215385512, -0.826813519, 0.632335782, -1.17491436, 1.02245748, 0.309096336, 0.706079781, -1.55868948, 1.49144495, -0.438497812, -0.410241246], [-1.78097546, -0.432852626, -1.01614559, 1.00342429, -0.329085112, -0.689731419, 1.17778718, -1.43891954, -1.19630015, -0.705078959, 1.10098636, -0.738354325, -0.0761875585, -0.651801288, -1.17059541, -0.314539284], [0.170364216, -1.3986274, -0.0392631106, -2.38275814, -1.03904271, 0.81356585, -0.27658391, 0.587548435, 1.06417727, 0.61661762, 0.304741383, 0.660815179, 0.0942679495, -0.376978785, 0.698419333, 0.405329704], [0.15861775, 1.51392865, 0.334074348, 2.34792876, -1.28939748, 1.01529801, 0.0638669878, 0.990858078, -0.371444583, 1.42468023, 1.26818526, 0.549643397, -0.596780062, 0.0562584661, -0.681472659, 0.0702868551], [-1.53052378, -1.12981355, -1.37213957, 0.958521307, 0.257980704, -1.46489859, -0.234105572, 1.30374122, -0.14878805, -1.22438574, -0.646982372, 0.191294312, 1.15626693, -0.728079617, -2.00336289, 0.338278711], [-0.2624771, -1.59752345, -1.48628342, -0.48996684, -1.58424389, -1.29138088, 0.439771235, 0.891390264, 0.424241751, -0.870051265, 0.336349487, -1.33818138, 0.661148846, -0.46128282, 2.23314881, 0.805949509], [0.745370507, 0.35968259, 1.45727432, -0.538482189, -0.456860781, -0.863999665, 0.536343932, -0.751078427, 0.115994968, 0.401256979, 1.40789986, -2.02459836, -1.24690962, 1.04722822, 2.03802705, 0.33255738]]> : tensor<8x16xf32>
  %seed = arith.constant 20240611 : i64
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %steps = arith.constant 10000 : index
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<8x16xf64>
  %z = linalg.fill ins(%zero : f64) outs(%e : tensor<8x16xf64>) -> tensor<8x16xf64>
  %r:16 = scf.for %i = %c0 to %steps step %c1
      iter_args(%s0 = %z, %q0 = %z, %s1 = %z, %q1 = %z, %s2 = %z, %q2 = %z, %s3 = %z, %q3 = %z,
                %s4 = %z, %q4 = %z, %s5 = %z, %q5 = %z, %s6 = %z, %q6 = %z, %s7 = %z, %q7 = %z)
      -> (tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>,
          tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>,
          tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>,
          tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>) {
    %step = arith.index_cast %i : index to i64
    %d0 = func.call @ptq(%x_ptq, %seed, %step) : (tensor<8x16xf32>, i64, i64) -> tensor<8x16xf32>
    %d1 = func.call @psq(%x_psq, %seed, %step) : (tensor<8x16xf32>, i64, i64) -> tensor<8x16xf32>
    %d2 = func.call @bhq(%x_bhq, %seed, %step) : (tensor<8x16xf32>, i64, i64) -> tensor<8x16xf32>
    %d3 = func.call @lbt(%x_lbt, %seed, %step) : (tensor<8x16xf32>, i64, i64) -> tensor<8x16xf32>
    %a0:2 = func.call @accumulate(%d0, %s0, %q0) : (tensor<8x16xf32>, tensor<8x16xf64>, tensor<8x16xf64>) -> (tensor<8x16xf64>, tensor<8x16xf64>)
    %a1:2 = func.call @accumulate(%d1, %s1, %q1) : (tensor<8x16xf32>, tensor<8x16xf64>, tensor<8x16xf64>) -> (tensor<8x16xf64>, tensor<8x16xf64>)
    %a2:2 = func.call @accumulate(%d2, %s2, %q2) : (tensor<8x16xf32>, tensor<8x16xf64>, tensor<8x16xf64>) -> (tensor<8x16xf64>, tensor<8x16xf64>)
    %a3:2 = func.call @accumulate(%d3, %s3, %q3) : (tensor<8x16xf32>, tensor<8x16xf64>, tensor<8x16xf64>) -> (tensor<8x16xf64>, tensor<8x16xf64>)
    // The zero-snapped quantizers on PTQ's input, which has exact zeros.
    %d4 = func.call @psqz(%x_ptq, %seed, %step) : (tensor<8x16xf32>, i64, i64) -> tensor<8x16xf32>
    %d5 = func.call @percolz(%x_ptq, %seed, %step) : (tensor<8x16xf32>, i64, i64) -> tensor<8x16xf32>
    %a4:2 = func.call @accumulate(%d4, %s4, %q4) : (tensor<8x16xf32>, tensor<8x16xf64>, tensor<8x16xf64>) -> (tensor<8x16xf64>, tensor<8x16xf64>)
    %a5:2 = func.call @accumulate(%d5, %s5, %q5) : (tensor<8x16xf32>, tensor<8x16xf64>, tensor<8x16xf64>) -> (tensor<8x16xf64>, tensor<8x16xf64>)
    // The block quantizers: blk on PTQ's input (exact zeros), rht on PSQ's
    // (rows of very different scales).
    %d6 = func.call @blk(%x_ptq, %seed, %step) : (tensor<8x16xf32>, i64, i64) -> tensor<8x16xf32>
    %d7 = func.call @rht(%x_psq, %seed, %step) : (tensor<8x16xf32>, i64, i64) -> tensor<8x16xf32>
    %a6:2 = func.call @accumulate(%d6, %s6, %q6) : (tensor<8x16xf32>, tensor<8x16xf64>, tensor<8x16xf64>) -> (tensor<8x16xf64>, tensor<8x16xf64>)
    %a7:2 = func.call @accumulate(%d7, %s7, %q7) : (tensor<8x16xf32>, tensor<8x16xf64>, tensor<8x16xf64>) -> (tensor<8x16xf64>, tensor<8x16xf64>)
    scf.yield %a0#0, %a0#1, %a1#0, %a1#1, %a2#0, %a2#1, %a3#0, %a3#1, %a4#0, %a4#1, %a5#0, %a5#1,
              %a6#0, %a6#1, %a7#0, %a7#1
        : tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>,
          tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>,
          tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>,
          tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>, tensor<8x16xf64>
  }
  // Per quantizer: input bits, sum, sum of squares.
  call @print_input(%x_ptq) : (tensor<8x16xf32>) -> ()
  call @print_f64(%r#0) : (tensor<8x16xf64>) -> ()
  call @print_f64(%r#1) : (tensor<8x16xf64>) -> ()
  call @print_input(%x_psq) : (tensor<8x16xf32>) -> ()
  call @print_f64(%r#2) : (tensor<8x16xf64>) -> ()
  call @print_f64(%r#3) : (tensor<8x16xf64>) -> ()
  call @print_input(%x_bhq) : (tensor<8x16xf32>) -> ()
  call @print_f64(%r#4) : (tensor<8x16xf64>) -> ()
  call @print_f64(%r#5) : (tensor<8x16xf64>) -> ()
  call @print_input(%x_lbt) : (tensor<8x16xf32>) -> ()
  call @print_f64(%r#6) : (tensor<8x16xf64>) -> ()
  call @print_f64(%r#7) : (tensor<8x16xf64>) -> ()
  call @print_input(%x_ptq) : (tensor<8x16xf32>) -> ()
  call @print_f64(%r#8) : (tensor<8x16xf64>) -> ()
  call @print_f64(%r#9) : (tensor<8x16xf64>) -> ()
  call @print_input(%x_ptq) : (tensor<8x16xf32>) -> ()
  call @print_f64(%r#10) : (tensor<8x16xf64>) -> ()
  call @print_f64(%r#11) : (tensor<8x16xf64>) -> ()
  call @print_input(%x_ptq) : (tensor<8x16xf32>) -> ()
  call @print_f64(%r#12) : (tensor<8x16xf64>) -> ()
  call @print_f64(%r#13) : (tensor<8x16xf64>) -> ()
  call @print_input(%x_psq) : (tensor<8x16xf32>) -> ()
  call @print_f64(%r#14) : (tensor<8x16xf64>) -> ()
  call @print_f64(%r#15) : (tensor<8x16xf64>) -> ()
  return
}
