// RUN: sieve-opt %s --sieve-vectorize-int8="isa=avx512" | FileCheck %s

// Depthwise 3x3, stride 2, 3 channels, input zero point 127, on AVX-512
// VNNI: the 16-lane kernel. Its weights are packed [C blocks of 16][groups
// of 3 kernel rows][KW][16 x 4]: for each kernel column the 3 rows' weights
// of a channel and a zero, one int32 lane per channel (channels 3..15 zero).
// The correction is -(zp + 128) * sum(w), vpdpbusd reading the inputs plus
// 128: -255 * 9, -255 * 18, 255 * 9.
// (hex: 01 01 01 00, 02 02 02 00, FF FF FF 00, then zeros, per column).
// CHECK-DAG: memref.global "private" constant @dw2_avx512 : memref<1x1x3x64xi8> = dense<"0x0101010002020200FFFFFF00{{0+}}0101010002020200FFFFFF00{{0+}}0101010002020200FFFFFF00{{0+}}">
// CHECK-DAG: memref.global "private" constant @dw2_zp_correction : memref<16xi32> = dense<[-2295, -4590, 2295, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]>
// CHECK-LABEL: func.func @depthwise
// CHECK-SAME: kernel = "avx512-vnni-dw"
// The 3 channels of each input row as one vector<16xi8> (masked), broadcast
// to the 4 quarters of a zmm, each row's bytes moved to its byte of the
// int32 lanes (vpshufb), or-ed, the sign bits flipped: one column vector.
// CHECK: vector.transfer_read {{.*}} : memref<1x5x5x3xi8>, vector<16xi8>
// CHECK: vector.shuffle {{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"
// CHECK: arith.ori {{.*}} : vector<64xi8>
// CHECK: arith.xori {{.*}} : vector<16xi32>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"({{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// Two output pixels (a row of 2): the stride-2 columns 0..4 serve them, 3
// multiply-adds each.
// CHECK-COUNT-5: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: llvm.x86.avx2.pmadd.wd
// CHECK: vector.transfer_write {{.*}} : vector<16xi32>, memref<1x2x2x3xi32
memref.global "private" constant @dw2 : memref<3x3x3x1xi8> = dense<[[[[1], [2], [-1]], [[1], [2], [-1]], [[1], [2], [-1]]], [[[1], [2], [-1]], [[1], [2], [-1]], [[1], [2], [-1]]], [[[1], [2], [-1]], [[1], [2], [-1]], [[1], [2], [-1]]]]>
func.func @depthwise(%in: memref<1x5x5x3xi8>, %out: memref<1x2x2x3x1xi32>) attributes {sieve.entry} {
  %w = memref.get_global @dw2 : memref<3x3x3x1xi8>
  %izp = arith.constant 127 : i32
  %wzp = arith.constant 0 : i32
  linalg.depthwise_conv_2d_nhwc_hwcm_q {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%in, %w, %izp, %wzp : memref<1x5x5x3xi8>, memref<3x3x3x1xi8>, i32, i32) outs(%out : memref<1x2x2x3x1xi32>)
  return
}
