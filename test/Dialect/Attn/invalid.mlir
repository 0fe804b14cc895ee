// RUN: sieve-opt %s -split-input-file -verify-diagnostics

func.func @rank_one(%q: tensor<64xf32>) -> tensor<64xf32> {
  // expected-error @+1 {{query must have rank >= 2}}
  %o = attn.attention %q, %q, %q {scale = 1.0 : f32} : tensor<64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<64xf32>
  return %o : tensor<64xf32>
}

// -----

func.func @rank_mismatch(%q: tensor<1x4x8xf32>, %k: tensor<4x8xf32>) -> tensor<1x4x8xf32> {
  // expected-error @+1 {{key must have the rank of the query (3), got 2}}
  %o = attn.attention %q, %k, %k {scale = 1.0 : f32} : tensor<1x4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8xf32>
  return %o : tensor<1x4x8xf32>
}

// -----

func.func @element_types(%q: tensor<4x8xf32>, %k: tensor<4x8xf16>) -> tensor<4x8xf32> {
  // expected-error @+1 {{must have one element type}}
  %o = attn.attention %q, %k, %k {scale = 1.0 : f32} : tensor<4x8xf32>, tensor<4x8xf16>, tensor<4x8xf16> -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @batch(%q: tensor<2x4x8xf32>, %k: tensor<3x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{batch dimension 0 differs between operands}}
  %o = attn.attention %q, %k, %k {scale = 1.0 : f32} : tensor<2x4x8xf32>, tensor<3x4x8xf32>, tensor<3x4x8xf32> -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @depth(%q: tensor<4x8xf32>, %k: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{query and key depths differ: 8 vs 16}}
  %o = attn.attention %q, %k, %k {scale = 1.0 : f32} : tensor<4x8xf32>, tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @lengths(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<5x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{key and value lengths differ: 6 vs 5}}
  %o = attn.attention %q, %k, %v {scale = 1.0 : f32} : tensor<4x8xf32>, tensor<6x8xf32>, tensor<5x8xf32> -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @result(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x2xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{result must be [batch..., query length, value depth] = [..., 4, 2]}}
  %o = attn.attention %q, %k, %v {scale = 1.0 : f32} : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x2xf32> -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @scale(%q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{scale must be finite and non-zero, got 0}}
  %o = attn.attention %q, %q, %q {scale = 0.0 : f32} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @causal_needs_keys(%q: tensor<8x4xf32>, %k: tensor<2x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{causal attention aligns queries with the last keys and needs at least as many keys as queries, got 8 queries and 2 keys}}
  %o = attn.attention %q, %k, %k {scale = 1.0 : f32, causal} : tensor<8x4xf32>, tensor<2x4xf32>, tensor<2x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @integer(%q: tensor<4x8xi8>) -> tensor<4x8xi8> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %o = attn.attention %q, %q, %q {scale = 1.0 : f32} : tensor<4x8xi8>, tensor<4x8xi8>, tensor<4x8xi8> -> tensor<4x8xi8>
  return %o : tensor<4x8xi8>
}
