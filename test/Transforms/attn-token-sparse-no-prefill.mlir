// RUN: sieve-opt %s -sieve-attn-token-sparse="cache-capacity=48" 2>&1 | FileCheck %s

// cache-capacity asks for each prefill attention's compacted caches: a
// function without one gets none, and a warning instead of silence.

// CHECK: warning: cache-capacity=48 adds no cache results: the function has no prefill attention (an attn.attention with as many queries as keys)
// CHECK-LABEL: func.func @no_attention
// CHECK-SAME: -> tensor<4xf32>
func.func @no_attention(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
