// RUN: sieve-opt %s -split-input-file -sieve-lower-attention -canonicalize | FileCheck %s
// RUN: sieve-opt %s -split-input-file -sieve-lower-attention=fuse-query-conv=false -canonicalize | FileCheck %s --check-prefix=OFF

// Convolutional self-attention: Q is a causal conv (kernel 3, dilation 2:
// 4 zeros on the left) of %x, as lower-tosa leaves tosa.conv2d. The flash
// lowering computes each query block from %x, the weights and the bias
// (vector FMAs over 16 of the 20 channels, the last 4 as scalars, the taps
// before the sequence start skipped), so the convolution, its bias broadcast and the reshapes of Q are
// gone. Execution: test/Execution/attention-conv.test.
// CHECK-LABEL: func @fused
// CHECK-NOT: linalg.conv_2d_nhwc_fhwc
// CHECK-NOT: tensor.pad
// CHECK: scf.forall
// CHECK: arith.ceildivsi
// CHECK: vector.transfer_read %{{.*}} : tensor<1x1x50x20xf32>, vector<16xf32>
// CHECK: vector.transfer_read %{{.*}} : tensor<20x1x3x20xf32>, vector<16xf32>
// CHECK: vector.fma
// CHECK: tensor.extract %{{.*}} : tensor<1x1x50x20xf32>
// CHECK: vector.reduction <add>
// CHECK-NOT: linalg.conv_2d_nhwc_fhwc
// OFF-LABEL: func @fused
// OFF: linalg.conv_2d_nhwc_fhwc
// OFF-NOT: vector.reduction
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused(%x: tensor<1x1x50x20xf32>, %w: tensor<20x1x3x20xf32>, %b: tensor<20xf32>, %k: tensor<1x5x50x4xf32>, %v: tensor<1x5x50x4xf32>) -> tensor<1x5x50x4xf32> {
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %x low[0, 0, 4, 0] high[0, 0, 0, 0] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %zero : f32
  } : tensor<1x1x50x20xf32> to tensor<1x1x54x20xf32>
  %e = tensor.empty() : tensor<1x1x50x20xf32>
  %init = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : tensor<20xf32>) outs(%e : tensor<1x1x50x20xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x1x50x20xf32>
  %c = linalg.conv_2d_nhwc_fhwc {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%padded, %w : tensor<1x1x54x20xf32>, tensor<20x1x3x20xf32>) outs(%init : tensor<1x1x50x20xf32>) -> tensor<1x1x50x20xf32>
  %col = tensor.collapse_shape %c [[0, 1], [2], [3]] : tensor<1x1x50x20xf32> into tensor<1x50x20xf32>
  %heads = tensor.expand_shape %col [[0], [1], [2, 3]] output_shape [1, 50, 5, 4] : tensor<1x50x20xf32> into tensor<1x50x5x4xf32>
  %t = tensor.empty() : tensor<1x5x50x4xf32>
  %q = linalg.transpose ins(%heads : tensor<1x50x5x4xf32>) outs(%t : tensor<1x5x50x4xf32>) permutation = [0, 2, 1, 3]
  %o = attn.attention %q, %k, %v {attn.query_conv = 3 : i64, scale = 0.5 : f32, causal} : tensor<1x5x50x4xf32>, tensor<1x5x50x4xf32>, tensor<1x5x50x4xf32> -> tensor<1x5x50x4xf32>
  return %o : tensor<1x5x50x4xf32>
}

// -----

// The convolution's output is also a result: it runs anyway, so Q is read
// as usual (no saving to be had).
// CHECK-LABEL: func @shared
// CHECK: linalg.conv_2d_nhwc_fhwc
// CHECK-NOT: vector.reduction
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @shared(%x: tensor<1x1x50x20xf32>, %w: tensor<20x1x3x20xf32>, %b: tensor<20xf32>, %k: tensor<1x5x50x4xf32>, %v: tensor<1x5x50x4xf32>) -> (tensor<1x5x50x4xf32>, tensor<1x1x50x20xf32>) {
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %x low[0, 0, 2, 0] high[0, 0, 0, 0] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %zero : f32
  } : tensor<1x1x50x20xf32> to tensor<1x1x52x20xf32>
  %e = tensor.empty() : tensor<1x1x50x20xf32>
  %init = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : tensor<20xf32>) outs(%e : tensor<1x1x50x20xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x1x50x20xf32>
  %c = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%padded, %w : tensor<1x1x52x20xf32>, tensor<20x1x3x20xf32>) outs(%init : tensor<1x1x50x20xf32>) -> tensor<1x1x50x20xf32>
  %col = tensor.collapse_shape %c [[0, 1], [2], [3]] : tensor<1x1x50x20xf32> into tensor<1x50x20xf32>
  %heads = tensor.expand_shape %col [[0], [1], [2, 3]] output_shape [1, 50, 5, 4] : tensor<1x50x20xf32> into tensor<1x50x5x4xf32>
  %t = tensor.empty() : tensor<1x5x50x4xf32>
  %q = linalg.transpose ins(%heads : tensor<1x50x5x4xf32>) outs(%t : tensor<1x5x50x4xf32>) permutation = [0, 2, 1, 3]
  %o = attn.attention %q, %k, %v {attn.query_conv = 3 : i64, scale = 0.5 : f32, causal} : tensor<1x5x50x4xf32>, tensor<1x5x50x4xf32>, tensor<1x5x50x4xf32> -> tensor<1x5x50x4xf32>
  return %o, %c : tensor<1x5x50x4xf32>, tensor<1x1x50x20xf32>
}

// -----

// A convolution that pads on the right too sees the next position; the
// lowering checks the padding itself (here 2 zeros for a kernel of 2).
// CHECK-LABEL: func @not_causal
// CHECK: linalg.conv_2d_nhwc_fhwc
// CHECK-NOT: vector.reduction
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @not_causal(%x: tensor<1x1x50x20xf32>, %w: tensor<20x1x2x20xf32>, %b: tensor<20xf32>, %k: tensor<1x5x51x4xf32>, %v: tensor<1x5x51x4xf32>) -> tensor<1x5x51x4xf32> {
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %x low[0, 0, 2, 0] high[0, 0, 0, 0] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %zero : f32
  } : tensor<1x1x50x20xf32> to tensor<1x1x52x20xf32>
  %e = tensor.empty() : tensor<1x1x51x20xf32>
  %init = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : tensor<20xf32>) outs(%e : tensor<1x1x51x20xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x1x51x20xf32>
  %c = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%padded, %w : tensor<1x1x52x20xf32>, tensor<20x1x2x20xf32>) outs(%init : tensor<1x1x51x20xf32>) -> tensor<1x1x51x20xf32>
  %col = tensor.collapse_shape %c [[0, 1], [2], [3]] : tensor<1x1x51x20xf32> into tensor<1x51x20xf32>
  %heads = tensor.expand_shape %col [[0], [1], [2, 3]] output_shape [1, 51, 5, 4] : tensor<1x51x20xf32> into tensor<1x51x5x4xf32>
  %t = tensor.empty() : tensor<1x5x51x4xf32>
  %q = linalg.transpose ins(%heads : tensor<1x51x5x4xf32>) outs(%t : tensor<1x5x51x4xf32>) permutation = [0, 2, 1, 3]
  %o = attn.attention %q, %k, %v {attn.query_conv = 2 : i64, scale = 0.5 : f32, causal} : tensor<1x5x51x4xf32>, tensor<1x5x51x4xf32>, tensor<1x5x51x4xf32> -> tensor<1x5x51x4xf32>
  return %o : tensor<1x5x51x4xf32>
}

// -----

// TensorFlow's form: linalg.conv_1d_nwc_wcf on [B, L + P, C] with weights
// [k, C, F] (channels not innermost in the weights: scalar channel loop),
// the output [B, L, F] split into heads directly.
// CHECK-LABEL: func @nwc
// CHECK-NOT: linalg.conv_1d_nwc_wcf
// CHECK-NOT: tensor.pad
// CHECK: scf.forall
// CHECK: arith.ceildivsi
// CHECK: tensor.extract %{{.*}} : tensor<1x50x20xf32>
// CHECK: tensor.extract %{{.*}} : tensor<3x20x20xf32>
// CHECK-NOT: linalg.conv_1d_nwc_wcf
// OFF-LABEL: func @nwc
// OFF: linalg.conv_1d_nwc_wcf
#bias3 = affine_map<(d0, d1, d2) -> (d2)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @nwc(%x: tensor<1x50x20xf32>, %w: tensor<3x20x20xf32>, %b: tensor<20xf32>, %k: tensor<1x5x50x4xf32>, %v: tensor<1x5x50x4xf32>) -> tensor<1x5x50x4xf32> {
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %x low[0, 4, 0] high[0, 0, 0] {
  ^bb0(%i0: index, %i1: index, %i2: index):
    tensor.yield %zero : f32
  } : tensor<1x50x20xf32> to tensor<1x54x20xf32>
  %e = tensor.empty() : tensor<1x50x20xf32>
  %init = linalg.generic {indexing_maps = [#bias3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%b : tensor<20xf32>) outs(%e : tensor<1x50x20xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x50x20xf32>
  %c = linalg.conv_1d_nwc_wcf {dilations = dense<2> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>} ins(%padded, %w : tensor<1x54x20xf32>, tensor<3x20x20xf32>) outs(%init : tensor<1x50x20xf32>) -> tensor<1x50x20xf32>
  %heads = tensor.expand_shape %c [[0], [1], [2, 3]] output_shape [1, 50, 5, 4] : tensor<1x50x20xf32> into tensor<1x50x5x4xf32>
  %t = tensor.empty() : tensor<1x5x50x4xf32>
  %q = linalg.transpose ins(%heads : tensor<1x50x5x4xf32>) outs(%t : tensor<1x5x50x4xf32>) permutation = [0, 2, 1, 3]
  %o = attn.attention %q, %k, %v {attn.query_conv = 3 : i64, scale = 0.5 : f32, causal} : tensor<1x5x50x4xf32>, tensor<1x5x50x4xf32>, tensor<1x5x50x4xf32> -> tensor<1x5x50x4xf32>
  return %o : tensor<1x5x50x4xf32>
}

// -----

// torch's form: linalg.conv_1d_ncw_fcw on [B, C, L + P] with weights
// [F, C, k], its output [B, F, L] transposed to [B, L, F] before the heads
// split; the bias a fill.
// CHECK-LABEL: func @ncw
// CHECK-NOT: linalg.conv_1d_ncw_fcw
// CHECK-NOT: tensor.pad
// CHECK: scf.forall
// CHECK: tensor.extract %{{.*}} : tensor<1x20x50xf32>
// CHECK: tensor.extract %{{.*}} : tensor<20x20x2xf32>
// CHECK-NOT: linalg.conv_1d_ncw_fcw
// OFF-LABEL: func @ncw
// OFF: linalg.conv_1d_ncw_fcw
func.func @ncw(%x: tensor<1x20x50xf32>, %w: tensor<20x20x2xf32>, %k: tensor<1x5x50x4xf32>, %v: tensor<1x5x50x4xf32>) -> tensor<1x5x50x4xf32> {
  %zero = arith.constant 0.0 : f32
  %bias = arith.constant 0.25 : f32
  %padded = tensor.pad %x low[0, 0, 1] high[0, 0, 0] {
  ^bb0(%i0: index, %i1: index, %i2: index):
    tensor.yield %zero : f32
  } : tensor<1x20x50xf32> to tensor<1x20x51xf32>
  %e = tensor.empty() : tensor<1x20x50xf32>
  %init = linalg.fill ins(%bias : f32) outs(%e : tensor<1x20x50xf32>) -> tensor<1x20x50xf32>
  %c = linalg.conv_1d_ncw_fcw {dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>} ins(%padded, %w : tensor<1x20x51xf32>, tensor<20x20x2xf32>) outs(%init : tensor<1x20x50xf32>) -> tensor<1x20x50xf32>
  %ct = tensor.empty() : tensor<1x50x20xf32>
  %flat = linalg.transpose ins(%c : tensor<1x20x50xf32>) outs(%ct : tensor<1x50x20xf32>) permutation = [0, 2, 1]
  %heads = tensor.expand_shape %flat [[0], [1], [2, 3]] output_shape [1, 50, 5, 4] : tensor<1x50x20xf32> into tensor<1x50x5x4xf32>
  %t = tensor.empty() : tensor<1x5x50x4xf32>
  %q = linalg.transpose ins(%heads : tensor<1x50x5x4xf32>) outs(%t : tensor<1x5x50x4xf32>) permutation = [0, 2, 1, 3]
  %o = attn.attention %q, %k, %v {attn.query_conv = 2 : i64, scale = 0.5 : f32, causal} : tensor<1x5x50x4xf32>, tensor<1x5x50x4xf32>, tensor<1x5x50x4xf32> -> tensor<1x5x50x4xf32>
  return %o : tensor<1x5x50x4xf32>
}

// -----

// TensorFlow's 2-D form with a 1 x k kernel: linalg.conv_2d_nhwc_hwcf on
// [B, 1, L + P, C] with weights [1, k, C, F].
// CHECK-LABEL: func @hwcf
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT: tensor.pad
// CHECK: scf.forall
// CHECK: tensor.extract %{{.*}} : tensor<1x1x50x20xf32>
// CHECK: tensor.extract %{{.*}} : tensor<1x3x20x20xf32>
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// OFF-LABEL: func @hwcf
// OFF: linalg.conv_2d_nhwc_hwcf
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @hwcf(%x: tensor<1x1x50x20xf32>, %w: tensor<1x3x20x20xf32>, %b: tensor<20xf32>, %k: tensor<1x5x50x4xf32>, %v: tensor<1x5x50x4xf32>) -> tensor<1x5x50x4xf32> {
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %x low[0, 0, 2, 0] high[0, 0, 0, 0] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %zero : f32
  } : tensor<1x1x50x20xf32> to tensor<1x1x52x20xf32>
  %e = tensor.empty() : tensor<1x1x50x20xf32>
  %init = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : tensor<20xf32>) outs(%e : tensor<1x1x50x20xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x1x50x20xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%padded, %w : tensor<1x1x52x20xf32>, tensor<1x3x20x20xf32>) outs(%init : tensor<1x1x50x20xf32>) -> tensor<1x1x50x20xf32>
  %col = tensor.collapse_shape %c [[0, 1], [2], [3]] : tensor<1x1x50x20xf32> into tensor<1x50x20xf32>
  %heads = tensor.expand_shape %col [[0], [1], [2, 3]] output_shape [1, 50, 5, 4] : tensor<1x50x20xf32> into tensor<1x50x5x4xf32>
  %t = tensor.empty() : tensor<1x5x50x4xf32>
  %q = linalg.transpose ins(%heads : tensor<1x50x5x4xf32>) outs(%t : tensor<1x5x50x4xf32>) permutation = [0, 2, 1, 3]
  %o = attn.attention %q, %k, %v {attn.query_conv = 3 : i64, scale = 0.5 : f32, causal} : tensor<1x5x50x4xf32>, tensor<1x5x50x4xf32>, tensor<1x5x50x4xf32> -> tensor<1x5x50x4xf32>
  return %o : tensor<1x5x50x4xf32>
}
