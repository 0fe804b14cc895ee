// RUN: sieve-opt %s -split-input-file -verify-diagnostics

func.func @not_ternary(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  // expected-error @+1 {{weight 2 at [1, 3] is not ternary (-1, 0 or +1)}}
  %y = tern.matmul %x weights(dense<[[1, 0, -1, 1], [0, 0, 1, 2]]> : tensor<2x4xi8>) : tensor<3x4xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @weight_type(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  // expected-error @+1 {{weights must be #tern.packed or a rank-2 tensor of i8 [N, K], got dense<0> : tensor<2x4xi32>}}
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

func.func @activations(%x: tensor<3x4xi16>) -> tensor<3x2xi32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 8-bit signless integer values or ranked tensor of 32-bit float values}}
  %y = tern.matmul %x weights(dense<0> : tensor<2x4xi8>) : tensor<3x4xi16> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @splat(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  // expected-error @+1 {{weights are all 2, which is not ternary (-1, 0 or +1)}}
  %y = tern.matmul %x weights(dense<2> : tensor<2x4xi8>) : tensor<3x4xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @zero_k(%x: tensor<3x0xi8>) -> tensor<3x2xi32> {
  // expected-error @+1 {{weights must have N > 0 and K > 0, got [2, 0]}}
  %y = tern.matmul %x weights(dense<0> : tensor<2x0xi8>) : tensor<3x0xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @zero_n(%x: tensor<3x4xi8>) -> tensor<3x0xi32> {
  // expected-error @+1 {{weights must have N > 0 and K > 0, got [0, 4]}}
  %y = tern.matmul %x weights(dense<0> : tensor<0x4xi8>) : tensor<3x4xi8> -> tensor<3x0xi32>
  return %y : tensor<3x0xi32>
}

// -----

// Code 3 (0b11) in the low bits of byte 1: weight [0, 1].
func.func @packed_i2_code(%x: tensor<1x4xi8>) -> tensor<1x1xi32> {
  // expected-error @+1 {{packed weight at [0, 1] has code 3, which is not a ternary code (0, 1 or 2)}}
  %y = tern.matmul %x weights(#tern.packed<i2, [1, 4], dense<"0x5657545655555555555555555555555555555555555555555555555555555555"> : tensor<1x32xi8>>) : tensor<1x4xi8> -> tensor<1x1xi32>
  return %y : tensor<1x1xi32>
}

// -----

func.func @packed_t5_byte(%x: tensor<1x4xi8>) -> tensor<1x1xi32> {
  // expected-error @+1 {{packed weight at [0, 0] has code 250, a byte over 242 (five base-3 digits)}}
  %y = tern.matmul %x weights(#tern.packed<t5, [1, 4], dense<-6> : tensor<1x1xi8>>) : tensor<1x4xi8> -> tensor<1x1xi32>
  return %y : tensor<1x1xi32>
}

// -----

// [1, 0, -1, 1] with a padding digit 2 (weight +1) instead of 1: 140 + 81.
func.func @packed_padding(%x: tensor<1x4xi8>) -> tensor<1x1xi32> {
  // expected-error @+1 {{padding weight at [0, 4] is not 0 (code 1)}}
  %y = tern.matmul %x weights(#tern.packed<t5, [1, 4], dense<-35> : tensor<1x1xi8>>) : tensor<1x4xi8> -> tensor<1x1xi32>
  return %y : tensor<1x1xi32>
}

// -----

func.func @packed_data_shape(%x: tensor<1x4xi8>) -> tensor<1x1xi32> {
  // expected-error @+1 {{packed data of [1, 4] in i2 must be tensor<1x32xi8>, got 'tensor<1x1xi8>'}}
  %y = tern.matmul %x weights(#tern.packed<i2, [1, 4], dense<85> : tensor<1x1xi8>>) : tensor<1x4xi8> -> tensor<1x1xi32>
  return %y : tensor<1x1xi32>
}

// -----

func.func @packed_empty(%x: tensor<1x4xi8>) -> tensor<1x1xi32> {
  // expected-error @+1 {{packed weights must have N > 0 and K > 0, got [0, 4]}}
  %y = tern.matmul %x weights(#tern.packed<t5, [0, 4], dense<85> : tensor<0x1xi8>>) : tensor<1x4xi8> -> tensor<1x1xi32>
  return %y : tensor<1x1xi32>
}

// -----

func.func @float_input_int_result(%x: tensor<3x4xf32>) -> tensor<3x2xi32> {
  // expected-error @+1 {{f32 input needs an f32 result, got 'tensor<3x2xi32>'}}
  %y = tern.matmul %x weights(dense<0> : tensor<2x4xi8>) : tensor<3x4xf32> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @int_result_scale(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  // expected-error @+1 {{an i32 result is exact: it takes no scale}}
  %y = tern.matmul %x weights(dense<0> : tensor<2x4xi8>) scale([0.5]) : tensor<3x4xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @float_result_no_scale(%x: tensor<3x4xi8>) -> tensor<3x2xf32> {
  // expected-error @+1 {{an f32 result needs a scale (one, or one per output channel)}}
  %y = tern.matmul %x weights(dense<0> : tensor<2x4xi8>) : tensor<3x4xi8> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @scale_count(%x: tensor<3x4xi8>) -> tensor<3x2xf32> {
  // expected-error @+1 {{scale must have 1 or N = 2 values, got 3}}
  %y = tern.matmul %x weights(dense<0> : tensor<2x4xi8>) scale([0.5, 0.5, 0.5]) : tensor<3x4xi8> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @input_scale_float_input(%x: tensor<3x4xf32>, %s: tensor<3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{input_scale needs int8 input and an f32 result}}
  %y = tern.matmul %x scaled(%s : tensor<3xf32>) weights(dense<0> : tensor<2x4xi8>) scale([0.5]) : tensor<3x4xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @input_scale_shape(%x: tensor<3x4xi8>, %s: tensor<2xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{input_scale must be [M] = [3], got 'tensor<2xf32>'}}
  %y = tern.matmul %x scaled(%s : tensor<2xf32>) weights(dense<0> : tensor<2x4xi8>) scale([0.5]) : tensor<3x4xi8> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @unknown_kernel(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  // expected-error @+1 {{unknown kernel 'vpermb' (known: portable, maddubs, vpdpbusd, sdot, smlad, vmladav, lut)}}
  %y = tern.matmul %x weights(dense<0> : tensor<2x4xi8>) {kernel = "vpermb"} : tensor<3x4xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @quantize_rank(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{input must be [M, K], got 'tensor<4xf32>'}}
  %q, %s = tern.quantize_absmax %x : tensor<4xf32> -> tensor<4xi8>, tensor<1xf32>
  return %q : tensor<4xi8>
}

// -----

func.func @quantize_shape(%x: tensor<3x4xf32>) -> tensor<3x5xi8> {
  // expected-error @+1 {{quantized result must have the input's shape 'tensor<3x4xf32>', got 'tensor<3x5xi8>'}}
  %q, %s = tern.quantize_absmax %x : tensor<3x4xf32> -> tensor<3x5xi8>, tensor<3xf32>
  return %q : tensor<3x5xi8>
}

// -----

func.func @quantize_scale(%x: tensor<3x4xf32>) -> tensor<3x4xi8> {
  // expected-error @+1 {{scale must be [M] = [3], got 'tensor<4xf32>'}}
  %q, %s = tern.quantize_absmax %x : tensor<3x4xf32> -> tensor<3x4xi8>, tensor<4xf32>
  return %q : tensor<3x4xi8>
}
