// RUN: sieve-opt %s -sieve-expand-strided-copies | FileCheck %s
// RUN: sieve-opt %s -pass-pipeline='builtin.module(func.func(sieve-expand-strided-copies, convert-linalg-to-loops), convert-scf-to-cf, expand-strided-metadata, lower-affine, finalize-memref-to-llvm, convert-arith-to-llvm, convert-cf-to-llvm, convert-func-to-llvm, reconcile-unrealized-casts)' | FileCheck %s --check-prefix=LLVM

// No copy is left for MLIR's C runner library, which no firmware links.
// LLVM-NOT: memrefCopy

// Runs of 8 bytes: element loops.
// CHECK-LABEL: func @short_runs
// CHECK: linalg.copy ins(%{{.*}} : memref<2x2xf32>) outs(%{{.*}} : memref<2x2xf32, strided<[4, 1], offset: 5>>)
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<2x2xf32> to memref<2x2xf32>
func.func @short_runs(%a: memref<2x2xf32>, %b: memref<4x4xf32>, %c: memref<2x2xf32>) {
  %sub = memref.subview %b[1, 1] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  memref.copy %a, %sub : memref<2x2xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  memref.copy %a, %c : memref<2x2xf32> to memref<2x2xf32>
  return
}

// Input rows into a padded row window (a depthwise convolution's rows after
// row fusion): the rows' 36x96 bytes are contiguous in both, so one memcpy
// per row, for a run-time number of rows.
// CHECK-LABEL: func @window_rows
// CHECK-SAME: (%[[IN:.*]]: memref<1x?x36x96xi8, {{.*}}>, %[[WIN:.*]]: memref<1x3x38x96xi8>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[N:.*]] = memref.dim %[[IN]], %[[C0]]
// CHECK: scf.for %[[B:.*]] = %[[C0]] to %[[N]] step %[[C1]]
// CHECK: %[[ROWS:.*]] = memref.dim %[[IN]], %[[C1]]
// CHECK: scf.for %[[R:.*]] = %[[C0]] to %[[ROWS]] step %[[C1]]
// CHECK: %[[S:.*]] = memref.subview %[[IN]][%[[B]], %[[R]], 0, 0] [1, 1, 36, 96] [1, 1, 1, 1] : {{.*}} to memref<36x96xi8, strided<[96, 1], offset: ?>>
// CHECK: %[[D:.*]] = memref.subview %{{.*}}[%[[B]], %[[R]], 0, 0] [1, 1, 36, 96] [1, 1, 1, 1] : {{.*}} to memref<36x96xi8, strided<[96, 1], offset: ?>>
// CHECK: memref.copy %[[S]], %[[D]]
// CHECK-NOT: linalg.copy
// LLVM-LABEL: llvm.func @window_rows
// LLVM: "llvm.intr.memcpy"
func.func @window_rows(%in: memref<1x?x36x96xi8, strided<[124416, 3456, 96, 1], offset: ?>>, %win: memref<1x3x38x96xi8>, %n: index) {
  %dst = memref.subview %win[0, 0, 1, 0] [1, %n, 36, 96] [1, 1, 1, 1] : memref<1x3x38x96xi8> to memref<1x?x36x96xi8, strided<[10944, 3648, 96, 1], offset: 96>>
  memref.copy %in, %dst : memref<1x?x36x96xi8, strided<[124416, 3456, 96, 1], offset: ?>> to memref<1x?x36x96xi8, strided<[10944, 3648, 96, 1], offset: 96>>
  return
}

// Contiguous but not identity-laid-out buffers: one run, left as it is.
// CHECK-LABEL: func @one_run
// CHECK-NEXT: memref.copy %{{.*}}, %{{.*}} : memref<4x8xf32, strided<[8, 1], offset: 16>> to memref<4x8xf32, strided<[8, 1], offset: ?>>
// LLVM-LABEL: llvm.func @one_run
// LLVM: "llvm.intr.memcpy"
func.func @one_run(%a: memref<4x8xf32, strided<[8, 1], offset: 16>>, %b: memref<4x8xf32, strided<[8, 1], offset: ?>>) {
  memref.copy %a, %b : memref<4x8xf32, strided<[8, 1], offset: 16>> to memref<4x8xf32, strided<[8, 1], offset: ?>>
  return
}
