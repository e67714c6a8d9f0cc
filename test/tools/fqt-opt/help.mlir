// `fqt-opt --help` lists fqt's passes and pipelines with their summaries.
// RUN: fqt-opt --help | FileCheck %s

// CHECK-DAG: --fqt-cpu-pipeline {{.*}}Lower fqt and linalg on tensors to the LLVM dialect for the host CPU
// CHECK-DAG: --fqt-lower-dequantize {{.*}}Lower fqt.dequantize to linalg on tensors
// CHECK-DAG: --fqt-simulate-qmatmul {{.*}}Compute quantized products as dequantize + float matmul
// Upstream passes are there too.
// CHECK-DAG: --one-shot-bufferize
// CHECK-DAG: --convert-to-llvm
