// RUN: sieve-opt %s -sieve-lower-attention="tile-cols=8 tile-rows=4 block-q=16 block-k=16" | FileCheck %s
// attn.kept_attention through the flash lowering, bounded by the run-time
// kept count: count[bh / heads] clamped into [0, L]; query blocks from the
// count on transpose no queries and visit no keys; the key loop stops at
// the count; rows from the count on are written as zeros.

// CHECK-LABEL: func @kept
// CHECK: scf.forall (%[[BH:.*]], %[[BLK:.*]]) in (8, 3)
// CHECK:   %[[QB:.*]] = arith.muli %[[BLK]], %c16
// CHECK:   %[[B:.*]] = arith.divui %[[BH]], %c4
// CHECK:   %[[C:.*]] = tensor.extract %{{.*}}[%[[B]]] : tensor<2xi32>
// CHECK:   %[[CI:.*]] = arith.index_cast %[[C]] : i32 to index
// CHECK:   %[[LO:.*]] = arith.minsi %[[CI]], %c40
// CHECK:   %[[N:.*]] = arith.maxsi %[[LO]], %c0
// CHECK:   %[[LIVE:.*]] = arith.cmpi slt, %[[QB]], %[[N]]
// CHECK:   %[[QROWS:.*]] = arith.select %[[LIVE]], %c16{{.*}}, %c0
// CHECK:   scf.for %{{.*}} = %c0 to %[[QROWS]]
// CHECK:   %[[END:.*]] = arith.minsi %{{.*}}, %[[N]]
// CHECK:   %[[KEND:.*]] = arith.select %[[LIVE]], %[[END]], %c0
// CHECK:   scf.for %{{.*}} = %c0 to %[[KEND]] step %c16
// CHECK:   arith.cmpi sge, %{{.*}}, %[[N]] : index
// CHECK:   arith.select %{{.*}}, %cst{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: } {sieve.parallel}
func.func @kept(%q: tensor<2x4x40x16xf32>, %k: tensor<2x2x40x16xf32>,
                %v: tensor<2x2x40x16xf32>, %n: tensor<2xi32>)
    -> tensor<2x4x40x16xf32> {
  %o = attn.kept_attention %q, %k, %v, %n {scale = 0.25 : f32, causal}
      : tensor<2x4x40x16xf32>, tensor<2x2x40x16xf32>, tensor<2x2x40x16xf32>,
        tensor<2xi32> -> tensor<2x4x40x16xf32>
  return %o : tensor<2x4x40x16xf32>
}
