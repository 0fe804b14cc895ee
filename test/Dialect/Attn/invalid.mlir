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

func.func @batch(%q: tensor<2x1x4x8xf32>, %k: tensor<3x1x4x8xf32>) -> tensor<2x1x4x8xf32> {
  // expected-error @+1 {{batch dimension 0 differs between operands}}
  %o = attn.attention %q, %k, %k {scale = 1.0 : f32} : tensor<2x1x4x8xf32>, tensor<3x1x4x8xf32>, tensor<3x1x4x8xf32> -> tensor<2x1x4x8xf32>
  return %o : tensor<2x1x4x8xf32>
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
  // expected-error @+1 {{result must be the query shape with the value depth, 'tensor<4x2xf32>', got 'tensor<4x8xf32>'}}
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

// -----

func.func @grouped_heads(%q: tensor<1x12x40x8xf32>, %k: tensor<1x5x40x8xf32>) -> tensor<1x12x40x8xf32> {
  // expected-error @+1 {{query heads (dim 1, 12) must be a multiple of the key/value heads (5)}}
  %o = attn.attention %q, %k, %k {scale = 1.0 : f32} : tensor<1x12x40x8xf32>, tensor<1x5x40x8xf32>, tensor<1x5x40x8xf32> -> tensor<1x12x40x8xf32>
  return %o : tensor<1x12x40x8xf32>
}

// -----

func.func @kv_heads(%q: tensor<1x12x40x8xf32>, %k: tensor<1x2x40x8xf32>, %v: tensor<1x3x40x8xf32>) -> tensor<1x12x40x8xf32> {
  // expected-error @+1 {{key and value head counts (dim 1) differ: 2 vs 3}}
  %o = attn.attention %q, %k, %v {scale = 1.0 : f32} : tensor<1x12x40x8xf32>, tensor<1x2x40x8xf32>, tensor<1x3x40x8xf32> -> tensor<1x12x40x8xf32>
  return %o : tensor<1x12x40x8xf32>
}

// -----

// In blhd the heads are dim rank-2: 40 is the length, 12 vs 5 the heads.
func.func @grouped_heads_blhd(%q: tensor<1x40x12x8xf32>, %k: tensor<1x40x5x8xf32>) -> tensor<1x40x12x8xf32> {
  // expected-error @+1 {{query heads (dim 2, 12) must be a multiple of the key/value heads (5)}}
  %o = attn.attention %q, %k, %k {scale = 1.0 : f32, layout = #attn.layout<blhd>} : tensor<1x40x12x8xf32>, tensor<1x40x5x8xf32>, tensor<1x40x5x8xf32> -> tensor<1x40x12x8xf32>
  return %o : tensor<1x40x12x8xf32>
}

// -----

func.func @blhd_rank(%q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{layout blhd needs rank >= 3}}
  %o = attn.attention %q, %q, %q {scale = 1.0 : f32, layout = #attn.layout<blhd>} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @mask_shape(%q: tensor<2x4x8xf32>, %m: tensor<2x4x5xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{mask must be shaped like the scores 'tensor<2x4x4xf32>' (or 1 in a dim to broadcast), got 'tensor<2x4x5xf32>'}}
  %o = attn.attention %q, %q, %q mask %m {scale = 1.0 : f32} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x5xf32> -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

// The scores of blhd operands are [B, H, Lq, Lk] = [1, 3, 4, 4].
func.func @mask_shape_blhd(%q: tensor<1x4x3x8xf32>, %m: tensor<1x4x3x4xf32>) -> tensor<1x4x3x8xf32> {
  // expected-error @+1 {{mask must be shaped like the scores 'tensor<1x3x4x4xf32>'}}
  %o = attn.attention %q, %q, %q mask %m {scale = 1.0 : f32, layout = #attn.layout<blhd>} : tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>, tensor<1x4x3x4xf32> -> tensor<1x4x3x8xf32>
  return %o : tensor<1x4x3x8xf32>
}

// -----

func.func @mask_rank(%q: tensor<2x4x8xf32>, %m: tensor<4x4xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{mask must have the rank of the scores}}
  %o = attn.attention %q, %q, %q mask %m {scale = 1.0 : f32} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x4xf32> -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @mask_type(%q: tensor<4x8xf32>, %m: tensor<4x4xf16>) -> tensor<4x8xf32> {
  // expected-error @+1 {{mask must be i1 (true = keep) or 'f32' (added to the scores), got 'f16'}}
  %o = attn.attention %q, %q, %q mask %m {scale = 1.0 : f32} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x4xf16> -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @sparse_lengths(%q: tensor<8x4xf32>, %k: tensor<2x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{sparse attention aligns queries with the last keys and needs at least as many keys as queries, got 8 queries and 2 keys}}
  %o = attn.sparse_attention %q, %k, %k {scale = 1.0 : f32, pattern = #attn.logsparse} : tensor<8x4xf32>, tensor<2x4xf32>, tensor<2x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @sparse_local_window(%q: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{local window 9 is larger than the 8 keys}}
  %o = attn.sparse_attention %q, %q, %q {scale = 1.0 : f32, pattern = #attn.logsparse<local = 9>} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @sparse_restart(%q: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{restart length 16 is larger than the 8 keys}}
  %o = attn.sparse_attention %q, %q, %q {scale = 1.0 : f32, pattern = #attn.logsparse<restart = 16>} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @sparse_offset(%q: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{diagonal offset 8 reaches past the 8 keys}}
  %o = attn.sparse_attention %q, %q, %q {scale = 1.0 : f32, pattern = #attn.diagonals<[0, 8]>} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @sparse_shapes(%q: tensor<1x6x8x4xf32>, %k: tensor<1x4x8x4xf32>) -> tensor<1x6x8x4xf32> {
  // expected-error @+1 {{query heads (dim 1, 6) must be a multiple of the key/value heads (4)}}
  %o = attn.sparse_attention %q, %k, %k {scale = 1.0 : f32, pattern = #attn.logsparse} : tensor<1x6x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x6x8x4xf32>
  return %o : tensor<1x6x8x4xf32>
}

// -----

func.func @sparse_scale(%q: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{scale must be finite and non-zero, got 0}}
  %o = attn.sparse_attention %q, %q, %q {scale = 0.0 : f32, pattern = #attn.logsparse} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @sparse_pattern(%q: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{attribute 'pattern' failed to satisfy constraint}}
  %o = attn.sparse_attention %q, %q, %q {scale = 1.0 : f32, pattern = 3 : i64} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @offsets_order(%q: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{diagonal offsets must be strictly increasing, got 3 then 1}}
  %o = attn.sparse_attention %q, %q, %q {scale = 1.0 : f32, pattern = #attn.diagonals<[0, 3, 1]>} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @offsets_negative(%q: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{diagonal offsets must be >= 0, got -1}}
  %o = attn.sparse_attention %q, %q, %q {scale = 1.0 : f32, pattern = #attn.diagonals<[-1, 3]>} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @offsets_empty(%q: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{the set of diagonal offsets must not be empty}}
  %o = attn.sparse_attention %q, %q, %q {scale = 1.0 : f32, pattern = #attn.diagonals<[]>} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @window_zero(%q: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{the window must be >= 1, got 0}}
  %o = attn.sparse_attention %q, %q, %q {scale = 1.0 : f32, pattern = #attn.diagonals<window = 0>} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @local_zero(%q: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{the local window must be >= 1, got 0}}
  %o = attn.sparse_attention %q, %q, %q {scale = 1.0 : f32, pattern = #attn.logsparse<local = 0>} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @variant_name(%q: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{expected 'local' or 'restart', got 'window'}}
  %o = attn.sparse_attention %q, %q, %q {scale = 1.0 : f32, pattern = #attn.logsparse<window = 2>} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}
