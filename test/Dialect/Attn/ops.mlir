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

// -----

// Grouped KV heads (12 query heads, 2 KV heads) and an additive padding mask
// broadcast over heads and queries, as the exported transformer layer has.
// CHECK-LABEL: func @grouped_masked
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {scale = {{.*}}} : tensor<1x12x40x128xf32>, tensor<1x2x40x128xf32>, tensor<1x2x40x128xf32>, tensor<1x1x1x40xf32> -> tensor<1x12x40x128xf32>
func.func @grouped_masked(%q: tensor<1x12x40x128xf32>, %k: tensor<1x2x40x128xf32>, %v: tensor<1x2x40x128xf32>, %m: tensor<1x1x1x40xf32>) -> tensor<1x12x40x128xf32> {
  %o = attn.attention %q, %k, %v mask %m {scale = 0.0883883461 : f32} : tensor<1x12x40x128xf32>, tensor<1x2x40x128xf32>, tensor<1x2x40x128xf32>, tensor<1x1x1x40xf32> -> tensor<1x12x40x128xf32>
  return %o : tensor<1x12x40x128xf32>
}

// -----

// Heads after the length; a boolean mask combined with causal.
// CHECK-LABEL: func @blhd_bool
// CHECK: attn.attention {{.*}} mask %{{.*}} {causal, layout = #attn.layout<blhd>, scale = 1.250000e-01 : f32} : {{.*}}, tensor<1x8x40x40xi1> -> tensor<1x40x8x64xf32>
func.func @blhd_bool(%q: tensor<1x40x8x64xf32>, %m: tensor<1x8x40x40xi1>) -> tensor<1x40x8x64xf32> {
  %o = attn.attention %q, %q, %q mask %m {scale = 0.125 : f32, causal, layout = #attn.layout<blhd>} : tensor<1x40x8x64xf32>, tensor<1x40x8x64xf32>, tensor<1x40x8x64xf32>, tensor<1x8x40x40xi1> -> tensor<1x40x8x64xf32>
  return %o : tensor<1x40x8x64xf32>
}

// -----

// The default layout is not printed.
// CHECK-LABEL: func @default_layout
// CHECK: attn.attention
// CHECK-NOT: layout
// CHECK: return
func.func @default_layout(%q: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %o = attn.attention %q, %q, %q {scale = 1.0 : f32, layout = #attn.layout<bhld>} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32> -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

// Every sparse pattern.
// CHECK-LABEL: func @patterns
// CHECK: pattern = #attn.logsparse,
// CHECK: pattern = #attn.logsparse<local = 4>
// CHECK: pattern = #attn.logsparse<restart = 16>
// CHECK: pattern = #attn.diagonals<[0, 3, 5]>
// CHECK: pattern = #attn.diagonals<window = 8>
// CHECK: pattern = #attn.diagonals<window = 3>
// CHECK: attn.sparse_attention {{.*}}layout = #attn.layout<blhd>{{.*}} : tensor<1x64x8x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32> -> tensor<1x64x8x16xf32>
func.func @patterns(%q: tensor<8x64x16xf32>, %q4: tensor<1x64x8x16xf32>, %k4: tensor<1x64x2x16xf32>) -> (tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<1x64x8x16xf32>) {
  %0 = attn.sparse_attention %q, %q, %q {scale = 0.25 : f32, pattern = #attn.logsparse} : tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32> -> tensor<8x64x16xf32>
  %1 = attn.sparse_attention %q, %q, %q {scale = 0.25 : f32, pattern = #attn.logsparse<local = 4>} : tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32> -> tensor<8x64x16xf32>
  %2 = attn.sparse_attention %q, %q, %q {scale = 0.25 : f32, pattern = #attn.logsparse<restart = 16>} : tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32> -> tensor<8x64x16xf32>
  %3 = attn.sparse_attention %q, %q, %q {scale = 0.25 : f32, pattern = #attn.diagonals<[0, 3, 5]>} : tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32> -> tensor<8x64x16xf32>
  %4 = attn.sparse_attention %q, %q, %q {scale = 0.25 : f32, pattern = #attn.diagonals<window = 8>} : tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32> -> tensor<8x64x16xf32>
  // An explicit list 0..W-1 is a window.
  %5 = attn.sparse_attention %q, %q, %q {scale = 0.25 : f32, pattern = #attn.diagonals<[0, 1, 2]>} : tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32> -> tensor<8x64x16xf32>
  %6 = attn.sparse_attention %q4, %k4, %k4 {scale = 0.25 : f32, pattern = #attn.logsparse, layout = #attn.layout<blhd>} : tensor<1x64x8x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32> -> tensor<1x64x8x16xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<1x64x8x16xf32>
}

// -----

// Decoding: 4 queries aligned with the last of 64 keys.
// CHECK-LABEL: func @sparse_decode
// CHECK: attn.sparse_attention {{.*}} -> tensor<2x4x16xf32>
func.func @sparse_decode(%q: tensor<2x4x16xf32>, %k: tensor<2x64x16xf32>) -> tensor<2x4x16xf32> {
  %o = attn.sparse_attention %q, %k, %k {scale = 0.25 : f32, pattern = #attn.logsparse} : tensor<2x4x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32> -> tensor<2x4x16xf32>
  return %o : tensor<2x4x16xf32>
}
