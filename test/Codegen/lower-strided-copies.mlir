// RUN: fqt-opt %s --fqt-lower-strided-copies | FileCheck %s

// A copy into a strided view becomes a linalg.copy; a contiguous one stays a
// memref.copy (memcpy).
// CHECK-LABEL: func.func @copies
// CHECK: linalg.copy ins(%{{.*}} : memref<4x5xf32>) outs(%{{.*}} : memref<4x5xf32, strided<[7, 1], offset: 8>>)
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<4x5xf32> to memref<4x5xf32>
func.func @copies(%a: memref<4x5xf32>, %b: memref<4x5xf32, strided<[7, 1], offset: 8>>, %c: memref<4x5xf32>) {
  memref.copy %a, %b : memref<4x5xf32> to memref<4x5xf32, strided<[7, 1], offset: 8>>
  memref.copy %a, %c : memref<4x5xf32> to memref<4x5xf32>
  return
}
