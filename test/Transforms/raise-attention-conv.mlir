// RUN: sieve-opt %s -split-input-file -sieve-raise-attention | FileCheck %s
// Convolutional self-attention (Li et al. 2019): Q and K from a causal 1-D
// convolution (kernel 3: two zeros on the left, none on the right), V
// pointwise. The raised op records the kernels for the lowering.

// Q by a conv with left padding, K by a pad then a conv.
// CHECK-LABEL: func @left_padded_conv
// CHECK: attn.attention {{.*}} {attn.key_conv = 3 : i64, attn.query_conv = 3 : i64, scale = 1.000000e+00 : f32}
func.func @left_padded_conv(%x: tensor<1x16x32xf32>, %wq: tensor<32x1x3x32xf32>, %wk: tensor<32x1x3x32xf32>, %b: tensor<32xf32>) -> tensor<1x4x16x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s4 = tosa.const_shape {values = dense<[1, 1, 16, 32]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %sh = tosa.const_shape {values = dense<[1, 16, 4, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s3 = tosa.const_shape {values = dense<[4, 16, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s3t = tosa.const_shape {values = dense<[4, 8, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s3s = tosa.const_shape {values = dense<[1, 4, 16, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s4o = tosa.const_shape {values = dense<[1, 4, 16, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s3p = tosa.const_shape {values = dense<[4, 16, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %x4 = tosa.reshape %x, %s4 : (tensor<1x16x32xf32>, !tosa.shape<4>) -> tensor<1x1x16x32xf32>
  %qc = tosa.conv2d %x4, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 2, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x16x32xf32>, tensor<32x1x3x32xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x16x32xf32>
  %qh = tosa.reshape %qc, %sh : (tensor<1x1x16x32xf32>, !tosa.shape<4>) -> tensor<1x16x4x8xf32>
  %qt = tosa.transpose %qh {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x16x4x8xf32>) -> tensor<1x4x16x8xf32>
  %kpads = tosa.const_shape {values = dense<[0, 0, 0, 0, 2, 0, 0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %kp = tosa.pad %x4, %kpads, %zp : (tensor<1x1x16x32xf32>, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x1x18x32xf32>
  %kc = tosa.conv2d %kp, %wk, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x18x32xf32>, tensor<32x1x3x32xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x16x32xf32>
  %kh = tosa.reshape %kc, %sh : (tensor<1x1x16x32xf32>, !tosa.shape<4>) -> tensor<1x16x4x8xf32>
  %kt = tosa.transpose %kh {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x16x4x8xf32>) -> tensor<1x4x16x8xf32>
  %vh = tosa.reshape %x, %sh : (tensor<1x16x32xf32>, !tosa.shape<4>) -> tensor<1x16x4x8xf32>
  %vt = tosa.transpose %vh {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x16x4x8xf32>) -> tensor<1x4x16x8xf32>
  %kT = tosa.transpose %kt {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x4x16x8xf32>) -> tensor<1x4x8x16xf32>
  %q3 = tosa.reshape %qt, %s3 : (tensor<1x4x16x8xf32>, !tosa.shape<3>) -> tensor<4x16x8xf32>
  %kT3 = tosa.reshape %kT, %s3t : (tensor<1x4x8x16xf32>, !tosa.shape<3>) -> tensor<4x8x16xf32>
  %s = tosa.matmul %q3, %kT3, %zp, %zp : (tensor<4x16x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x16xf32>
  %x0 = tosa.reshape %s, %s3s : (tensor<4x16x16xf32>, !tosa.shape<4>) -> tensor<1x4x16x16xf32>
  %m = tosa.reduce_max %x0 {axis = 3 : i32} : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x1xf32>
  %d = tosa.sub %x0, %m : (tensor<1x4x16x16xf32>, tensor<1x4x16x1xf32>) -> tensor<1x4x16x16xf32>
  %e = tosa.exp %d : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32>
  %sum = tosa.reduce_sum %e {axis = 3 : i32} : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x1xf32>
  %r = tosa.reciprocal %sum : (tensor<1x4x16x1xf32>) -> tensor<1x4x16x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<1x4x16x16xf32>, tensor<1x4x16x1xf32>, tensor<1xi8>) -> tensor<1x4x16x16xf32>
  %p3 = tosa.reshape %p, %s3p : (tensor<1x4x16x16xf32>, !tosa.shape<3>) -> tensor<4x16x16xf32>
  %v3 = tosa.reshape %vt, %s3 : (tensor<1x4x16x8xf32>, !tosa.shape<3>) -> tensor<4x16x8xf32>
  %o = tosa.matmul %p3, %v3, %zp, %zp : (tensor<4x16x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x8xf32>
  %o4 = tosa.reshape %o, %s4o : (tensor<4x16x8xf32>, !tosa.shape<4>) -> tensor<1x4x16x8xf32>
  return %o4 : tensor<1x4x16x8xf32>
}

// -----

// Q by a conv that pads both sides (it sees the next position): not
// causal, not marked; K is.
// CHECK-LABEL: func @symmetric_conv
// CHECK: attn.attention {{.*}} {attn.key_conv = 3 : i64, scale = 1.000000e+00 : f32}
func.func @symmetric_conv(%x: tensor<1x16x32xf32>, %wq: tensor<32x1x3x32xf32>, %wk: tensor<32x1x3x32xf32>, %b: tensor<32xf32>) -> tensor<1x4x16x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s4 = tosa.const_shape {values = dense<[1, 1, 16, 32]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %sh = tosa.const_shape {values = dense<[1, 16, 4, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s3 = tosa.const_shape {values = dense<[4, 16, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s3t = tosa.const_shape {values = dense<[4, 8, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s3s = tosa.const_shape {values = dense<[1, 4, 16, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s4o = tosa.const_shape {values = dense<[1, 4, 16, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s3p = tosa.const_shape {values = dense<[4, 16, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %x4 = tosa.reshape %x, %s4 : (tensor<1x16x32xf32>, !tosa.shape<4>) -> tensor<1x1x16x32xf32>
  %qc = tosa.conv2d %x4, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x1x16x32xf32>, tensor<32x1x3x32xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x16x32xf32>
  %qh = tosa.reshape %qc, %sh : (tensor<1x1x16x32xf32>, !tosa.shape<4>) -> tensor<1x16x4x8xf32>
  %qt = tosa.transpose %qh {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x16x4x8xf32>) -> tensor<1x4x16x8xf32>
  %kc = tosa.conv2d %x4, %wk, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 2, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x16x32xf32>, tensor<32x1x3x32xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x16x32xf32>
  %kh = tosa.reshape %kc, %sh : (tensor<1x1x16x32xf32>, !tosa.shape<4>) -> tensor<1x16x4x8xf32>
  %kt = tosa.transpose %kh {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x16x4x8xf32>) -> tensor<1x4x16x8xf32>
  %vh = tosa.reshape %x, %sh : (tensor<1x16x32xf32>, !tosa.shape<4>) -> tensor<1x16x4x8xf32>
  %vt = tosa.transpose %vh {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x16x4x8xf32>) -> tensor<1x4x16x8xf32>
  %kT = tosa.transpose %kt {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x4x16x8xf32>) -> tensor<1x4x8x16xf32>
  %q3 = tosa.reshape %qt, %s3 : (tensor<1x4x16x8xf32>, !tosa.shape<3>) -> tensor<4x16x8xf32>
  %kT3 = tosa.reshape %kT, %s3t : (tensor<1x4x8x16xf32>, !tosa.shape<3>) -> tensor<4x8x16xf32>
  %s = tosa.matmul %q3, %kT3, %zp, %zp : (tensor<4x16x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x16xf32>
  %x0 = tosa.reshape %s, %s3s : (tensor<4x16x16xf32>, !tosa.shape<4>) -> tensor<1x4x16x16xf32>
  %m = tosa.reduce_max %x0 {axis = 3 : i32} : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x1xf32>
  %d = tosa.sub %x0, %m : (tensor<1x4x16x16xf32>, tensor<1x4x16x1xf32>) -> tensor<1x4x16x16xf32>
  %e = tosa.exp %d : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32>
  %sum = tosa.reduce_sum %e {axis = 3 : i32} : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x1xf32>
  %r = tosa.reciprocal %sum : (tensor<1x4x16x1xf32>) -> tensor<1x4x16x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<1x4x16x16xf32>, tensor<1x4x16x1xf32>, tensor<1xi8>) -> tensor<1x4x16x16xf32>
  %p3 = tosa.reshape %p, %s3p : (tensor<1x4x16x16xf32>, !tosa.shape<3>) -> tensor<4x16x16xf32>
  %v3 = tosa.reshape %vt, %s3 : (tensor<1x4x16x8xf32>, !tosa.shape<3>) -> tensor<4x16x8xf32>
  %o = tosa.matmul %p3, %v3, %zp, %zp : (tensor<4x16x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x8xf32>
  %o4 = tosa.reshape %o, %s4o : (tensor<4x16x8xf32>, !tosa.shape<4>) -> tensor<1x4x16x8xf32>
  return %o4 : tensor<1x4x16x8xf32>
}

// -----

// linalg as torch-mlir writes a Conv1d with padding on the left (NCW,
// tensor.pad then conv_1d_ncw_fcw), one head: Q by a causal conv of kernel
// 4 with dilation 2 (6 zeros on the left), K by a conv with padding on the
// right too (not causal).
// CHECK-LABEL: func @torch_conv1d
// CHECK: attn.attention {{.*}} {attn.query_conv = 4 : i64, scale = 1.000000e+00 : f32} : tensor<16x32xf32>
func.func @torch_conv1d(%x: tensor<1x32x16xf32>, %wq: tensor<32x32x4xf32>, %wk: tensor<32x32x3xf32>) -> tensor<16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %qp = tensor.pad %x low[0, 0, 6] high[0, 0, 0] {
  ^bb0(%i: index, %j: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x32x16xf32> to tensor<1x32x22xf32>
  %c0 = tensor.empty() : tensor<1x32x16xf32>
  %cf = linalg.fill ins(%zero : f32) outs(%c0 : tensor<1x32x16xf32>) -> tensor<1x32x16xf32>
  %qc = linalg.conv_1d_ncw_fcw {dilations = dense<2> : vector<1xi64>, strides = dense<1> : vector<1xi64>} ins(%qp, %wq : tensor<1x32x22xf32>, tensor<32x32x4xf32>) outs(%cf : tensor<1x32x16xf32>) -> tensor<1x32x16xf32>
  %kp = tensor.pad %x low[0, 0, 1] high[0, 0, 1] {
  ^bb0(%i: index, %j: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x32x16xf32> to tensor<1x32x18xf32>
  %kc = linalg.conv_1d_ncw_fcw {dilations = dense<1> : vector<1xi64>, strides = dense<1> : vector<1xi64>} ins(%kp, %wk : tensor<1x32x18xf32>, tensor<32x32x3xf32>) outs(%cf : tensor<1x32x16xf32>) -> tensor<1x32x16xf32>
  %q2 = tensor.collapse_shape %qc [[0, 1], [2]] : tensor<1x32x16xf32> into tensor<32x16xf32>
  %k2 = tensor.collapse_shape %kc [[0, 1], [2]] : tensor<1x32x16xf32> into tensor<32x16xf32>
  %v2 = tensor.collapse_shape %x [[0, 1], [2]] : tensor<1x32x16xf32> into tensor<32x16xf32>
  %t0 = tensor.empty() : tensor<16x32xf32>
  %q = linalg.transpose ins(%q2 : tensor<32x16xf32>) outs(%t0 : tensor<16x32xf32>) permutation = [1, 0]
  %v = linalg.transpose ins(%v2 : tensor<32x16xf32>) outs(%t0 : tensor<16x32xf32>) permutation = [1, 0]
  %s0 = tensor.empty() : tensor<16x16xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<16x16xf32>) -> tensor<16x16xf32>
  %s = linalg.matmul ins(%q, %k2 : tensor<16x32xf32>, tensor<32x16xf32>) outs(%sf : tensor<16x16xf32>) -> tensor<16x16xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<16x16xf32>) outs(%s0 : tensor<16x16xf32>) -> tensor<16x16xf32>
  %of = linalg.fill ins(%zero : f32) outs(%t0 : tensor<16x32xf32>) -> tensor<16x32xf32>
  %o = linalg.matmul ins(%p, %v : tensor<16x16xf32>, tensor<16x32xf32>) outs(%of : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %o : tensor<16x32xf32>
}

// -----

// linalg as TensorFlow writes a causal Conv1D: a 2-D convolution with a
// 1 x k kernel (linalg.conv_2d_nhwc_hwcf, weights [1, 3, C, F]) after a
// tensor.pad of 2 zeros on the left of W.
// CHECK-LABEL: func @tf_conv2d_1xk
// CHECK: attn.attention {{.*}} {attn.query_conv = 3 : i64, scale = 1.000000e+00 : f32} : tensor<16x32xf32>
func.func @tf_conv2d_1xk(%x: tensor<1x1x16x32xf32>, %wq: tensor<1x3x32x32xf32>) -> tensor<16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %qp = tensor.pad %x low[0, 0, 2, 0] high[0, 0, 0, 0] {
  ^bb0(%i: index, %j: index, %l: index, %m: index):
    tensor.yield %zero : f32
  } : tensor<1x1x16x32xf32> to tensor<1x1x18x32xf32>
  %c0 = tensor.empty() : tensor<1x1x16x32xf32>
  %cf = linalg.fill ins(%zero : f32) outs(%c0 : tensor<1x1x16x32xf32>) -> tensor<1x1x16x32xf32>
  %qc = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%qp, %wq : tensor<1x1x18x32xf32>, tensor<1x3x32x32xf32>) outs(%cf : tensor<1x1x16x32xf32>) -> tensor<1x1x16x32xf32>
  %q = tensor.collapse_shape %qc [[0, 1, 2], [3]] : tensor<1x1x16x32xf32> into tensor<16x32xf32>
  %v = tensor.collapse_shape %x [[0, 1, 2], [3]] : tensor<1x1x16x32xf32> into tensor<16x32xf32>
  %t1 = tensor.empty() : tensor<32x16xf32>
  %kt = linalg.transpose ins(%v : tensor<16x32xf32>) outs(%t1 : tensor<32x16xf32>) permutation = [1, 0]
  %s0 = tensor.empty() : tensor<16x16xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<16x16xf32>) -> tensor<16x16xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<16x32xf32>, tensor<32x16xf32>) outs(%sf : tensor<16x16xf32>) -> tensor<16x16xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<16x16xf32>) outs(%s0 : tensor<16x16xf32>) -> tensor<16x16xf32>
  %t0 = tensor.empty() : tensor<16x32xf32>
  %of = linalg.fill ins(%zero : f32) outs(%t0 : tensor<16x32xf32>) -> tensor<16x32xf32>
  %o = linalg.matmul ins(%p, %v : tensor<16x16xf32>, tensor<16x32xf32>) outs(%of : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %o : tensor<16x32xf32>
}
