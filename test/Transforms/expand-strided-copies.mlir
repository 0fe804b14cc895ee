// RUN: sieve-opt %s -sieve-expand-strided-copies | FileCheck %s

// CHECK-LABEL: func @copies
// CHECK: linalg.copy ins(%{{.*}} : memref<2x2xf32>) outs(%{{.*}} : memref<2x2xf32, strided<[4, 1], offset: 5>>)
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<2x2xf32> to memref<2x2xf32>
func.func @copies(%a: memref<2x2xf32>, %b: memref<4x4xf32>, %c: memref<2x2xf32>) {
  %sub = memref.subview %b[1, 1] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  memref.copy %a, %sub : memref<2x2xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  memref.copy %a, %c : memref<2x2xf32> to memref<2x2xf32>
  return
}
