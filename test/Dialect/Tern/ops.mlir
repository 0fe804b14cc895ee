// RUN: sieve-opt %s | sieve-opt | FileCheck %s

// CHECK-LABEL: func @gemv
// CHECK: tern.matmul %{{.*}} weights(dense<{{\[}}[1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8>) : tensor<3x4xi8> -> tensor<3x2xi32>
func.func @gemv(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  %y = tern.matmul %x weights(dense<[[1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8>) : tensor<3x4xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// CHECK-LABEL: func @splat
// CHECK: tern.matmul %{{.*}} weights(dense<-1> : tensor<8x16xi8>)
func.func @splat(%x: tensor<1x16xi8>) -> tensor<1x8xi32> {
  %y = tern.matmul %x weights(dense<-1> : tensor<8x16xi8>) : tensor<1x16xi8> -> tensor<1x8xi32>
  return %y : tensor<1x8xi32>
}

// The same weights packed at 2 bits: byte j of a row holds weights j, j+32,
// j+64, j+96 (codes w+1); the padding is code 1, so 0x55 = 0b01010101.
// CHECK-LABEL: func @packed_i2
// CHECK: tern.matmul %{{.*}} weights(#tern.packed<i2, [2, 4], dense<{{\[}}[86, 85, 84, 86, 85,
func.func @packed_i2(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  %y = tern.matmul %x weights(#tern.packed<i2, [2, 4], dense<"0x56555456555555555555555555555555555555555555555555555555555555555555565455555555555555555555555555555555555555555555555555555555"> : tensor<2x32xi8>>) : tensor<3x4xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// At 1.6 bits: [1, 0, -1, 1] + padding 0 is 2 + 1*3 + 0*9 + 2*27 + 1*81 = 140
// (-116 as i8); [0, 0, 1, -1] is 1 + 3 + 2*9 + 0*27 + 81 = 103. Per-channel
// scales, f32 result, BitNet's per-token input scale.
// CHECK-LABEL: func @packed_t5_scaled
// CHECK: %[[Q:.*]], %[[S:.*]] = tern.quantize_absmax %{{.*}} : tensor<3x4xf32> -> tensor<3x4xi8>, tensor<3xf32>
// CHECK: tern.matmul %[[Q]] scaled(%[[S]] : tensor<3xf32>) weights(#tern.packed<t5, [2, 4], dense<{{\[}}[-116], [103]]> : tensor<2x1xi8>>) scale([5.000000e-01, 2.500000e-01]) {kernel = "portable"} : tensor<3x4xi8> -> tensor<3x2xf32>
func.func @packed_t5_scaled(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %q, %s = tern.quantize_absmax %x : tensor<3x4xf32> -> tensor<3x4xi8>, tensor<3xf32>
  %y = tern.matmul %q scaled(%s : tensor<3xf32>) weights(#tern.packed<t5, [2, 4], dense<[[-116], [103]]> : tensor<2x1xi8>>) scale([0.5, 0.25]) {kernel = "portable"} : tensor<3x4xi8> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// A float linear layer with ternary weights and one scale.
// CHECK-LABEL: func @float_input
// CHECK: tern.matmul %{{.*}} weights(dense<1> : tensor<2x4xi8>) scale([1.250000e-01]) : tensor<3x4xf32> -> tensor<3x2xf32>
func.func @float_input(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %y = tern.matmul %x weights(dense<1> : tensor<2x4xi8>) scale([0.125]) : tensor<3x4xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// BitNet's quantisation in the step form (x / (max / 127)).
// CHECK-LABEL: func @quantize_divide
// CHECK: tern.quantize_absmax %{{.*}} divide : tensor<3x4xf32> -> tensor<3x4xi8>, tensor<3xf32>
func.func @quantize_divide(%x: tensor<3x4xf32>) -> (tensor<3x4xi8>, tensor<3xf32>) {
  %q, %s = tern.quantize_absmax %x divide : tensor<3x4xf32> -> tensor<3x4xi8>, tensor<3xf32>
  return %q, %s : tensor<3x4xi8>, tensor<3xf32>
}
