// RUN: sieve-opt %s -sieve-lower-token-sparse | FileCheck %s
// The KV-cache ops' lowering: a run-time check that the cache has room (the
// entry point's status), the cached rows copied up to the count only, the
// new row written only when there is room, and decode attention bounded by
// the count.

// An append read by one decode attention is lowered with it: the append
// writes the new row only, the attention copies each cached row as it reads
// it (first head of the KV head's group), then takes the new row if there
// was room.
// CHECK-LABEL: func @decode
// CHECK: arith.cmpi slt, %{{.*}}, %c16
// CHECK: cf.assert %{{.*}}, "attn.cache_append: the KV cache is full (16 tokens)"
// CHECK: scf.forall
// CHECK-NOT: scf.for
// CHECK:   scf.if
// CHECK:     vector.transfer_write
// CHECK:     vector.transfer_write
// CHECK: } {sieve.parallel}
// CHECK: scf.forall
// CHECK:   %[[M:.*]] = arith.maxsi
// CHECK:   scf.for %{{.*}} = %{{.*}} to %[[M]]
// CHECK:     scf.if
// CHECK:       vector.transfer_write
// CHECK:     vector.reduction <add>
// CHECK:   scf.if %{{.*}} -> (f32)
// CHECK:   scf.for %{{.*}} = %{{.*}} to %[[M]]
// CHECK:     scf.if
// CHECK:       vector.transfer_write
// CHECK:     math.exp
// CHECK:     vector.fma
// CHECK:   scf.if %{{.*}} -> (f32, vector<8xf32>)
// CHECK: } {sieve.parallel}
func.func @decode(%q: tensor<1x4x1x8xf32>, %k1: tensor<1x2x1x8xf32>,
                  %v1: tensor<1x2x1x8xf32>, %kc: tensor<1x2x16x8xf32>,
                  %vc: tensor<1x2x16x8xf32>, %n: tensor<1xi32>)
    -> (tensor<1x4x1x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1xi32>) {
  %kc2, %vc2, %n2 = attn.cache_append %kc, %vc, %n, %k1, %v1
      : tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1xi32>,
        tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>
      -> tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1xi32>
  %o = attn.cache_attention %q, %kc2, %vc2, %n2 {scale = 0.35 : f32}
      : tensor<1x4x1x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>,
        tensor<1xi32> -> tensor<1x4x1x8xf32>
  return %o, %kc2, %vc2, %n2 : tensor<1x4x1x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1xi32>
}

// CHECK-LABEL: func @prefill
// CHECK: memref.alloc() : memref<1x2x24x8xf32>
// CHECK: scf.forall
// CHECK: } {sieve.parallel}
func.func @prefill(%k: tensor<1x2x16x8xf32>, %i: tensor<1x16xi32>, %n: tensor<1xi32>)
    -> tensor<1x2x24x8xf32> {
  %c = attn.cache_compact %k, %i, %n
      : tensor<1x2x16x8xf32>, tensor<1x16xi32>, tensor<1xi32> -> tensor<1x2x24x8xf32>
  return %c : tensor<1x2x24x8xf32>
}

// Without an attention reading it, the append copies the cached rows up to
// the count, then writes the new row if there is room.
// CHECK-LABEL: func @append_only
// CHECK: cf.assert
// CHECK: scf.forall
// CHECK:   %[[N:.*]] = arith.maxsi
// CHECK:   scf.for %{{.*}} = %{{.*}} to %[[N]]
// CHECK:   %[[FREE:.*]] = arith.cmpi slt, %[[N]], %{{.*}}
// CHECK:   scf.if %[[FREE]]
// CHECK: } {sieve.parallel}
func.func @append_only(%k1: tensor<1x2x1x8xf32>, %v1: tensor<1x2x1x8xf32>,
                       %kc: tensor<1x2x16x8xf32>, %vc: tensor<1x2x16x8xf32>,
                       %n: tensor<1xi32>)
    -> (tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1xi32>) {
  %kc2, %vc2, %n2 = attn.cache_append %kc, %vc, %n, %k1, %v1
      : tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1xi32>,
        tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>
      -> tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1xi32>
  return %kc2, %vc2, %n2 : tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1xi32>
}
