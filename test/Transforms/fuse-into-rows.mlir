// RUN: sieve-opt %s -split-input-file -sieve-fuse-into-rows -canonicalize | FileCheck %s

// An int8 convolution whose int32 result only a requantising op reads: both
// run row by row, with the accumulator init and the padding inside the loop.
// CHECK-LABEL: func @requantised_conv
// CHECK-NOT: tensor<1x8x8x4xi32>
// CHECK: scf.for %[[ROW:[a-z0-9_]+]] = %c0 to %c8 step %c1 iter_args(%[[OUT:[a-z0-9_]+]] = %{{[a-z0-9_]+}}) -> (tensor<1x8x8x4xi8>)
// Every row reads some of the input: no guard for rows all in the padding
// (it would fill a second padded buffer).
// CHECK-NOT: scf.if
// CHECK: tensor.pad
// CHECK: linalg.fill {{.*}} -> tensor<1x1x8x4xi32>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x1x8x4xi32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x1x8x4xi32>) outs(%{{.*}} : tensor<1x1x8x4xi8>)
// CHECK: tensor.insert_slice %{{.*}} into %[[OUT]][0, %[[ROW]], 0, 0] [1, 1, 8, 4]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @requantised_conv(%x: tensor<1x8x8x2xi8>, %w: tensor<3x3x2x4xi8>) -> tensor<1x8x8x4xi8> {
  %c0 = arith.constant 0 : i32
  %pad = arith.constant -128 : i8
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %pad : i8
  } : tensor<1x8x8x2xi8> to tensor<1x10x10x2xi8>
  %e = tensor.empty() : tensor<1x8x8x4xi32>
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x8x8x4xi32>) -> tensor<1x8x8x4xi32>
  %acc = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w : tensor<1x10x10x2xi8>, tensor<3x3x2x4xi8>) outs(%z : tensor<1x8x8x4xi32>) -> tensor<1x8x8x4xi32>
  %e8 = tensor.empty() : tensor<1x8x8x4xi8>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : tensor<1x8x8x4xi32>) outs(%e8 : tensor<1x8x8x4xi8>) {
  ^bb0(%a: i32, %o: i8):
    %t = arith.trunci %a : i32 to i8
    linalg.yield %t : i8
  } -> tensor<1x8x8x4xi8>
  return %q : tensor<1x8x8x4xi8>
}

// -----

// A float convolution without padding gains nothing from rows: unchanged.
// CHECK-LABEL: func @float_conv
// CHECK-NOT: scf.for
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @float_conv(%x: tensor<1x8x8x2xf32>, %w: tensor<1x1x2x4xf32>) -> tensor<1x8x8x4xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x8x4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %acc = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x8x8x2xf32>, tensor<1x1x2x4xf32>) outs(%z : tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : tensor<1x8x8x4xf32>) outs(%e : tensor<1x8x8x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %c0 : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x4xf32>
  return %r : tensor<1x8x8x4xf32>
}

// -----

// The accumulators are read twice: computing them by rows would compute
// them twice. Unchanged.
// CHECK-LABEL: func @accumulators_used_twice
// CHECK-NOT: scf.for
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @accumulators_used_twice(%a: tensor<4x8xi8>, %b: tensor<8x4xi8>) -> (tensor<4x4xi8>, tensor<4x4xi32>) {
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<4x4xi32>
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<4x4xi32>) -> tensor<4x4xi32>
  %acc = linalg.matmul ins(%a, %b : tensor<4x8xi8>, tensor<8x4xi8>) outs(%z : tensor<4x4xi32>) -> tensor<4x4xi32>
  %e8 = tensor.empty() : tensor<4x4xi8>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc : tensor<4x4xi32>) outs(%e8 : tensor<4x4xi8>) {
  ^bb0(%x: i32, %o: i8):
    %t = arith.trunci %x : i32 to i8
    linalg.yield %t : i8
  } -> tensor<4x4xi8>
  return %q, %acc : tensor<4x4xi8>, tensor<4x4xi32>
}
