// RUN: sieve-opt %s -sieve-select-ternary-kernel="target=cortex-m4 packing=i2" -verify-diagnostics

// On a microcontroller the lut kernel reads 5 weights per byte.
func.func @lut_i2(%x: tensor<1x4xi8>) -> tensor<1x1xi32> {
  // expected-error @+1 {{'tern.matmul' op kernel 'lut' reads packing t5 on target 'cortex-m4', not i2}}
  %y = tern.matmul %x weights(dense<[[1, 0, -1, 1]]> : tensor<1x4xi8>) {kernel = "lut"} : tensor<1x4xi8> -> tensor<1x1xi32>
  return %y : tensor<1x1xi32>
}
