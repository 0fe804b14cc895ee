// RUN: sieve-opt %s -split-input-file | sieve-opt | FileCheck %s
// RUN: sieve-opt %s -split-input-file -canonicalize | FileCheck %s --check-prefix=FOLD

// CHECK-LABEL: func @halo
// CHECK: patch.window %{{.*}}[%{{.*}}, %{{.*}}] step [16, 16] offset [-1, -1] padding -128 : i8 : tensor<1x32x32x16xi8> -> tensor<1x18x18x16xi8>
func.func @halo(%x: tensor<1x32x32x16xi8>, %r: index, %c: index) -> tensor<1x18x18x16xi8> {
  %w = patch.window %x[%r, %c] step [16, 16] offset [-1, -1] padding -128 : i8 : tensor<1x32x32x16xi8> -> tensor<1x18x18x16xi8>
  return %w : tensor<1x18x18x16xi8>
}

// -----

// The only window of a single-patch stage without padding is the input.
// FOLD-LABEL: func @whole
// FOLD-NOT: patch.window
// FOLD: return %arg0
func.func @whole(%x: tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32> {
  %c0 = arith.constant 0 : index
  %w = patch.window %x[%c0, %c0] step [8, 8] offset [0, 0] padding 0.0 : f32 : tensor<1x8x8x4xf32> -> tensor<1x8x8x4xf32>
  return %w : tensor<1x8x8x4xf32>
}

// -----

// A padded window of the same size does not fold.
// FOLD-LABEL: func @padded
// FOLD: patch.window
func.func @padded(%x: tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32> {
  %c0 = arith.constant 0 : index
  %w = patch.window %x[%c0, %c0] step [8, 8] offset [-1, -1] padding 0.0 : f32 : tensor<1x8x8x4xf32> -> tensor<1x8x8x4xf32>
  return %w : tensor<1x8x8x4xf32>
}

// -----

// A stage of two layers (a padded 3x3 depthwise convolution and a ReLU) run
// over 2x3 patches of 16x11 outputs; the weights come from above.
// CHECK-LABEL: func @stage
// CHECK: %[[Y:.*]] = patch.stage(%{{.*}}) grid [2, 3] tile [16, 11] halo [2, 2, 0, 0, 0, 0] strategy "cache" : (tensor<1x32x32x8xf32>) -> tensor<1x32x32x8xf32> {
// CHECK-NEXT: ^bb0(%[[IN:.*]]: tensor<1x32x32x8xf32>):
// CHECK: tensor.pad %[[IN]]
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK: linalg.generic
// CHECK: patch.yield %{{.*}} : tensor<1x32x32x8xf32>
// CHECK: return %[[Y]]
func.func @stage(%x: tensor<1x32x32x8xf32>) -> tensor<1x32x32x8xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x8xf32>
  %zero = arith.constant 0.0 : f32
  %y = patch.stage(%x) grid [2, 3] tile [16, 11] halo [2, 2, 0, 0, 0, 0] strategy "cache" : (tensor<1x32x32x8xf32>) -> tensor<1x32x32x8xf32> {
  ^bb0(%in: tensor<1x32x32x8xf32>):
    %p = tensor.pad %in low[0, 1, 1, 0] high[0, 1, 1, 0] {
    ^bb0(%a: index, %b: index, %c: index, %d: index):
      tensor.yield %zero : f32
    } : tensor<1x32x32x8xf32> to tensor<1x34x34x8xf32>
    %e = tensor.empty() : tensor<1x32x32x8xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x32x32x8xf32>) -> tensor<1x32x32x8xf32>
    %c = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%p, %w : tensor<1x34x34x8xf32>, tensor<3x3x8xf32>) outs(%f : tensor<1x32x32x8xf32>) -> tensor<1x32x32x8xf32>
    %r = linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%c : tensor<1x32x32x8xf32>) outs(%e : tensor<1x32x32x8xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %zero : f32
      linalg.yield %m : f32
    } -> tensor<1x32x32x8xf32>
    patch.yield %r : tensor<1x32x32x8xf32>
  }
  return %y : tensor<1x32x32x8xf32>
}

// -----

// A stage that ends in a global pooling: grid and tile are those of the
// pooling's 8x8 input, which the patches accumulate.
// CHECK-LABEL: func @global
// CHECK: patch.stage(%{{.*}}) grid [2, 4] tile [4, 2] halo [0, 0] strategy "recompute" : (tensor<1x8x8x4xf32>) -> tensor<1x1x1x4xf32>
func.func @global(%x: tensor<1x8x8x4xf32>) -> tensor<1x1x1x4xf32> {
  %zero = arith.constant 0.0 : f32
  %y = patch.stage(%x) grid [2, 4] tile [4, 2] halo [0, 0] strategy "recompute" : (tensor<1x8x8x4xf32>) -> tensor<1x1x1x4xf32> {
  ^bb0(%in: tensor<1x8x8x4xf32>):
    %k = tensor.empty() : tensor<8x8xf32>
    %e = tensor.empty() : tensor<1x1x1x4xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32>
    %s = linalg.pooling_nhwc_sum {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
        ins(%in, %k : tensor<1x8x8x4xf32>, tensor<8x8xf32>) outs(%f : tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32>
    patch.yield %s : tensor<1x1x1x4xf32>
  }
  return %y : tensor<1x1x1x4xf32>
}
