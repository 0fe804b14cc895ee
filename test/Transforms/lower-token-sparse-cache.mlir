// RUN: sieve-opt %s -sieve-lower-token-sparse | FileCheck %s
// The KV-cache ops' lowering: a run-time check that the cache has room (the
// entry point's status), the cached rows copied up to the count only, the
// new row written only when there is room, and decode attention bounded by
// the count.

// An append read by one decode attention is lowered with it: the append
// writes the new row only, the attention copies each cached row as it reads
// it (first head of the KV head's group), then takes the new row if there
// was room. The copies are skipped when the caller passes the same buffer
// as input and output cache (in place: the pointers compared at run time),
// and the new count is written after the last read of the old one (they
// may be the same buffer too).
// CHECK-LABEL: func @decode
// CHECK: arith.cmpi slt, %{{.*}}, %c16
// CHECK: cf.assert %{{.*}}, "attn.cache_append: the KV cache is full (16 tokens)"
// CHECK: %[[KIN:.*]] = memref.extract_aligned_pointer_as_index %[[KC:.*]] :
// CHECK: %[[KOUT:.*]] = memref.extract_aligned_pointer_as_index %[[KC2:.*]] :
// CHECK: %[[COPYK:.*]] = arith.cmpi ne, %[[KIN]], %[[KOUT]]
// CHECK: %[[VIN:.*]] = memref.extract_aligned_pointer_as_index %[[VC:.*]] :
// CHECK: %[[VOUT:.*]] = memref.extract_aligned_pointer_as_index %[[VC2:.*]] :
// CHECK: %[[COPYV:.*]] = arith.cmpi ne, %[[VIN]], %[[VOUT]]
// CHECK: scf.forall
// CHECK-NOT: scf.for
// CHECK:   scf.if
// CHECK:     vector.transfer_write
// CHECK:     vector.transfer_write
// CHECK: } {sieve.parallel}
// CHECK: scf.forall
// CHECK:   %[[M:.*]] = arith.maxsi
// CHECK:   %[[FIRST:.*]] = arith.andi
// CHECK:   %[[CK:.*]] = arith.andi %[[FIRST]], %[[COPYK]]
// CHECK:   %[[CV:.*]] = arith.andi %[[FIRST]], %[[COPYV]]
// CHECK:   scf.for %{{.*}} = %{{.*}} to %[[M]]
// CHECK:     vector.transfer_read %[[KC]]
// CHECK:     scf.if %[[CK]]
// CHECK:       vector.transfer_write %{{.*}}, %[[KC2]]
// CHECK:     vector.reduction <add>, %{{.*}} fastmath<reassoc>
// CHECK:   scf.if %{{.*}} -> (f32)
// CHECK:   scf.for %{{.*}} = %{{.*}} to %[[M]]
// CHECK:     vector.transfer_read %[[VC]]
// CHECK:     scf.if %[[CV]]
// CHECK:       vector.transfer_write %{{.*}}, %[[VC2]]
// CHECK:     math.exp
// CHECK:     vector.fma
// CHECK:   scf.if %{{.*}} -> (f32, vector<8xf32>)
// CHECK: } {sieve.parallel}
// CHECK: scf.for
// CHECK:   memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<1xi32>
// CHECK-NOT: memref.load %{{.*}} : memref<1xi32>
// CHECK: return
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
// the count (unless in place), then writes the new row if there is room.
// CHECK-LABEL: func @append_only
// CHECK: cf.assert
// CHECK: %[[COPYK:.*]] = arith.cmpi ne
// CHECK: %[[COPYV:.*]] = arith.cmpi ne
// CHECK: scf.forall
// CHECK:   %[[N:.*]] = arith.maxsi
// CHECK:   scf.if %[[COPYK]]
// CHECK:     scf.for %{{.*}} = %{{.*}} to %[[N]]
// CHECK:   scf.if %[[COPYV]]
// CHECK:     scf.for %{{.*}} = %{{.*}} to %[[N]]
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
