// RUN: sieve-opt %s -split-input-file -verify-diagnostics -sieve-lower-attention

func.func @f64(%q: tensor<4x8xf64>) -> tensor<4x8xf64> {
  // expected-error @+1 {{cannot be lowered: element type 'f64'}}
  %o = attn.attention %q, %q, %q {scale = 1.0 : f32} : tensor<4x8xf64>, tensor<4x8xf64>, tensor<4x8xf64> -> tensor<4x8xf64>
  return %o : tensor<4x8xf64>
}
