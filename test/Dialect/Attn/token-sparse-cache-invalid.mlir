// RUN: sieve-opt %s -split-input-file -verify-diagnostics
// One case per verifier rule of the KV-cache ops (token-sparse decode form).

func.func @compact_rank(%k: tensor<2x128x64xf32>, %i: tensor<1x128xi32>, %n: tensor<1xi32>) -> tensor<1x2x160x64xf32> {
  // expected-error @+1 {{source must have rank 4}}
  %c = attn.cache_compact %k, %i, %n : tensor<2x128x64xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<1x2x160x64xf32>
  return %c : tensor<1x2x160x64xf32>
}

// -----

func.func @compact_indices(%k: tensor<1x2x128x64xf32>, %i: tensor<1x64xi32>, %n: tensor<1xi32>) -> tensor<1x2x160x64xf32> {
  // expected-error @+1 {{indices must be [1, 128] (batch, length)}}
  %c = attn.cache_compact %k, %i, %n : tensor<1x2x128x64xf32>, tensor<1x64xi32>, tensor<1xi32> -> tensor<1x2x160x64xf32>
  return %c : tensor<1x2x160x64xf32>
}

// -----

func.func @compact_heads(%k: tensor<1x2x128x64xf32>, %i: tensor<1x128xi32>, %n: tensor<1xi32>) -> tensor<1x4x160x64xf32> {
  // expected-error @+1 {{result must have the source's batch, heads and depth (1, 2, 64)}}
  %c = attn.cache_compact %k, %i, %n : tensor<1x2x128x64xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<1x4x160x64xf32>
  return %c : tensor<1x4x160x64xf32>
}

// -----

func.func @compact_capacity(%k: tensor<1x2x128x64xf32>, %i: tensor<1x128xi32>, %n: tensor<1xi32>) -> tensor<1x2x100x64xf32> {
  // expected-error @+1 {{the cache capacity (100) must hold the 128 tokens of the source}}
  %c = attn.cache_compact %k, %i, %n : tensor<1x2x128x64xf32>, tensor<1x128xi32>, tensor<1xi32> -> tensor<1x2x100x64xf32>
  return %c : tensor<1x2x100x64xf32>
}

// -----

func.func @append_dynamic(%kc: tensor<1x2x?x64xf32>, %vc: tensor<1x2x?x64xf32>, %n: tensor<1xi32>, %k: tensor<1x2x1x64xf32>) {
  // expected-error @+1 {{key cache must have a static shape}}
  %a:3 = attn.cache_append %kc, %vc, %n, %k, %k : tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1xi32>, tensor<1x2x1x64xf32>, tensor<1x2x1x64xf32> -> tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1xi32>
  return
}

// -----

func.func @append_mismatch(%kc: tensor<1x2x16x64xf32>, %vc: tensor<1x2x8x64xf32>, %n: tensor<1xi32>, %k: tensor<1x2x1x64xf32>) {
  // expected-error @+1 {{key and value caches must have one batch, heads and capacity}}
  %a:3 = attn.cache_append %kc, %vc, %n, %k, %k : tensor<1x2x16x64xf32>, tensor<1x2x8x64xf32>, tensor<1xi32>, tensor<1x2x1x64xf32>, tensor<1x2x1x64xf32> -> tensor<1x2x16x64xf32>, tensor<1x2x8x64xf32>, tensor<1xi32>
  return
}

// -----

func.func @append_empty(%kc: tensor<1x2x0x64xf32>, %n: tensor<1xi32>, %k: tensor<1x2x1x64xf32>) {
  // expected-error @+1 {{the cache capacity must be at least 1 token}}
  %a:3 = attn.cache_append %kc, %kc, %n, %k, %k : tensor<1x2x0x64xf32>, tensor<1x2x0x64xf32>, tensor<1xi32>, tensor<1x2x1x64xf32>, tensor<1x2x1x64xf32> -> tensor<1x2x0x64xf32>, tensor<1x2x0x64xf32>, tensor<1xi32>
  return
}

// -----

func.func @append_count(%kc: tensor<1x2x16x64xf32>, %n: tensor<2xi32>, %k: tensor<1x2x1x64xf32>) {
  // expected-error @+1 {{count must be [1] (batch)}}
  %a:3 = attn.cache_append %kc, %kc, %n, %k, %k : tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<2xi32>, tensor<1x2x1x64xf32>, tensor<1x2x1x64xf32> -> tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<2xi32>
  return
}

// -----

func.func @append_two_tokens(%kc: tensor<1x2x16x64xf32>, %n: tensor<1xi32>, %k: tensor<1x2x2x64xf32>, %v: tensor<1x2x1x64xf32>) {
  // expected-error @+1 {{new key must be [1, 2, 1, 64] (one token)}}
  %a:3 = attn.cache_append %kc, %kc, %n, %k, %v : tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1xi32>, tensor<1x2x2x64xf32>, tensor<1x2x1x64xf32> -> tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1xi32>
  return
}

// -----

func.func @append_value_depth(%kc: tensor<1x2x16x64xf32>, %n: tensor<1xi32>, %k: tensor<1x2x1x64xf32>, %v: tensor<1x2x1x32xf32>) {
  // expected-error @+1 {{new value must be [1, 2, 1, 64] (one token)}}
  %a:3 = attn.cache_append %kc, %kc, %n, %k, %v : tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1xi32>, tensor<1x2x1x64xf32>, tensor<1x2x1x32xf32> -> tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1xi32>
  return
}

// -----

func.func @append_results(%kc: tensor<1x2x16x64xf32>, %n: tensor<1xi32>, %k: tensor<1x2x1x64xf32>) {
  // expected-error @+1 {{results must have the types of the cache and count}}
  %a:3 = attn.cache_append %kc, %kc, %n, %k, %k : tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1xi32>, tensor<1x2x1x64xf32>, tensor<1x2x1x64xf32> -> tensor<1x2x17x64xf32>, tensor<1x2x16x64xf32>, tensor<1xi32>
  return
}

// -----

func.func @attention_heads(%q: tensor<1x3x1x64xf32>, %kc: tensor<1x2x16x64xf32>, %n: tensor<1xi32>) -> tensor<1x3x1x64xf32> {
  // expected-error @+1 {{query heads (3) must be a multiple of the key heads (2)}}
  %o = attn.cache_attention %q, %kc, %kc, %n {scale = 0.125 : f32} : tensor<1x3x1x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1xi32> -> tensor<1x3x1x64xf32>
  return %o : tensor<1x3x1x64xf32>
}

// -----

func.func @attention_depth(%q: tensor<1x2x1x32xf32>, %kc: tensor<1x2x16x64xf32>, %n: tensor<1xi32>) -> tensor<1x2x1x64xf32> {
  // expected-error @+1 {{query and key depths differ: 32 vs 64}}
  %o = attn.cache_attention %q, %kc, %kc, %n {scale = 0.125 : f32} : tensor<1x2x1x32xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1xi32> -> tensor<1x2x1x64xf32>
  return %o : tensor<1x2x1x64xf32>
}

// -----

func.func @attention_result(%q: tensor<1x2x1x64xf32>, %kc: tensor<1x2x16x64xf32>, %vc: tensor<1x2x16x32xf32>, %n: tensor<1xi32>) -> tensor<1x2x1x64xf32> {
  // expected-error @+1 {{result must be [1, 2, 1, 32]}}
  %o = attn.cache_attention %q, %kc, %vc, %n {scale = 0.125 : f32} : tensor<1x2x1x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x32xf32>, tensor<1xi32> -> tensor<1x2x1x64xf32>
  return %o : tensor<1x2x1x64xf32>
}

// -----

func.func @attention_scale(%q: tensor<1x2x1x64xf32>, %kc: tensor<1x2x16x64xf32>, %n: tensor<1xi32>) -> tensor<1x2x1x64xf32> {
  // expected-error @+1 {{scale must be finite and non-zero}}
  %o = attn.cache_attention %q, %kc, %kc, %n {scale = 0.0 : f32} : tensor<1x2x1x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1xi32> -> tensor<1x2x1x64xf32>
  return %o : tensor<1x2x1x64xf32>
}
