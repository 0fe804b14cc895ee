// RUN: sieve-opt %s -split-input-file | sieve-opt | FileCheck %s
// Round trip of the attn ops through the custom assembly.

// CHECK-LABEL: func @prefill
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {causal, scale = 1.250000e-01 : f32} : tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32> -> tensor<1x12x40x64xf32>
func.func @prefill(%q: tensor<1x12x40x64xf32>, %k: tensor<1x12x40x64xf32>, %v: tensor<1x12x40x64xf32>) -> tensor<1x12x40x64xf32> {
  %o = attn.attention %q, %k, %v {scale = 0.125 : f32, causal} : tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32> -> tensor<1x12x40x64xf32>
  return %o : tensor<1x12x40x64xf32>
}

// -----

// A decoding step: one query against a KV cache of 128, value depth 32.
// CHECK-LABEL: func @decode
// CHECK: attn.attention {{.*}} -> tensor<8x1x32xf16>
func.func @decode(%q: tensor<8x1x64xf16>, %k: tensor<8x128x64xf16>, %v: tensor<8x128x32xf16>) -> tensor<8x1x32xf16> {
  %o = attn.attention %q, %k, %v {scale = 0.125 : f32, causal} : tensor<8x1x64xf16>, tensor<8x128x64xf16>, tensor<8x128x32xf16> -> tensor<8x1x32xf16>
  return %o : tensor<8x1x32xf16>
}

// -----

// Dynamic sizes are checked at run time, not by the verifier.
// CHECK-LABEL: func @dynamic
// CHECK: attn.attention {{.*}} -> tensor<?x64xf32>
func.func @dynamic(%q: tensor<?x64xf32>, %k: tensor<?x64xf32>, %v: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %o = attn.attention %q, %k, %v {scale = 1.0 : f32} : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %o : tensor<?x64xf32>
}
