// RUN: sieve-opt %s -split-input-file | sieve-opt | FileCheck %s
// Round trip of the token-sparse attn ops (docs/token-sparse.md).

// CHECK-LABEL: func @prefill
// CHECK: %[[S:.*]] = attn.token_scores %{{.*}}, %{{.*}} {causal, probe = 16 : i64, scale = 1.250000e-01 : f32, stride = 8 : i64} : tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32> -> tensor<1x128xf32>
// CHECK: %[[I:[a-z0-9_]+]], %[[N:[a-z0-9_]+]] = attn.select_tokens %[[S]] {recent = 16 : i64, sinks = 4 : i64, tau = 9.700000e-01 : f32} : tensor<1x128xf32> -> tensor<1x128xi32>, tensor<1xi32>
// CHECK: %[[Q:.*]] = attn.gather_tokens %{{.*}}, %[[I]], %[[N]] : tensor<1x8x128x64xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<1x8x128x64xf32>
// CHECK: %[[O:.*]] = attn.kept_attention %[[Q]], %{{.*}}, %{{.*}}, %[[N]] {causal, scale = 1.250000e-01 : f32} : tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x32xf32>, tensor<1xi32> -> tensor<1x8x128x32xf32>
// CHECK: attn.scatter_tokens %[[O]], %[[I]], %[[N]] : tensor<1x8x128x32xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<1x8x128x32xf32>
func.func @prefill(%q: tensor<1x8x128x64xf32>, %k: tensor<1x2x128x64xf32>,
                   %v: tensor<1x2x128x32xf32>) -> tensor<1x8x128x32xf32> {
  %s = attn.token_scores %q, %k {scale = 0.125 : f32, probe = 16, stride = 8, causal}
      : tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32> -> tensor<1x128xf32>
  %idx, %n = attn.select_tokens %s {tau = 0.97 : f32, sinks = 4, recent = 16}
      : tensor<1x128xf32> -> tensor<1x128xi32>, tensor<1xi32>
  %gq = attn.gather_tokens %q, %idx, %n
      : tensor<1x8x128x64xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<1x8x128x64xf32>
  %gk = attn.gather_tokens %k, %idx, %n
      : tensor<1x2x128x64xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<1x2x128x64xf32>
  %gv = attn.gather_tokens %v, %idx, %n
      : tensor<1x2x128x32xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<1x2x128x32xf32>
  %o = attn.kept_attention %gq, %gk, %gv, %n {scale = 0.125 : f32, causal}
      : tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x32xf32>,
        tensor<1xi32> -> tensor<1x8x128x32xf32>
  %r = attn.scatter_tokens %o, %idx, %n
      : tensor<1x8x128x32xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<1x8x128x32xf32>
  return %r : tensor<1x8x128x32xf32>
}

// -----

// Defaults: no stride, no sinks or recent window, not causal; decoding-like
// scores (fewer queries than keys).
// CHECK-LABEL: func @defaults
// CHECK: attn.token_scores %{{.*}}, %{{.*}} {probe = 4 : i64, scale = 5.000000e-01 : f32} : tensor<2x1x4x16xf32>, tensor<2x1x32x16xf32> -> tensor<2x32xf32>
// CHECK: attn.select_tokens %{{.*}} {tau = 1.000000e+00 : f32} : tensor<2x32xf32> -> tensor<2x32xi32>, tensor<2xi32>
func.func @defaults(%q: tensor<2x1x4x16xf32>, %k: tensor<2x1x32x16xf32>)
    -> (tensor<2x32xi32>, tensor<2xi32>) {
  %s = attn.token_scores %q, %k {scale = 0.5 : f32, probe = 4}
      : tensor<2x1x4x16xf32>, tensor<2x1x32x16xf32> -> tensor<2x32xf32>
  %idx, %n = attn.select_tokens %s {tau = 1.0 : f32}
      : tensor<2x32xf32> -> tensor<2x32xi32>, tensor<2xi32>
  return %idx, %n : tensor<2x32xi32>, tensor<2xi32>
}
