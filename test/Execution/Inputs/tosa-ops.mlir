// A mix of float TOSA ops beyond the examples: pooling, sigmoid, tanh, erf,
// concat, argmax (an i32 output), pad and slice.
func.func @ops(%x: tensor<1x8x8x4xf32>) -> (tensor<1x4x4x8xf32>, tensor<1x8x8xi32>, tensor<1x8x8x4xf32>) {
  %p = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32>
  %s = tosa.sigmoid %p : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %t = tosa.tanh %p : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c = tosa.concat %s, %t {axis = 3 : i32} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x8xf32>
  %a = tosa.argmax %x {axis = 3 : i32} : (tensor<1x8x8x4xf32>) -> tensor<1x8x8xi32>
  %padv = tosa.const_shape {values = dense<[0, 0, 1, 1, 1, 1, 0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %padded = tosa.pad %x, %padv, %zero : (tensor<1x8x8x4xf32>, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x10x10x4xf32>
  %start = tosa.const_shape {values = dense<[0, 2, 2, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %size = tosa.const_shape {values = dense<[1, 8, 8, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %sl = tosa.slice %padded, %start, %size : (tensor<1x10x10x4xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x8x8x4xf32>
  %e = tosa.erf %sl : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  return %c, %a, %e : tensor<1x4x4x8xf32>, tensor<1x8x8xi32>, tensor<1x8x8x4xf32>
}
