// RUN: sieve-opt %s -split-input-file -sieve-select-ternary-kernel=target=cortex-m4 -verify-diagnostics

func.func @lacking(%x: tensor<1x4xi8>) -> tensor<1x2xi32> {
  // expected-error @+1 {{'tern.matmul' op kernel 'sdot' needs sdot (AArch64 dot product), which target 'cortex-m4' lacks}}
  %y = tern.matmul %x weights(dense<[[1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8>) {kernel = "sdot"} : tensor<1x4xi8> -> tensor<1x2xi32>
  return %y : tensor<1x2xi32>
}

// -----

func.func @float_activations(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  // expected-error @+1 {{'tern.matmul' op kernel 'smlad' needs int8 activations; f32 ones take 'portable'}}
  %y = tern.matmul %x weights(dense<1> : tensor<2x4xi8>) scale([1.0]) {kernel = "smlad"} : tensor<1x4xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
