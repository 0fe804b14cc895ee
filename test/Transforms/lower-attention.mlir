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
// The softmax's exp of x <= 0: 2^n from the bits of x log2(e) + 1.5 * 2^23.
// CHECK-NOT: math.exp
// CHECK: arith.constant dense<0x4B400000> : vector<16xf32>
// CHECK: arith.constant dense<1262485504> : vector<16xi32>
// CHECK: arith.shli {{.*}} : vector<16xi32>
// CHECK-NOT: math.exp
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

// -----

// Dv = 20, not a whole number of 16-lane vectors: one whole vector of V's
// row, then the 4 remaining columns read element by element into a vector
// (no out-of-bounds or masked transfer: Cortex-M cannot lower those), and
// written back element by element.
// CHECK-LABEL: func @value_tail
// CHECK-NOT: in_bounds = [false]
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true]} : tensor<2x40x20xf32>, vector<16xf32>
// CHECK-COUNT-4: tensor.extract %{{.*}} : tensor<2x40x20xf32>
// CHECK: vector.from_elements {{.*}} : vector<16xf32>
// CHECK: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<16xf32>, tensor<?x20xf32>
// CHECK-COUNT-4: tensor.insert
// CHECK-NOT: in_bounds = [false]
func.func @value_tail(%q: tensor<2x40x8xf32>, %k: tensor<2x40x8xf32>, %v: tensor<2x40x20xf32>) -> tensor<2x40x20xf32> {
  %o = attn.attention %q, %k, %v {scale = 0.125 : f32, causal} : tensor<2x40x8xf32>, tensor<2x40x8xf32>, tensor<2x40x20xf32> -> tensor<2x40x20xf32>
  return %o : tensor<2x40x20xf32>
}

// -----

// The diagonal-wise lowering with d = 5 and 16 lanes: each row is one
// partial vector, read element by element; the output row written the same
// way.
// CHECK-LABEL: func @sparse_tail
// CHECK-NOT: in_bounds = [false]
// CHECK-NOT: vector.transfer_read
// CHECK: vector.from_elements {{.*}} : vector<16xf32>
// CHECK-COUNT-5: tensor.insert
// CHECK-NOT: in_bounds = [false]
func.func @sparse_tail(%q: tensor<2x37x5xf32>, %k: tensor<2x37x5xf32>, %v: tensor<2x37x5xf32>) -> tensor<2x37x5xf32> {
  %o = attn.sparse_attention %q, %k, %v {scale = 0.5 : f32, pattern = #attn.logsparse} : tensor<2x37x5xf32>, tensor<2x37x5xf32>, tensor<2x37x5xf32> -> tensor<2x37x5xf32>
  return %o : tensor<2x37x5xf32>
}
