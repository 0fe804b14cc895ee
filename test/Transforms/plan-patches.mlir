// RUN: sieve-opt %s -sieve-plan-patches="split=0-1 grid=2x2 strategies=recompute" | FileCheck %s
// RUN: sieve-opt %s -sieve-plan-patches="split=0-1 grid=2x2 strategies=cache rule=msf-cnn" | FileCheck %s --check-prefix=CACHE
// RUN: sieve-opt %s -sieve-plan-patches="memory-budget=1000000" | FileCheck %s --check-prefix=FITS
// RUN: sieve-opt %s -sieve-plan-patches="mode=off split=0-1" | FileCheck %s --check-prefix=OFF

// A 3x3 convolution with dilation 2 (padding 2), a ReLU, then a 3x3
// depthwise convolution with stride 2 (padding 1): two layers, read from the
// indexing maps. Over 2x2 patches of the 10x10 output, the bottom/right
// patches read conv rows 9..19 (11 rows, one beyond their share of 10): a
// halo of 1 for the conv layer's ops (its padding, the conv and the ReLU),
// none for the depthwise's.

// CHECK-LABEL: func @dilated
// CHECK-SAME: sieve.patch_plan = {
// CHECK-SAME: mac_overhead = 1.0964705882352941
// CHECK-SAME: macs = 67104
// CHECK-SAME: plain_macs = 61200
// CHECK-SAME: grid = array<i64: 2, 2>, halo = array<i64: 1, 1, 0, 0>, last = "linalg.depthwise_conv_2d_nhwc_hwc
// CHECK-SAME: strategy = "recompute", tile = array<i64: 5, 5>
// CHECK: %[[Y:.*]] = patch.stage(%arg0) grid [2, 2] tile [5, 5] halo [1, 1, 1, 1, 1, 1, 0, 0, 0, 0] strategy "recompute" : (tensor<1x20x20x4xf32>) -> tensor<1x10x10x4xf32> {
// CHECK-NEXT: ^bb0(%[[IN:.*]]: tensor<1x20x20x4xf32>):
// CHECK: tensor.pad %[[IN]] low[0, 2, 2, 0]
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK: linalg.generic
// CHECK: tensor.pad
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK: patch.yield
// CHECK: return %[[Y]]

// Caching the columns along each row of patches computes the conv's
// columns once: 21 x 20 instead of 21 x 21.
// CACHE: mac_overhead = 1.0470588235294118
// CACHE: patch.stage(%arg0) grid [2, 2] tile [5, 5] halo [1, 1, 1, 1, 1, 1, 0, 0, 0, 0] strategy "cache"

// Without a forced split and with a budget the plain plan meets, nothing
// changes (mode=auto).
// FITS: sieve.patch_plan = {
// FITS-SAME: mac_overhead = 1.000000e+00
// FITS-SAME: stages = []
// FITS-NOT: patch.stage

// OFF-NOT: sieve.patch_plan
// OFF-NOT: patch.stage

#in = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @dilated(%x: tensor<1x20x20x4xf32>) -> tensor<1x10x10x4xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.25> : tensor<3x3x4x4xf32>
  %dw = arith.constant dense<0.5> : tensor<3x3x4xf32>
  %p = tensor.pad %x low[0, 2, 2, 0] high[0, 2, 2, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x20x20x4xf32> to tensor<1x24x24x4xf32>
  %e = tensor.empty() : tensor<1x20x20x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x20x20x4xf32>) -> tensor<1x20x20x4xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w : tensor<1x24x24x4xf32>, tensor<3x3x4x4xf32>) outs(%f : tensor<1x20x20x4xf32>) -> tensor<1x20x20x4xf32>
  %r = linalg.generic {indexing_maps = [#in, #in], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<1x20x20x4xf32>) outs(%e : tensor<1x20x20x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.maximumf %v, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x20x20x4xf32>
  %p2 = tensor.pad %r low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c2: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x20x20x4xf32> to tensor<1x22x22x4xf32>
  %e2 = tensor.empty() : tensor<1x10x10x4xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x10x10x4xf32>) -> tensor<1x10x10x4xf32>
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%p2, %dw : tensor<1x22x22x4xf32>, tensor<3x3x4xf32>) outs(%f2 : tensor<1x10x10x4xf32>) -> tensor<1x10x10x4xf32>
  return %y : tensor<1x10x10x4xf32>
}
