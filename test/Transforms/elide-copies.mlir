// RUN: sieve-opt %s -split-input-file -sieve-elide-copies | FileCheck %s

// The output is computed in the caller's buffer, through the reshape.
// CHECK-LABEL: func @through_reshape
// CHECK-SAME: (%[[IN:.*]]: memref<1x4xf32>, %[[OUT:.*]]: memref<4xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[VIEW:.*]] = memref.expand_shape %[[OUT]] {{\[}}[0, 1]] output_shape [1, 4] : memref<4xf32> into memref<1x4xf32>
// CHECK: linalg.copy ins(%[[IN]] : memref<1x4xf32>) outs(%[[VIEW]] : memref<1x4xf32>)
// CHECK-NOT: memref.copy
func.func @through_reshape(%in: memref<1x4xf32>, %out: memref<4xf32>) {
  %a = memref.alloc() : memref<1x4xf32>
  linalg.copy ins(%in : memref<1x4xf32>) outs(%a : memref<1x4xf32>)
  %c = memref.collapse_shape %a [[0, 1]] : memref<1x4xf32> into memref<4xf32>
  memref.copy %c, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// The temporary is read after the copy: the copy stays.
// CHECK-LABEL: func @still_used
// CHECK: memref.alloc
// CHECK: memref.copy
func.func @still_used(%in: memref<4xf32>, %out: memref<4xf32>, %out2: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  linalg.copy ins(%in : memref<4xf32>) outs(%a : memref<4xf32>)
  memref.copy %a, %out : memref<4xf32> to memref<4xf32>
  linalg.copy ins(%a : memref<4xf32>) outs(%out2 : memref<4xf32>)
  return
}

// -----

// A copy of a buffer onto itself disappears.
// CHECK-LABEL: func @self_copy
// CHECK-NOT: memref.copy
func.func @self_copy(%buf: memref<4xf32>) {
  memref.copy %buf, %buf : memref<4xf32> to memref<4xf32>
  return
}

// -----

// Rows moved up within one buffer through a temporary (a window slide of
// cached row strips): the parts are disjoint, so one copy, no temporary.
// CHECK-LABEL: func @slide_disjoint
// CHECK-SAME: (%[[W:.*]]: memref<1x3x4x2xi8>)
// CHECK-NOT: memref.alloc
// CHECK-DAG: %[[FROM:.*]] = memref.subview %[[W]][0, 2, 0, 0] [1, 1, 4, 2]
// CHECK-DAG: %[[TO:.*]] = memref.subview %[[W]][0, 0, 0, 0] [1, 1, 4, 2]
// CHECK: memref.copy %[[FROM]], %[[TO]]
// CHECK-NOT: memref.copy
func.func @slide_disjoint(%w: memref<1x3x4x2xi8>) {
  %t = memref.alloc() : memref<4x2xi8>
  %from = memref.subview %w[0, 2, 0, 0] [1, 1, 4, 2] [1, 1, 1, 1] : memref<1x3x4x2xi8> to memref<4x2xi8, strided<[2, 1], offset: 16>>
  memref.copy %from, %t : memref<4x2xi8, strided<[2, 1], offset: 16>> to memref<4x2xi8>
  %to = memref.subview %w[0, 0, 0, 0] [1, 1, 4, 2] [1, 1, 1, 1] : memref<1x3x4x2xi8> to memref<4x2xi8, strided<[2, 1]>>
  memref.copy %t, %to : memref<4x2xi8> to memref<4x2xi8, strided<[2, 1]>>
  memref.dealloc %t : memref<4x2xi8>
  return
}

// -----

// The parts overlap (two rows moved up by one): the temporary stays.
// CHECK-LABEL: func @slide_overlapping
// CHECK: memref.alloc
// CHECK: memref.copy
// CHECK: memref.copy
func.func @slide_overlapping(%w: memref<1x3x4x2xi8>) {
  %t = memref.alloc() : memref<2x4x2xi8>
  %from = memref.subview %w[0, 1, 0, 0] [1, 2, 4, 2] [1, 1, 1, 1] : memref<1x3x4x2xi8> to memref<2x4x2xi8, strided<[8, 2, 1], offset: 8>>
  memref.copy %from, %t : memref<2x4x2xi8, strided<[8, 2, 1], offset: 8>> to memref<2x4x2xi8>
  %to = memref.subview %w[0, 0, 0, 0] [1, 2, 4, 2] [1, 1, 1, 1] : memref<1x3x4x2xi8> to memref<2x4x2xi8, strided<[8, 2, 1]>>
  memref.copy %t, %to : memref<2x4x2xi8> to memref<2x4x2xi8, strided<[8, 2, 1]>>
  return
}

// -----

// A column moved left within one buffer through a temporary (a window slide
// of a cached 2-D grid): the two views interleave in memory (one run per
// row) but share no element, so one copy, no temporary.
// CHECK-LABEL: func @slide_columns_disjoint
// CHECK-SAME: (%[[W:.*]]: memref<1x3x4x2xi8>)
// CHECK-NOT: memref.alloc
// CHECK-DAG: %[[FROM:.*]] = memref.subview %[[W]][0, 0, 1, 0] [1, 3, 1, 2]
// CHECK-DAG: %[[TO:.*]] = memref.subview %[[W]][0, 0, 0, 0] [1, 3, 1, 2]
// CHECK: memref.copy %[[FROM]], %[[TO]]
// CHECK-NOT: memref.copy
func.func @slide_columns_disjoint(%w: memref<1x3x4x2xi8>) {
  %t = memref.alloc() : memref<3x1x2xi8>
  %from = memref.subview %w[0, 0, 1, 0] [1, 3, 1, 2] [1, 1, 1, 1] : memref<1x3x4x2xi8> to memref<3x1x2xi8, strided<[8, 2, 1], offset: 2>>
  memref.copy %from, %t : memref<3x1x2xi8, strided<[8, 2, 1], offset: 2>> to memref<3x1x2xi8>
  %to = memref.subview %w[0, 0, 0, 0] [1, 3, 1, 2] [1, 1, 1, 1] : memref<1x3x4x2xi8> to memref<3x1x2xi8, strided<[8, 2, 1]>>
  memref.copy %t, %to : memref<3x1x2xi8> to memref<3x1x2xi8, strided<[8, 2, 1]>>
  memref.dealloc %t : memref<3x1x2xi8>
  return
}

// -----

// Two columns moved left by one: the views share a column, the temporary
// stays.
// CHECK-LABEL: func @slide_columns_overlapping
// CHECK: memref.alloc
// CHECK: memref.copy
// CHECK: memref.copy
func.func @slide_columns_overlapping(%w: memref<1x3x4x2xi8>) {
  %t = memref.alloc() : memref<3x2x2xi8>
  %from = memref.subview %w[0, 0, 1, 0] [1, 3, 2, 2] [1, 1, 1, 1] : memref<1x3x4x2xi8> to memref<3x2x2xi8, strided<[8, 2, 1], offset: 2>>
  memref.copy %from, %t : memref<3x2x2xi8, strided<[8, 2, 1], offset: 2>> to memref<3x2x2xi8>
  %to = memref.subview %w[0, 0, 0, 0] [1, 3, 2, 2] [1, 1, 1, 1] : memref<1x3x4x2xi8> to memref<3x2x2xi8, strided<[8, 2, 1]>>
  memref.copy %t, %to : memref<3x2x2xi8> to memref<3x2x2xi8, strided<[8, 2, 1]>>
  return
}
