// RUN: sieve-opt %s -split-input-file -verify-diagnostics -sieve-lower-attention="index-bitwidth=32"

// 32-bit targets are refused at the op, not with a failed LLVM translation.
func.func @mcu(%q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{cannot be lowered for a target with 32-bit indices yet}}
  %o = attn.attention %q, %q, %q {scale = 1.0 : f32} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @f64(%q: tensor<4x8xf64>) -> tensor<4x8xf64> {
  // expected-error @+1 {{cannot be lowered: element type 'f64'}}
  %o = attn.attention %q, %q, %q {scale = 1.0 : f32} : tensor<4x8xf64>, tensor<4x8xf64>, tensor<4x8xf64> -> tensor<4x8xf64>
  return %o : tensor<4x8xf64>
}
