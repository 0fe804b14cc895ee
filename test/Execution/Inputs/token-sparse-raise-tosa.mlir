// A decode step in TOSA: tosa.concat of the past K/V [1, 4, 16, 8] and the new
// token's along the length (axis 2), one query; the present K/V are outputs.
// Raised at import, the concat lowered by tosa-to-tensor (insert_slices)
// before sieve-attn-token-sparse sees it. token-sparse-raise.test.
func.func @tosa_decode(%q: tensor<1x4x1x8xf32>, %k1: tensor<1x4x1x8xf32>, %v1: tensor<1x4x1x8xf32>, %pk: tensor<1x4x16x8xf32>, %pv: tensor<1x4x16x8xf32>) -> (tensor<1x4x1x8xf32>, tensor<1x4x17x8xf32>, tensor<1x4x17x8xf32>) {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s3 = tosa.const_shape {values = dense<[4, 1, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s3k = tosa.const_shape {values = dense<[4, 17, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s3t = tosa.const_shape {values = dense<[4, 8, 17]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s4s = tosa.const_shape {values = dense<[1, 4, 1, 17]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s3s = tosa.const_shape {values = dense<[4, 1, 17]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s4 = tosa.const_shape {values = dense<[1, 4, 1, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %k = tosa.concat %pk, %k1 {axis = 2 : i32} : (tensor<1x4x16x8xf32>, tensor<1x4x1x8xf32>) -> tensor<1x4x17x8xf32>
  %v = tosa.concat %pv, %v1 {axis = 2 : i32} : (tensor<1x4x16x8xf32>, tensor<1x4x1x8xf32>) -> tensor<1x4x17x8xf32>
  %kT = tosa.transpose %k {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x4x17x8xf32>) -> tensor<1x4x8x17xf32>
  %q3 = tosa.reshape %q, %s3 : (tensor<1x4x1x8xf32>, !tosa.shape<3>) -> tensor<4x1x8xf32>
  %kT3 = tosa.reshape %kT, %s3t : (tensor<1x4x8x17xf32>, !tosa.shape<3>) -> tensor<4x8x17xf32>
  %s = tosa.matmul %q3, %kT3, %zp, %zp : (tensor<4x1x8xf32>, tensor<4x8x17xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x1x17xf32>
  %s4d = tosa.reshape %s, %s4s : (tensor<4x1x17xf32>, !tosa.shape<4>) -> tensor<1x4x1x17xf32>
  %c = "tosa.const"() <{values = dense<0.353553385> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %x = tosa.mul %c, %s4d, %shift : (tensor<1x1x1x1xf32>, tensor<1x4x1x17xf32>, tensor<1xi8>) -> tensor<1x4x1x17xf32>
  %m = tosa.reduce_max %x {axis = 3 : i32} : (tensor<1x4x1x17xf32>) -> tensor<1x4x1x1xf32>
  %d = tosa.sub %x, %m : (tensor<1x4x1x17xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x1x17xf32>
  %e = tosa.exp %d : (tensor<1x4x1x17xf32>) -> tensor<1x4x1x17xf32>
  %sum = tosa.reduce_sum %e {axis = 3 : i32} : (tensor<1x4x1x17xf32>) -> tensor<1x4x1x1xf32>
  %r = tosa.reciprocal %sum : (tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32>
  %p = tosa.mul %r, %e, %shift : (tensor<1x4x1x1xf32>, tensor<1x4x1x17xf32>, tensor<1xi8>) -> tensor<1x4x1x17xf32>
  %p3 = tosa.reshape %p, %s3s : (tensor<1x4x1x17xf32>, !tosa.shape<3>) -> tensor<4x1x17xf32>
  %v3 = tosa.reshape %v, %s3k : (tensor<1x4x17x8xf32>, !tosa.shape<3>) -> tensor<4x17x8xf32>
  %o = tosa.matmul %p3, %v3, %zp, %zp : (tensor<4x1x17xf32>, tensor<4x17x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x1x8xf32>
  %o4 = tosa.reshape %o, %s4 : (tensor<4x1x8xf32>, !tosa.shape<4>) -> tensor<1x4x1x8xf32>
  return %o4, %k, %v : tensor<1x4x1x8xf32>, tensor<1x4x17x8xf32>, tensor<1x4x17x8xf32>
}
