// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=x86-64-avx2 -sieve-lower-ternary=target=x86-64-avx2 | FileCheck %s

// maddubs reads one row per tile. A GEMV's tile (one token) reads it once,
// a sequential stream, and prefetches one line per 4 KiB before its blocks
// (lower.mlir); a GEMM's tiles of 4 tokens read their row again from L1 each
// and keep a prefetch per block, next to the block's load, of the same
// column 8 KiB further (here clamped to the last row, 7).
// CHECK-LABEL: func @gemm4
// CHECK: %[[B:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<8x256xi8> to memref<8x256xi8>
// CHECK-NOT: scf.if
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} : tensor<8x256xi8>, vector<32xi8>
// CHECK: %[[R:.*]] = arith.minui %{{.*}}, %c7{{.*}} : index
// CHECK-NEXT: memref.prefetch %[[B]][%[[R]], %{{.*}}], read, locality<3>, data : memref<8x256xi8>
// CHECK-COUNT-16: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
func.func @gemm4(%x: tensor<4x1024xi8>) -> tensor<4x8xi32> {
  %y = tern.matmul %x weights(dense<1> : tensor<8x1024xi8>) : tensor<4x1024xi8> -> tensor<4x8xi32>
  return %y : tensor<4x8xi32>
}
