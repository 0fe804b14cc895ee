// RUN: sieve-opt %s --sieve-vectorize-int8="isa=avx2" --split-input-file -verify-diagnostics | FileCheck %s
// RUN: sieve-opt %s --sieve-vectorize-int8="isa=neon kernels=neon" --split-input-file -verify-diagnostics | FileCheck %s --check-prefix=NEON

// A 1x1 convolution, 3 -> 2 channels, input zero point -128. The weights are
// repacked in pairs of input channels for 8 output channels (the odd third
// channel paired with 0, channels 2..7 zero), and the correction is
// -zp * sum(w) per output channel: 128 * 6, 128 * 3.

// CHECK-DAG: memref.global "private" constant @w_avx2 : memref<1x1x1x2x16xi8> = dense<{{\[\[\[\[}}[1, 2, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [3, 0, -6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]]]>
// CHECK-DAG: memref.global "private" constant @w_zp_correction : memref<8xi32> = dense<[768, 384, 0, 0, 0, 0, 0, 0]>
// The original weights are gone.
// CHECK-NOT: memref.global "private" constant @w :
// CHECK-LABEL: func.func @pointwise
// CHECK-SAME: sieve.int8_kernels = [{kernel = "avx2-pmaddwd", location = "pw", op = "conv", packed_bytes = 64 : i64}]
// CHECK-NOT: linalg.conv
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// NEON-DAG: memref.global "private" constant @w_neon : memref<1x1x1x1x16xi8> = dense<{{\[\[\[\[}}[1, 2, 3, 0, 4, 5, -6, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]]]>
// NEON: kernel = "neon-sdot"
// NEON: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
memref.global "private" constant @w : memref<2x1x1x3xi8> = dense<[[[[1, 2, 3]]], [[[4, 5, -6]]]]>
func.func @pointwise(%in: memref<1x1x5x3xi8>, %out: memref<1x1x5x2xi32>) attributes {sieve.entry} {
  %w = memref.get_global @w : memref<2x1x1x3xi8>
  %izp = arith.constant -128 : i32
  %wzp = arith.constant 0 : i32
  linalg.conv_2d_nhwc_fhwc_q {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%in, %w, %izp, %wzp : memref<1x1x5x3xi8>, memref<2x1x1x3xi8>, i32, i32) outs(%out : memref<1x1x5x2xi32>) loc("pw")
  return
}

// -----

// Depthwise 3x3, stride 2, 3 channels: on x86 the weights of taps 2p and
// 2p + 1 interleaved channel by channel for vpmaddwd (blocks of 8 channels,
// the ninth tap paired with zeros); on AArch64 by blocks of 8 channels per
// tap. Correction -zp * sum over the taps (zero point 127).
// CHECK-DAG: memref.global "private" constant @dw2_avx2 : memref<1x5x16xi8> = dense<{{\[\[}}[1, 1, 2, 2, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 2, 2, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 2, 2, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 2, 2, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 2, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]>
// CHECK-DAG: memref.global "private" constant @dw2_zp_correction : memref<8xi32> = dense<[-1143, -2286, 1143, 0, 0, 0, 0, 0]>
// CHECK-LABEL: func.func @depthwise
// CHECK-SAME: kernel = "avx2-dw"
// CHECK: memref.collapse_shape
// CHECK: vector.shuffle {{.*}} [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15] : vector<8xi8>, vector<8xi8>
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// CHECK-NOT: arith.muli {{.*}} : vector<8xi32>
// NEON-LABEL: func.func @depthwise
// NEON: arith.muli {{.*}} : vector<8xi32>
memref.global "private" constant @dw : memref<3x3x3x1xi8> = dense<1>
memref.global "private" constant @dw2 : memref<3x3x3x1xi8> = dense<[[[[1], [2], [-1]], [[1], [2], [-1]], [[1], [2], [-1]]], [[[1], [2], [-1]], [[1], [2], [-1]], [[1], [2], [-1]]], [[[1], [2], [-1]], [[1], [2], [-1]], [[1], [2], [-1]]]]>
func.func @depthwise(%in: memref<1x5x5x3xi8>, %out: memref<1x2x2x3x1xi32>) attributes {sieve.entry} {
  %w = memref.get_global @dw2 : memref<3x3x3x1xi8>
  %izp = arith.constant 127 : i32
  %wzp = arith.constant 0 : i32
  linalg.depthwise_conv_2d_nhwc_hwcm_q {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%in, %w, %izp, %wzp : memref<1x5x5x3xi8>, memref<3x3x3x1xi8>, i32, i32) outs(%out : memref<1x2x2x3x1xi32>)
  return
}

// -----

// A weight zero point would need per-window input sums: generic, with a
// remark.
memref.global "private" constant @wq : memref<2x1x1x3xi8> = dense<1>
func.func @weight_zero_point(%in: memref<1x1x5x3xi8>, %out: memref<1x1x5x2xi32>) attributes {sieve.entry} {
  %w = memref.get_global @wq : memref<2x1x1x3xi8>
  %izp = arith.constant -128 : i32
  %wzp = arith.constant 3 : i32
  // expected-remark @below {{int8 convolution keeps the generic loops: non-zero weight zero point}}
  linalg.conv_2d_nhwc_fhwc_q {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%in, %w, %izp, %wzp : memref<1x1x5x3xi8>, memref<2x1x1x3xi8>, i32, i32) outs(%out : memref<1x1x5x2xi32>)
  return
}
// CHECK-LABEL: func.func @weight_zero_point
// CHECK-SAME: kernel = "generic"
// CHECK: linalg.conv_2d_nhwc_fhwc_q
