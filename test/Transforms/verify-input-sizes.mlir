// Tensors a target cannot address are errors at the op, not silent
// wrap-around: 2^31-1 bytes on a 32-bit MCU (index is a signed i32).
// RUN: sieve-opt %s -split-input-file -sieve-verify-input="max-object-bytes=2147483647 index-bitwidth=32" -verify-diagnostics

// expected-error @+1 {{entry function 'huge': an input of type 'tensor<1x65536x65536x4xi8>' has a tensor of 17179869184 bytes (tensor<1x65536x65536x4xi8>), more than the 2147483647 bytes one object can take on the target}}
func.func @huge(%a: tensor<1x65536x65536x4xi8>) -> tensor<1x65536x65536x4xi8> {
  return %a : tensor<1x65536x65536x4xi8>
}

// -----

// expected-error @+1 {{has a tensor of 4294967296 bytes}}
func.func @flat(%a: tensor<4294967296xi8>) -> tensor<4294967296xi8> {
  return %a : tensor<4294967296xi8>
}

// -----

// A size that overflows 64 bits is counted as such, not wrapped.
func.func @overflow(%a: tensor<4xi8>) -> tensor<4xi8> {
  // expected-error @+1 {{'tensor.empty' has a tensor of 2^64 bytes or more (tensor<9223372036854775807x4xi32>)}}
  %e = tensor.empty() : tensor<9223372036854775807x4xi32>
  return %a : tensor<4xi8>
}

// -----

func.func @conv(%a: tensor<1x100000x100000x4xi8>) -> tensor<1x4xi8> {
  %c = arith.constant dense<0> : tensor<1x4xi8>
  return %c : tensor<1x4xi8>
}
// expected-error @-4 {{an input of type 'tensor<1x100000x100000x4xi8>' has a tensor of 40000000000 bytes}}

// -----

// index elements take the target's pointer width: 2^28 of them fit in 2^30
// bytes on a 32-bit target.
func.func @index_elements(%a: tensor<4xi32>) -> tensor<4xi32> {
  %e = tensor.empty() : tensor<268435456xindex>
  return %a : tensor<4xi32>
}
