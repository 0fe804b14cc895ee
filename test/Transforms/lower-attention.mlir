// RUN: sieve-opt %s -split-input-file -sieve-lower-attention="block-q=128 block-k=128" | FileCheck %s

// Flash lowering at L = 4096: a sieve.parallel forall over (heads, query
// blocks) whose only buffers are tiles (the transposed query block, one
// 128 x 128 score tile, the accumulator, three vectors); no 4096 x 4096
// tensor or buffer anywhere. Causal: the key loop stops at the last block the
// query block can see.
// CHECK-LABEL: func @flash
// CHECK-NOT: 4096x4096
// CHECK: %[[R:.*]] = scf.forall (%[[BH:.*]], %[[QB:.*]]) in (8, 32) shared_outs
// CHECK-DAG: memref.alloc() : memref<64x128xf32>
// CHECK-DAG: memref.alloc() : memref<128x128xf32>
// CHECK-DAG: memref.alloc() : memref<128x64xf32>
// CHECK: %[[END:.*]] = arith.maxsi
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[END]] step %{{.*}} {
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: math.exp {{.*}} : vector<16xf32>
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: tensor.parallel_insert_slice
// CHECK: } {sieve.parallel}
// CHECK-NOT: 4096x4096
// CHECK: return %[[R]]
func.func @flash(%q: tensor<8x4096x64xf32>, %k: tensor<8x4096x64xf32>, %v: tensor<8x4096x64xf32>) -> tensor<8x4096x64xf32> {
  %o = attn.attention %q, %k, %v {scale = 0.125 : f32, causal} : tensor<8x4096x64xf32>, tensor<8x4096x64xf32>, tensor<8x4096x64xf32> -> tensor<8x4096x64xf32>
  return %o : tensor<8x4096x64xf32>
}

// -----

// Grouped KV heads: query head bh reads KV head bh / 4; rank 4 is collapsed.
// CHECK-LABEL: func @grouped
// CHECK: tensor.collapse_shape
// CHECK: scf.forall (%[[BH:.*]], %{{.*}}) in (8, 1)
// CHECK: %[[KV:.*]] = arith.divui %[[BH]], %c4
// CHECK: tensor.extract %{{.*}}[%[[KV]],
// CHECK: tensor.expand_shape
func.func @grouped(%q: tensor<1x8x64x32xf32>, %k: tensor<1x2x64x32xf32>, %v: tensor<1x2x64x32xf32>) -> tensor<1x8x64x32xf32> {
  %o = attn.attention %q, %k, %v {scale = 0.125 : f32} : tensor<1x8x64x32xf32>, tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32> -> tensor<1x8x64x32xf32>
  return %o : tensor<1x8x64x32xf32>
}

// -----

// LogSparse at L = 1024: one forall over (heads, row chunks); per row one dot
// product per offset (0, 1, 2, 4, ..., 512: 11 offsets), the scores packed in
// one vector for the softmax; no scratch at all.
// CHECK-LABEL: func @logsparse
// CHECK-NOT: memref.alloc
// CHECK-NOT: 1024x1024
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (8, 8)
// CHECK: arith.constant dense<[0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 2147483647]> : vector<12xi64>
// CHECK-COUNT-11: vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK: vector.from_elements {{.*}} : vector<12xf32>
// The row max by compares and selects (a max reduction would call libm's
// fmaxf on Cortex-M4):
// CHECK-COUNT-12: arith.cmpf ogt
// CHECK-NOT: vector.reduction <maxnumf>
// CHECK: math.exp {{.*}} : vector<12xf32>
// CHECK: } {sieve.parallel}
// CHECK-NOT: memref.alloc
func.func @logsparse(%q: tensor<8x1024x64xf32>, %k: tensor<8x1024x64xf32>, %v: tensor<8x1024x64xf32>) -> tensor<8x1024x64xf32> {
  %o = attn.sparse_attention %q, %k, %v {scale = 0.125 : f32, pattern = #attn.logsparse} : tensor<8x1024x64xf32>, tensor<8x1024x64xf32>, tensor<8x1024x64xf32> -> tensor<8x1024x64xf32>
  return %o : tensor<8x1024x64xf32>
}
