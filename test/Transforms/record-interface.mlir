// RUN: sieve-opt %s -split-input-file -sieve-record-interface | FileCheck %s

// Zero points come from the rescale that reads the input (through a
// reshape) and the rescale that produces the output; names from the
// exporter's saved-model paths; scales from sieve.scale.
// Inputs are only read: bufferization must not write into them.
// CHECK-LABEL: func @main
// CHECK-SAME: %arg0: tensor<1x1x1x8xi8> {bufferization.writable = false
// CHECK-SAME: sieve.entry
// CHECK-SAME: sieve.inputs = [{name = "input_0", scale = 3.920000e-03 : f64, zero_point = -128 : i64}]
// CHECK-SAME: sieve.outputs = [{name = "output_0", zero_point = 5 : i64}]
func.func @main(%arg0: tensor<1x1x1x8xi8> {tf_saved_model.index_path = ["input_0"], sieve.scale = 0.00392 : f64}) -> (tensor<1x8xi8> {tf_saved_model.index_path = ["output_0"]}) {
  %shape = tosa.const_shape {values = dense<[1, 8]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %arg0, %shape : (tensor<1x1x1x8xi8>, !tosa.shape<2>) -> tensor<1x8xi8>
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<5> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.rescale %r, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x8xi8>
  return %0 : tensor<1x8xi8>
}

// -----

// The zero point of a convolution's input operand; float tensors have none.
// Other functions become private.
// CHECK-LABEL: func private @helper
// CHECK-LABEL: func @conv
// CHECK-SAME: sieve.inputs = [{name = "in0", zero_point = -3 : i64}, {name = "in1"}]
// CHECK-SAME: sieve.outputs = [{name = "out0"}, {name = "out1"}]
func.func @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @conv(%x: tensor<1x4x4x2xi8>, %f: tensor<4xf32>) -> (tensor<1x4x4x2xi32>, tensor<4xf32>) attributes {sieve.entry} {
  %w = "tosa.const"() <{values = dense<1> : tensor<2x1x1x2xi8>}> : () -> tensor<2x1x1x2xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<2xi32>}> : () -> tensor<2xi32>
  %izp = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.conv2d %x, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xi8>, tensor<2x1x1x2xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
  %1 = call @helper(%f) : (tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<1x4x4x2xi32>, tensor<4xf32>
}

// -----

// Users that disagree: no zero point is recorded.
// CHECK-LABEL: func @disagree
// CHECK-SAME: sieve.inputs = [{name = "in0"}]
func.func @disagree(%x: tensor<8xi8>) -> (tensor<8xi8>, tensor<8xi8>) {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z1 = "tosa.const"() <{values = dense<1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z2 = "tosa.const"() <{values = dense<2> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.rescale %x, %m, %s, %z1, %z1 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<8xi8>
  %1 = tosa.rescale %x, %m, %s, %z2, %z1 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<8xi8>
  return %0, %1 : tensor<8xi8>, tensor<8xi8>
}
