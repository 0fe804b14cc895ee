// RUN: sieve-opt %s -split-input-file -sieve-attn-token-sparse="tau=0.9 probe=8 stride=4 sinks=2 recent=3" 2>&1 | FileCheck %s
// RUN: sieve-opt %s -split-input-file -sieve-attn-token-sparse="probe=8" -sieve-lower-token-sparse | FileCheck %s --check-prefix=LOWER

// Rank 4, causal, grouped KV heads.
// CHECK: warning: token-sparse attention (ZipVL) changes the model: tau=0.9 keeps a run-time number of the 40 tokens (at most 40; at least 5); dropped queries give zeros
// CHECK-LABEL: func @prefill
// CHECK: %[[S:.*]] = attn.token_scores %arg0, %arg1 {causal, probe = 8 : i64, scale = 1.250000e-01 : f32, stride = 4 : i64} : tensor<1x4x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x40xf32>
// CHECK: %[[I:[a-z0-9_]+]], %[[N:[a-z0-9_]+]] = attn.select_tokens %[[S]] {recent = 3 : i64, sinks = 2 : i64, tau = 0.899999976 : f32}
// CHECK: %[[Q:[0-9]+]] = attn.gather_tokens %arg0, %[[I]], %[[N]]
// CHECK: %[[K:[0-9]+]] = attn.gather_tokens %arg1, %[[I]], %[[N]]
// CHECK: %[[V:[0-9]+]] = attn.gather_tokens %arg2, %[[I]], %[[N]]
// CHECK: %[[O:.*]] = attn.kept_attention %[[Q]], %[[K]], %[[V]], %[[N]] {attn.kept_min = 5 : i64, attn.token_sparse = "tau=0.9 probe=8 stride=4 sinks=2 recent=3", causal, scale = 1.250000e-01 : f32}
// CHECK: %[[R:.*]] = attn.scatter_tokens %[[O]], %[[I]], %[[N]]
// CHECK: return %[[R]]

// LOWER-LABEL: func @prefill
// LOWER-NOT: attn.
// LOWER: scf.forall {{.*}} {
// LOWER: vector.fma
// LOWER: } {sieve.parallel}
// LOWER: bufferization.to_tensor {{.*}} restrict writable
func.func @prefill(%q: tensor<1x4x40x16xf32>, %k: tensor<1x2x40x16xf32>,
                   %v: tensor<1x2x40x16xf32>) -> tensor<1x4x40x16xf32> {
  %o = attn.attention %q, %k, %v {scale = 0.125 : f32, causal}
      : tensor<1x4x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>
      -> tensor<1x4x40x16xf32>
  return %o : tensor<1x4x40x16xf32>
}

// -----

// Rank 3 is one batch; not causal.
// CHECK-LABEL: func @rank3
// CHECK: %[[Q:.*]] = tensor.expand_shape %arg0 {{\[\[}}0, 1], [2], [3]] output_shape [1, 2, 40, 8] : tensor<2x40x8xf32> into tensor<1x2x40x8xf32>
// CHECK: attn.token_scores {{.*}} {probe = 8 : i64, scale = 5.000000e-01 : f32, stride = 4 : i64}
// CHECK: attn.kept_attention {{.*}} {attn.kept_min = 5 : i64, attn.token_sparse = "tau=0.9 probe=8 stride=4 sinks=2 recent=3", scale = 5.000000e-01 : f32} : {{.*}} -> tensor<1x2x40x8xf32>
// CHECK: %[[R:.*]] = tensor.collapse_shape {{.*}} into tensor<2x40x8xf32>
// CHECK: return %[[R]]
func.func @rank3(%q: tensor<2x40x8xf32>) -> tensor<2x40x8xf32> {
  %o = attn.attention %q, %q, %q {scale = 0.5 : f32}
      : tensor<2x40x8xf32>, tensor<2x40x8xf32>, tensor<2x40x8xf32> -> tensor<2x40x8xf32>
  return %o : tensor<2x40x8xf32>
}

// -----

// RUN: sieve-opt %s -split-input-file -sieve-attn-token-sparse="probe=8 cache-capacity=48" 2>/dev/null | FileCheck %s --check-prefix=CACHE
// cache-capacity: each prefill attention's compacted key and value caches
// (the kept tokens' rows, grouped KV heads) and its kept count become
// results, after the model's own, named for the C header.
// CACHE-LABEL: func @two_layers
// CACHE-SAME: -> (tensor<1x4x40x16xf32>, tensor<1x2x48x16xf32>, tensor<1x2x48x16xf32>, tensor<1xi32>, tensor<1x2x48x16xf32>, tensor<1x2x48x16xf32>, tensor<1xi32>)
// CACHE-SAME: sieve.outputs = [{name = "out"}, {name = "key_cache0"}, {name = "value_cache0"}, {name = "kept0"}, {name = "key_cache1"}, {name = "value_cache1"}, {name = "kept1"}]
// CACHE: %[[I0:[a-z0-9_]+]], %[[N0:[a-z0-9_]+]] = attn.select_tokens
// CACHE: %[[KC0:.*]] = attn.cache_compact %arg1, %[[I0]], %[[N0]] : tensor<1x2x40x16xf32>, tensor<1x40xi32>, tensor<1xi32> -> tensor<1x2x48x16xf32>
// CACHE: %[[VC0:.*]] = attn.cache_compact %arg2, %[[I0]], %[[N0]]
// CACHE: %[[O0:.*]] = attn.scatter_tokens
// CACHE: %[[I1:[a-z0-9_]+]], %[[N1:[a-z0-9_]+]] = attn.select_tokens
// CACHE: %[[KC1:.*]] = attn.cache_compact %{{.*}}, %[[I1]], %[[N1]]
// CACHE: %[[VC1:.*]] = attn.cache_compact %arg2, %[[I1]], %[[N1]]
// CACHE: %[[O1:.*]] = attn.scatter_tokens
// CACHE: return %[[O1]], %[[KC0]], %[[VC0]], %[[N0]], %[[KC1]], %[[VC1]], %[[N1]]
func.func @two_layers(%q: tensor<1x4x40x16xf32>, %k: tensor<1x2x40x16xf32>,
                      %v: tensor<1x2x40x16xf32>) -> tensor<1x4x40x16xf32>
    attributes {sieve.outputs = [{name = "out"}]} {
  %o = attn.attention %q, %k, %v {scale = 0.125 : f32, causal}
      : tensor<1x4x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>
      -> tensor<1x4x40x16xf32>
  %k2 = tensor.extract_slice %o[0, 0, 0, 0] [1, 2, 40, 16] [1, 1, 1, 1]
      : tensor<1x4x40x16xf32> to tensor<1x2x40x16xf32>
  %o2 = attn.attention %o, %k2, %v {scale = 0.125 : f32}
      : tensor<1x4x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>
      -> tensor<1x4x40x16xf32>
  return %o2 : tensor<1x4x40x16xf32>
}
