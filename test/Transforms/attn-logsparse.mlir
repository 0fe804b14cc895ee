// RUN: sieve-opt %s -split-input-file -sieve-attn-logsparse -verify-diagnostics | FileCheck %s
// RUN: sieve-opt %s -split-input-file -sieve-attn-logsparse="variant=local window=4" 2>&1 | FileCheck %s --check-prefix=LOCAL
// RUN: sieve-opt %s -split-input-file -sieve-attn-logsparse="variant=restart window=16" 2>&1 | FileCheck %s --check-prefix=RESTART
// RUN: not sieve-opt %s -split-input-file -sieve-attn-logsparse="variant=local window=64" 2>&1 | FileCheck %s --check-prefix=WINDOW
// WINDOW: error: window 64 is larger than the 40 keys of this attention

// A dense causal attention becomes LogSparse, with a warning that counts the
// pairs: at L = 40, 217 = 1 + sum_{i=1}^{39} (2 + floor(log2 i)) of the 820 causal pairs (AttentionPattern's count),
// and the error against dense on random inputs (attn-logsparse-error.test
// checks these figures against an independent computation).
// CHECK-LABEL: func @causal
// CHECK: attn.sparse_attention %{{.*}}, %{{.*}}, %{{.*}} {attn.dense_error = {max_rel = 2.31{{[0-9]*}} : f64, mean_rel = 1.32{{[0-9]*}} : f64, rms = 0.43{{[0-9]*}} : f64, rows = 40 : i64, seed = 1 : i64}, attn.from_dense, layout = #attn.layout<blhd>, pattern = #attn.logsparse, scale = 0.0883883461 : f32} : tensor<1x40x12x128xf32>, tensor<1x40x2x128xf32>, tensor<1x40x2x128xf32> -> tensor<1x40x12x128xf32>
// LOCAL: warning: LogSparse attention (logsparse-local(4)) changes the model: each head computes 313 of the 820 causal (query, key) pairs (2.6x fewer)
// LOCAL: pattern = #attn.logsparse<local = 4>
// RESTART: warning: LogSparse attention (logsparse-restart(16)) changes the model
// RESTART: pattern = #attn.logsparse<restart = 16>
func.func @causal(%q: tensor<1x40x12x128xf32>, %k: tensor<1x40x2x128xf32>, %v: tensor<1x40x2x128xf32>) -> tensor<1x40x12x128xf32> {
  // expected-warning @+1 {{LogSparse attention (logsparse) changes the model: each head computes 217 of the 820 causal (query, key) pairs (3.8x fewer); relative error against dense on random inputs: max 2.312, mean 1.323, RMS 0.438 (unit-variance V) over 40 query rows}}
  %o = attn.attention %q, %k, %v {scale = 0.0883883461 : f32, causal, layout = #attn.layout<blhd>} : tensor<1x40x12x128xf32>, tensor<1x40x2x128xf32>, tensor<1x40x2x128xf32> -> tensor<1x40x12x128xf32>
  return %o : tensor<1x40x12x128xf32>
}

// -----

// An attention that already is sparse (raised from a LogSparse mask) stays
// exactly as it is, without a warning.
// CHECK-LABEL: func @already_sparse
// CHECK: attn.sparse_attention %{{.*}}, %{{.*}}, %{{.*}} {pattern = #attn.logsparse<restart = 8>, scale = 2.500000e-01 : f32}
// LOCAL-LABEL: func @already_sparse
// LOCAL-NOT: warning
// LOCAL: pattern = #attn.logsparse<restart = 8>
func.func @already_sparse(%q: tensor<8x64x16xf32>) -> tensor<8x64x16xf32> {
  %o = attn.sparse_attention %q, %q, %q {scale = 0.25 : f32, pattern = #attn.logsparse<restart = 8>} : tensor<8x64x16xf32>, tensor<8x64x16xf32>, tensor<8x64x16xf32> -> tensor<8x64x16xf32>
  return %o : tensor<8x64x16xf32>
}
