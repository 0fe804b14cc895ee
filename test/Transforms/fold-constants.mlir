// RUN: sieve-opt %s -split-input-file -sieve-fold-constants | FileCheck %s

// torch-mlir's linear layer: a transpose of the constant weight. A
// transposed splat is a splat.
// CHECK-LABEL: func @transposed_splat
// CHECK-NOT: linalg.generic
// CHECK: %[[W:.*]] = arith.constant dense<5.000000e-01> : tensor<1024x1000xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %[[W]] : tensor<1x1024xf32>, tensor<1024x1000xf32>)
func.func @transposed_splat(%x: tensor<1x1024xf32>, %acc: tensor<1x1000xf32>) -> tensor<1x1000xf32> {
  %w = arith.constant dense<0.5> : tensor<1000x1024xf32>
  %e = tensor.empty() : tensor<1024x1000xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<1000x1024xf32>) outs(%e : tensor<1024x1000xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1024x1000xf32>
  %r = linalg.matmul ins(%x, %t : tensor<1x1024xf32>, tensor<1024x1000xf32>) outs(%acc : tensor<1x1000xf32>) -> tensor<1x1000xf32>
  return %r : tensor<1x1000xf32>
}

// -----

// After elementwise fusion the splat is a scalar in the body and the generic
// has no input at all; casts and arithmetic fold too.
// CHECK-LABEL: func @computed_splat
// CHECK: %[[W:.*]] = arith.constant dense<-6> : tensor<16x4xi32>
// CHECK: linalg.matmul ins(%{{.*}}, %[[W]]
func.func @computed_splat(%x: tensor<1x16xi32>, %acc: tensor<1x4xi32>) -> tensor<1x4xi32> {
  %c3 = arith.constant 3 : i8
  %m2 = arith.constant -2 : i32
  %e = tensor.empty() : tensor<16x4xi32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<16x4xi32>) {
  ^bb0(%out: i32):
    %w = arith.extsi %c3 : i8 to i32
    %s = arith.muli %w, %m2 : i32
    linalg.yield %s : i32
  } -> tensor<16x4xi32>
  %r = linalg.matmul ins(%x, %t : tensor<1x16xi32>, tensor<16x4xi32>) outs(%acc : tensor<1x4xi32>) -> tensor<1x4xi32>
  return %r : tensor<1x4xi32>
}

// -----

// A dense constant that is only rearranged is permuted at compile time.
// CHECK-LABEL: func @transposed_dense
// CHECK: arith.constant dense<{{\[}}[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi32>
// CHECK-NOT: linalg.transpose
func.func @transposed_dense(%x: tensor<1x3xi32>, %acc: tensor<1x2xi32>) -> tensor<1x2xi32> {
  %w = arith.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
  %e = tensor.empty() : tensor<3x2xi32>
  %t = linalg.transpose ins(%w : tensor<2x3xi32>) outs(%e : tensor<3x2xi32>) permutation = [1, 0]
  %r = linalg.matmul ins(%x, %t : tensor<1x3xi32>, tensor<3x2xi32>) outs(%acc : tensor<1x2xi32>) -> tensor<1x2xi32>
  return %r : tensor<1x2xi32>
}

// -----

// An accumulator init stays a fill (scratch is cheaper to fill than to copy
// from flash), and so does anything that reads an input.
// CHECK-LABEL: func @kept
// CHECK: linalg.fill
// CHECK: linalg.generic
func.func @kept(%x: tensor<1x3xi32>, %w: tensor<3x2xi32>, %b: tensor<2xi32>) -> tensor<1x2xi32> {
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x2xi32>
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x2xi32>) -> tensor<1x2xi32>
  %r = linalg.matmul ins(%x, %w : tensor<1x3xi32>, tensor<3x2xi32>) outs(%z : tensor<1x2xi32>) -> tensor<1x2xi32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%b : tensor<2xi32>) outs(%r : tensor<1x2xi32>) {
  ^bb0(%in: i32, %out: i32):
    %a = arith.addi %in, %out : i32
    linalg.yield %a : i32
  } -> tensor<1x2xi32>
  return %s : tensor<1x2xi32>
}

// -----

// A fill inserted into another tensor (a patch window's border) stays a
// fill: it writes the window's slice in place, where a splat constant would
// be a global in flash copied there.
// CHECK-LABEL: func @inserted_fill
// CHECK-NOT: arith.constant dense
// CHECK: %[[F:.+]] = linalg.fill ins(%{{.+}} : i8) outs(%{{.+}} : tensor<1x2x16xi8>)
// CHECK: tensor.insert_slice %[[F]]
func.func @inserted_fill(%window: tensor<3x3x16xi8>) -> tensor<3x3x16xi8> {
  %pad = arith.constant -128 : i8
  %box = tensor.extract_slice %window[0, 1, 0] [1, 2, 16] [1, 1, 1] : tensor<3x3x16xi8> to tensor<1x2x16xi8>
  %f = linalg.fill ins(%pad : i8) outs(%box : tensor<1x2x16xi8>) -> tensor<1x2x16xi8>
  %r = tensor.insert_slice %f into %window[0, 1, 0] [1, 2, 16] [1, 1, 1] : tensor<1x2x16xi8> into tensor<3x3x16xi8>
  return %r : tensor<3x3x16xi8>
}

// -----

// A dense broadcast would grow the weights: left to run time.
// CHECK-LABEL: func @broadcast_dense
// CHECK: linalg.broadcast
func.func @broadcast_dense(%x: tensor<4x1x3xi32>, %acc: tensor<4x1x2xi32>) -> tensor<4x1x2xi32> {
  %w = arith.constant dense<[[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi32>
  %e = tensor.empty() : tensor<4x3x2xi32>
  %b = linalg.broadcast ins(%w : tensor<3x2xi32>) outs(%e : tensor<4x3x2xi32>) dimensions = [0]
  %r = linalg.batch_matmul ins(%x, %b : tensor<4x1x3xi32>, tensor<4x3x2xi32>) outs(%acc : tensor<4x1x2xi32>) -> tensor<4x1x2xi32>
  return %r : tensor<4x1x2xi32>
}
