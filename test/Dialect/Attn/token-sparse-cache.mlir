// RUN: sieve-opt %s | sieve-opt | FileCheck %s
// Round trip of the KV-cache ops of the token-sparse decode form
// (docs/token-sparse.md, "Decode").

// CHECK-LABEL: func @prefill_cache
// CHECK: attn.cache_compact %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x2x128x64xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<1x2x160x64xf32>
func.func @prefill_cache(%k: tensor<1x2x128x64xf32>, %idx: tensor<1x128xi32>,
                         %n: tensor<1xi32>) -> tensor<1x2x160x64xf32> {
  %c = attn.cache_compact %k, %idx, %n
      : tensor<1x2x128x64xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<1x2x160x64xf32>
  return %c : tensor<1x2x160x64xf32>
}

// CHECK-LABEL: func @decode
// CHECK: %[[K:[a-z0-9_]+]], %[[V:[a-z0-9_]+]], %[[N:[a-z0-9_]+]] = attn.cache_append %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x2x160x64xf32>, tensor<1x2x160x32xf32>, tensor<1xi32>, tensor<1x2x1x64xf32>, tensor<1x2x1x32xf32> -> tensor<1x2x160x64xf32>, tensor<1x2x160x32xf32>, tensor<1xi32>
// CHECK: attn.cache_attention %{{.*}}, %[[K]], %[[V]], %[[N]] {scale = 1.250000e-01 : f32} : tensor<1x8x1x64xf32>, tensor<1x2x160x64xf32>, tensor<1x2x160x32xf32>, tensor<1xi32> -> tensor<1x8x1x32xf32>
func.func @decode(%q: tensor<1x8x1x64xf32>, %k1: tensor<1x2x1x64xf32>,
                  %v1: tensor<1x2x1x32xf32>, %kc: tensor<1x2x160x64xf32>,
                  %vc: tensor<1x2x160x32xf32>, %n: tensor<1xi32>)
    -> (tensor<1x8x1x32xf32>, tensor<1x2x160x64xf32>, tensor<1x2x160x32xf32>, tensor<1xi32>) {
  %kc2, %vc2, %n2 = attn.cache_append %kc, %vc, %n, %k1, %v1
      : tensor<1x2x160x64xf32>, tensor<1x2x160x32xf32>, tensor<1xi32>,
        tensor<1x2x1x64xf32>, tensor<1x2x1x32xf32>
      -> tensor<1x2x160x64xf32>, tensor<1x2x160x32xf32>, tensor<1xi32>
  %o = attn.cache_attention %q, %kc2, %vc2, %n2 {scale = 0.125 : f32}
      : tensor<1x8x1x64xf32>, tensor<1x2x160x64xf32>, tensor<1x2x160x32xf32>,
        tensor<1xi32> -> tensor<1x8x1x32xf32>
  return %o, %kc2, %vc2, %n2 : tensor<1x8x1x32xf32>, tensor<1x2x160x64xf32>, tensor<1x2x160x32xf32>, tensor<1xi32>
}
