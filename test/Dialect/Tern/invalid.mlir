// RUN: sieve-opt %s -split-input-file -verify-diagnostics

func.func @not_ternary(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  // expected-error @+1 {{weight 2 at [1, 3] is not ternary (-1, 0 or +1)}}
  %y = tern.matmul %x weights(dense<[[1, 0, -1, 1], [0, 0, 1, 2]]> : tensor<2x4xi8>) : tensor<3x4xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @weight_type(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  // expected-error @+1 {{weights must be a rank-2 tensor of i8 [N, K], got 'tensor<2x4xi32>'}}
  %y = tern.matmul %x weights(dense<0> : tensor<2x4xi32>) : tensor<3x4xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @rank(%x: tensor<1x3x4xi8>) -> tensor<3x2xi32> {
  // expected-error @+1 {{input [M, K] and result [M, N] must have rank 2}}
  %y = tern.matmul %x weights(dense<0> : tensor<2x4xi8>) : tensor<1x3x4xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @depth(%x: tensor<3x5xi8>) -> tensor<3x2xi32> {
  // expected-error @+1 {{input depth 5 differs from the weights' K = 4}}
  %y = tern.matmul %x weights(dense<0> : tensor<2x4xi8>) : tensor<3x5xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @result(%x: tensor<3x4xi8>) -> tensor<3x3xi32> {
  // expected-error @+1 {{result must be [M, N] = [3, 2], got 'tensor<3x3xi32>'}}
  %y = tern.matmul %x weights(dense<0> : tensor<2x4xi8>) : tensor<3x4xi8> -> tensor<3x3xi32>
  return %y : tensor<3x3xi32>
}

// -----

func.func @activations(%x: tensor<3x4xf32>) -> tensor<3x2xi32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 8-bit signless integer values}}
  %y = tern.matmul %x weights(dense<0> : tensor<2x4xi8>) : tensor<3x4xf32> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @splat(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  // expected-error @+1 {{weights are all 2, which is not ternary (-1, 0 or +1)}}
  %y = tern.matmul %x weights(dense<2> : tensor<2x4xi8>) : tensor<3x4xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}
