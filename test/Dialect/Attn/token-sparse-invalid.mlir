// RUN: sieve-opt %s -split-input-file -verify-diagnostics
// One case per verifier rule of the token-sparse attn ops.

func.func @scores_rank(%q: tensor<8x128x64xf32>) -> tensor<1x128xf32> {
  // expected-error @+1 {{query must have rank 4}}
  %s = attn.token_scores %q, %q {scale = 1.0 : f32, probe = 4} : tensor<8x128x64xf32>, tensor<8x128x64xf32> -> tensor<1x128xf32>
  return %s : tensor<1x128xf32>
}

// -----

func.func @scores_dynamic(%q: tensor<1x8x?x64xf32>) -> tensor<1x128xf32> {
  // expected-error @+1 {{query must have a static shape}}
  %s = attn.token_scores %q, %q {scale = 1.0 : f32, probe = 4} : tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32> -> tensor<1x128xf32>
  return %s : tensor<1x128xf32>
}

// -----

func.func @scores_scale(%q: tensor<1x8x128x64xf32>) -> tensor<1x128xf32> {
  // expected-error @+1 {{scale must be finite and non-zero}}
  %s = attn.token_scores %q, %q {scale = 0.0 : f32, probe = 4} : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32> -> tensor<1x128xf32>
  return %s : tensor<1x128xf32>
}

// -----

func.func @scores_batch(%q: tensor<1x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<1x128xf32> {
  // expected-error @+1 {{query and key batch sizes differ: 1 vs 2}}
  %s = attn.token_scores %q, %k {scale = 1.0 : f32, probe = 4} : tensor<1x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<1x128xf32>
  return %s : tensor<1x128xf32>
}

// -----

func.func @scores_heads(%q: tensor<1x8x128x64xf32>, %k: tensor<1x3x128x64xf32>) -> tensor<1x128xf32> {
  // expected-error @+1 {{query heads (8) must be a multiple of the key heads (3)}}
  %s = attn.token_scores %q, %k {scale = 1.0 : f32, probe = 4} : tensor<1x8x128x64xf32>, tensor<1x3x128x64xf32> -> tensor<1x128xf32>
  return %s : tensor<1x128xf32>
}

// -----

func.func @scores_depth(%q: tensor<1x8x128x64xf32>, %k: tensor<1x8x128x32xf32>) -> tensor<1x128xf32> {
  // expected-error @+1 {{query and key depths differ: 64 vs 32}}
  %s = attn.token_scores %q, %k {scale = 1.0 : f32, probe = 4} : tensor<1x8x128x64xf32>, tensor<1x8x128x32xf32> -> tensor<1x128xf32>
  return %s : tensor<1x128xf32>
}

// -----

func.func @scores_shape(%q: tensor<1x8x128x64xf32>) -> tensor<1x64xf32> {
  // expected-error @+1 {{scores must be [1, 128] (batch, keys)}}
  %s = attn.token_scores %q, %q {scale = 1.0 : f32, probe = 4} : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32> -> tensor<1x64xf32>
  return %s : tensor<1x64xf32>
}

// -----

func.func @probe_zero(%q: tensor<1x8x128x64xf32>) -> tensor<1x128xf32> {
  // expected-error @+1 {{probe must be between 1 and the 128 queries, got 0}}
  %s = attn.token_scores %q, %q {scale = 1.0 : f32, probe = 0} : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32> -> tensor<1x128xf32>
  return %s : tensor<1x128xf32>
}

// -----

func.func @probe_large(%q: tensor<1x8x128x64xf32>) -> tensor<1x128xf32> {
  // expected-error @+1 {{probe must be between 1 and the 128 queries, got 129}}
  %s = attn.token_scores %q, %q {scale = 1.0 : f32, probe = 129} : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32> -> tensor<1x128xf32>
  return %s : tensor<1x128xf32>
}

// -----

func.func @stride(%q: tensor<1x8x128x64xf32>) -> tensor<1x128xf32> {
  // expected-error @+1 {{stride must be >= 0, got -2}}
  %s = attn.token_scores %q, %q {scale = 1.0 : f32, probe = 4, stride = -2} : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32> -> tensor<1x128xf32>
  return %s : tensor<1x128xf32>
}

// -----

func.func @scores_causal(%q: tensor<1x8x128x64xf32>, %k: tensor<1x8x64x64xf32>) -> tensor<1x64xf32> {
  // expected-error @+1 {{causal scores need at least as many keys as queries, got 128 queries and 64 keys}}
  %s = attn.token_scores %q, %k {scale = 1.0 : f32, probe = 4, causal} : tensor<1x8x128x64xf32>, tensor<1x8x64x64xf32> -> tensor<1x64xf32>
  return %s : tensor<1x64xf32>
}

// -----

func.func @select_rank(%s: tensor<128xf32>) -> tensor<1xi32> {
  // expected-error @+1 {{scores must have rank 2}}
  %i, %n = attn.select_tokens %s {tau = 0.9 : f32} : tensor<128xf32> -> tensor<1x128xi32>, tensor<1xi32>
  return %n : tensor<1xi32>
}

// -----

func.func @select_indices(%s: tensor<1x128xf32>) -> tensor<1xi32> {
  // expected-error @+1 {{indices must be [1, 128] (batch, length)}}
  %i, %n = attn.select_tokens %s {tau = 0.9 : f32} : tensor<1x128xf32> -> tensor<1x64xi32>, tensor<1xi32>
  return %n : tensor<1xi32>
}

// -----

func.func @select_count(%s: tensor<1x128xf32>) -> tensor<2xi32> {
  // expected-error @+1 {{count must be [1] (batch)}}
  %i, %n = attn.select_tokens %s {tau = 0.9 : f32} : tensor<1x128xf32> -> tensor<1x128xi32>, tensor<2xi32>
  return %n : tensor<2xi32>
}

// -----

func.func @tau_zero(%s: tensor<1x128xf32>) -> tensor<1xi32> {
  // expected-error @+1 {{tau must be in (0, 1], got 0}}
  %i, %n = attn.select_tokens %s {tau = 0.0 : f32} : tensor<1x128xf32> -> tensor<1x128xi32>, tensor<1xi32>
  return %n : tensor<1xi32>
}

// -----

func.func @tau_large(%s: tensor<1x128xf32>) -> tensor<1xi32> {
  // expected-error @+1 {{tau must be in (0, 1], got 1.5}}
  %i, %n = attn.select_tokens %s {tau = 1.5 : f32} : tensor<1x128xf32> -> tensor<1x128xi32>, tensor<1xi32>
  return %n : tensor<1xi32>
}

// -----

func.func @sinks_negative(%s: tensor<1x128xf32>) -> tensor<1xi32> {
  // expected-error @+1 {{sinks and recent must be >= 0, got -1 and 0}}
  %i, %n = attn.select_tokens %s {tau = 0.9 : f32, sinks = -1} : tensor<1x128xf32> -> tensor<1x128xi32>, tensor<1xi32>
  return %n : tensor<1xi32>
}

// -----

func.func @sinks_recent(%s: tensor<1x128xf32>) -> tensor<1xi32> {
  // expected-error @+1 {{sinks + recent (64 + 65) exceed the 128 tokens}}
  %i, %n = attn.select_tokens %s {tau = 0.9 : f32, sinks = 64, recent = 65} : tensor<1x128xf32> -> tensor<1x128xi32>, tensor<1xi32>
  return %n : tensor<1xi32>
}

// -----

func.func @gather_rank(%x: tensor<8x128x64xf32>, %i: tensor<1x128xi32>, %n: tensor<1xi32>) -> tensor<8x128x64xf32> {
  // expected-error @+1 {{source must have rank 4}}
  %g = attn.gather_tokens %x, %i, %n : tensor<8x128x64xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<8x128x64xf32>
  return %g : tensor<8x128x64xf32>
}

// -----

func.func @gather_indices(%x: tensor<1x8x128x64xf32>, %i: tensor<1x64xi32>, %n: tensor<1xi32>) -> tensor<1x8x128x64xf32> {
  // expected-error @+1 {{indices must be [1, 128] (batch, length)}}
  %g = attn.gather_tokens %x, %i, %n : tensor<1x8x128x64xf32>, tensor<1x64xi32>, tensor<1xi32> -> tensor<1x8x128x64xf32>
  return %g : tensor<1x8x128x64xf32>
}

// -----

func.func @gather_result(%x: tensor<1x8x128x64xf32>, %i: tensor<1x128xi32>, %n: tensor<1xi32>) -> tensor<1x8x64x64xf32> {
  // expected-error @+1 {{result must have the source type}}
  %g = attn.gather_tokens %x, %i, %n : tensor<1x8x128x64xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<1x8x64x64xf32>
  return %g : tensor<1x8x64x64xf32>
}

// -----

func.func @scatter_count(%x: tensor<1x8x128x64xf32>, %i: tensor<1x128xi32>, %n: tensor<2xi32>) -> tensor<1x8x128x64xf32> {
  // expected-error @+1 {{count must be [1] (batch)}}
  %g = attn.scatter_tokens %x, %i, %n : tensor<1x8x128x64xf32>, tensor<1x128xi32>, tensor<2xi32> -> tensor<1x8x128x64xf32>
  return %g : tensor<1x8x128x64xf32>
}

// -----

func.func @kept_length(%q: tensor<1x8x128x64xf32>, %k: tensor<1x8x64x64xf32>, %n: tensor<1xi32>) -> tensor<1x8x128x64xf32> {
  // expected-error @+1 {{query, key and value must have one length (the tokens gathered), got 128, 64 and 64}}
  %o = attn.kept_attention %q, %k, %k, %n {scale = 1.0 : f32} : tensor<1x8x128x64xf32>, tensor<1x8x64x64xf32>, tensor<1x8x64x64xf32>, tensor<1xi32> -> tensor<1x8x128x64xf32>
  return %o : tensor<1x8x128x64xf32>
}

// -----

func.func @kept_value(%q: tensor<1x8x128x64xf32>, %v: tensor<1x4x128x64xf32>, %n: tensor<1xi32>) -> tensor<1x8x128x64xf32> {
  // expected-error @+1 {{value must have the key's batch and heads}}
  %o = attn.kept_attention %q, %q, %v, %n {scale = 1.0 : f32} : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>, tensor<1x4x128x64xf32>, tensor<1xi32> -> tensor<1x8x128x64xf32>
  return %o : tensor<1x8x128x64xf32>
}

// -----

func.func @kept_result(%q: tensor<1x8x128x64xf32>, %n: tensor<1xi32>) -> tensor<1x8x128x32xf32> {
  // expected-error @+1 {{result must be [1, 8, 128, 64]}}
  %o = attn.kept_attention %q, %q, %q, %n {scale = 1.0 : f32} : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>, tensor<1xi32> -> tensor<1x8x128x32xf32>
  return %o : tensor<1x8x128x32xf32>
}

// -----

func.func @kept_count(%q: tensor<1x8x128x64xf32>, %n: tensor<1x1xi32>) -> tensor<1x8x128x64xf32> {
  // expected-error @+1 {{count must have rank 1}}
  %o = attn.kept_attention %q, %q, %q, %n {scale = 1.0 : f32} : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>, tensor<1x1xi32> -> tensor<1x8x128x64xf32>
  return %o : tensor<1x8x128x64xf32>
}
