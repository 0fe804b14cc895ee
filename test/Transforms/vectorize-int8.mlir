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

// -----

// A fused requantisation (TOSA apply_scale with double rounding, as
// tosa-to-arith writes it in 64-bit arithmetic): on x86 it is computed in
// the 32-bit lanes paired in 64-bit ones (the products of the even and the
// odd lanes, logical 64-bit shifts by min(s, 32), a 32-bit arithmetic shift
// by the rest), never in vectors of int64 that would need widening and
// narrowing. AArch64 keeps the 64-bit form.
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
memref.global "private" constant @wr : memref<8x1x1x4xi8> = dense<3>
memref.global "private" constant @mult : memref<8xi32> = dense<1073741824>
memref.global "private" constant @shift : memref<8xi8> = dense<40>
func.func @requant(%in: memref<1x1x4x4xi8>, %res: memref<1x1x4x8xi8>) attributes {sieve.entry} {
  %c1_i64 = arith.constant 1 : i64
  %c0_i32 = arith.constant 0 : i32
  %c31_i32 = arith.constant 31 : i32
  %pos = arith.constant 1073741824 : i64
  %neg = arith.constant -1073741824 : i64
  %w = memref.get_global @wr : memref<8x1x1x4xi8>
  %m = memref.get_global @mult : memref<8xi32>
  %s = memref.get_global @shift : memref<8xi8>
  %izp = arith.constant -128 : i32
  %wzp = arith.constant 0 : i32
  %acc = memref.alloc() : memref<1x1x4x8xi32>
  linalg.conv_2d_nhwc_fhwc_q {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%in, %w, %izp, %wzp : memref<1x1x4x4xi8>, memref<8x1x1x4xi8>, i32, i32) outs(%acc : memref<1x1x4x8xi32>)
  linalg.generic {indexing_maps = [#id, #ch, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %m, %s : memref<1x1x4x8xi32>, memref<8xi32>, memref<8xi8>) outs(%res : memref<1x1x4x8xi8>) {
  ^bb0(%v: i32, %mu: i32, %sh: i8, %o: i8):
    %0 = arith.extui %sh : i8 to i32
    %1 = arith.extsi %v : i32 to i64
    %2 = arith.extsi %mu : i32 to i64
    %3 = arith.muli %1, %2 : i64
    %4 = arith.extui %sh : i8 to i64
    %5 = arith.shli %c1_i64, %4 : i64
    %6 = arith.shrui %5, %c1_i64 : i64
    %7 = arith.addi %3, %6 : i64
    %8 = arith.cmpi sge, %v, %c0_i32 : i32
    %9 = arith.select %8, %pos, %neg : i64
    %10 = arith.addi %9, %7 : i64
    %11 = arith.cmpi sgt, %0, %c31_i32 : i32
    %12 = arith.select %11, %10, %7 : i64
    %13 = arith.shrsi %12, %4 : i64
    %14 = arith.trunci %13 : i64 to i32
    %15 = arith.trunci %14 : i32 to i8
    linalg.yield %15 : i8
  }
  return
}
// CHECK-LABEL: func.func @requant
// CHECK-SAME: fused = "requant"
// CHECK-NOT: linalg.generic
// CHECK-NOT: vector<8xi64>
// The shifts are constants above 31: the high words of the 64-bit sums,
// blended, then shifted by the rest (8).
// CHECK: arith.muli {{.*}} : vector<4xi64>
// CHECK-NOT: arith.minui
// CHECK: arith.shrui {{.*}} : vector<4xi64>
// CHECK: vector.shuffle {{.*}} [0, 9, 2, 11, 4, 13, 6, 15] : vector<8xi32>, vector<8xi32>
// CHECK: %[[REST:.*]] = arith.constant dense<8> : vector<8xi32>
// CHECK: arith.shrsi {{.*}}, %[[REST]] : vector<8xi32>
// CHECK: vector.store {{.*}} : memref<1x1x4x8xi8>, vector<8xi8>
// On NEON, where the shifts are constants above 31 and no multiplier is
// INT32_MIN: sqrdmulh, minus 1 for negative values (v >> 31), then a rounding shift
// by 31 - s (srshl), in int32 lanes.
// NEON-LABEL: func.func @requant
// NEON-NOT: vector<4xi64>
// NEON: llvm.call_intrinsic "llvm.aarch64.neon.sqrdmulh.v4i32"
// NEON: arith.shrsi {{.*}} : vector<4xi32>
// NEON: llvm.call_intrinsic "llvm.aarch64.neon.srshl.v4i32"
// NEON-NOT: vector<4xi64>
// NEON: vector.store {{.*}} : memref<1x1x4x8xi8>, vector<4xi8>

// -----

// The 3-channel stem (3x3, stride 2) on x86 in the window form: the 9 bytes
// of each row of taps are the channels of a 1-tap convolution, weights
// [F blocks][KH][1][5 pairs][8 x 2] (the ninth byte paired with 0), read
// from the input as [N, H, W x C] with one 8-byte load (broadcast to both
// halves) and the ninth byte alone. Correction 128 * 27 per channel. AArch64
// keeps the per-tap form.
// CHECK-DAG: memref.global "private" constant @ws_window_avx2 : memref<1x3x1x5x16xi8>
// CHECK-DAG: memref.global "private" constant @ws_window_zp_correction : memref<8xi32> = dense<[3456, 3456, 0, 0, 0, 0, 0, 0]>
// CHECK-LABEL: func.func @stem
// CHECK-SAME: kernel = "avx2-pmaddwd-window"
// CHECK: memref.collapse_shape {{.*}} into memref<1x5x15xi8>
// CHECK: vector.load {{.*}} : memref<1x5x15xi8>, vector<8xi8>
// CHECK: vector.shuffle {{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7] : vector<8xi8>, vector<8xi8>
// CHECK: vector.shuffle {{.*}} [1, 1, 1, 1, 5, 5, 5, 5] : vector<8xi32>, vector<8xi32>
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// CHECK: memref.load {{.*}} : memref<1x5x15xi8>
// NEON-LABEL: func.func @stem
// NEON-SAME: kernel = "neon-sdot"
memref.global "private" constant @ws : memref<2x3x3x3xi8> = dense<1>
func.func @stem(%in: memref<1x5x5x3xi8>, %out: memref<1x2x2x2xi32>) attributes {sieve.entry} {
  %w = memref.get_global @ws : memref<2x3x3x3xi8>
  %izp = arith.constant -128 : i32
  %wzp = arith.constant 0 : i32
  linalg.conv_2d_nhwc_fhwc_q {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%in, %w, %izp, %wzp : memref<1x5x5x3xi8>, memref<2x3x3x3xi8>, i32, i32) outs(%out : memref<1x2x2x2xi32>)
  return
}
