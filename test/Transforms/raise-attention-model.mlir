// RUN: sieve-opt %models/transformer_layer_tosa.mlir -sieve-raise-attention | FileCheck %s
// The decoder layer exported from PyTorch (sequence 40, 12 query heads, 2 KV
// heads broadcast by reshape/add-zeros/reshape, a padding mask computed from
// an input) becomes one attention. The heads' transposes before and after it
// are absorbed into the blhd layout, the KV broadcast is undone, the mask
// stays an operand (it is not a constant).

// CHECK-LABEL: func.func @subgraph0
// CHECK: %[[Q:.*]] = tosa.reshape %{{.*}} : (tensor<1x40x1536xf32>, !tosa.shape<4>) -> tensor<1x40x12x128xf32>
// CHECK: %[[K:.*]] = tosa.reshape %{{.*}} : (tensor<1x40x256xf32>, !tosa.shape<4>) -> tensor<1x40x2x128xf32>
// CHECK: %[[V:.*]] = tosa.reshape %{{.*}} : (tensor<1x40x256xf32>, !tosa.shape<4>) -> tensor<1x40x2x128xf32>
// CHECK-NOT: tosa.transpose %[[Q]]
// CHECK: %[[M:.*]] = tosa.mul %{{.*}} -> tensor<1x1x1x40xf32>
// CHECK-NOT: tosa.matmul
// CHECK-NOT: tosa.reduce_max
// CHECK-NOT: tosa.exp
// CHECK: %[[O:.*]] = attn.attention %[[Q]], %[[K]], %[[V]] mask %[[M]] {layout = #attn.layout<blhd>, scale = 0.0883883461 : f32} : tensor<1x40x12x128xf32>, tensor<1x40x2x128xf32>, tensor<1x40x2x128xf32>, tensor<1x1x1x40xf32> -> tensor<1x40x12x128xf32>
// CHECK-NOT: tosa.transpose %[[O]]
// CHECK: tosa.reshape %[[O]], %{{.*}} -> tensor<1x40x1536xf32>
// CHECK-NOT: attn.
// The projections and the FFN are not attention.
// CHECK-COUNT-4: linalg.matmul
// CHECK-NOT: attn.
