// RUN: sieve-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(sieve-raise-ternary))' | FileCheck %s
// RUN: sieve-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(sieve-raise-ternary{quantize=true}))' -verify-diagnostics | FileCheck %s --check-prefix=QUANT

// int8 weights K x N in {-1, 0, 1}: the op takes them N x K.
// CHECK-LABEL: func @int8
// CHECK: tern.matmul %{{.*}} weights(dense<{{\[}}[1, 0, -1], [-1, 1, 0]]> : tensor<2x3xi8>) : tensor<4x3xi8> -> tensor<4x2xi32>
// CHECK-NOT: linalg.matmul
func.func @int8(%x: tensor<4x3xi8>) -> tensor<4x2xi32> {
  %w = arith.constant dense<[[1, -1], [0, 1], [-1, 0]]> : tensor<3x2xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<4x2xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<4x2xi32>) -> tensor<4x2xi32>
  %y = linalg.matmul ins(%x, %w : tensor<4x3xi8>, tensor<3x2xi8>) outs(%init : tensor<4x2xi32>) -> tensor<4x2xi32>
  return %y : tensor<4x2xi32>
}

// -----

// Weights stored N x K (transposed indexing maps), f32 times one scale.
// CHECK-LABEL: func @transposed_f32
// CHECK: tern.matmul %{{.*}} weights(dense<{{\[}}[1, 0, -1], [-1, 1, 0]]> : tensor<2x3xi8>) scale([2.500000e-01]) : tensor<1x3xf32> -> tensor<1x2xf32>
func.func @transposed_f32(%x: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[0.25, 0.0, -0.25], [-0.25, 0.25, 0.0]]> : tensor<2x3xf32>
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %init = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%x, %w : tensor<1x3xf32>, tensor<2x3xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// One scale per output channel; an all-zero channel takes the first scale.
// CHECK-LABEL: func @per_channel
// CHECK: tern.matmul %{{.*}} weights(dense<{{\[}}[1, -1], [0, 0], [-1, 1]]> : tensor<3x2xi8>) scale([5.000000e-01, 5.000000e-01, 2.000000e+00]) : tensor<1x2xf32> -> tensor<1x3xf32>
func.func @per_channel(%x: tensor<1x2xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<[[0.5, 0.0, -2.0], [-0.5, 0.0, 2.0]]> : tensor<2x3xf32>
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3xf32>
  %init = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x2xf32>, tensor<2x3xf32>) outs(%init : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// tosa.matmul after lower-tosa: a batch_matmul of batch 1.
// CHECK-LABEL: func @batch
// CHECK: %[[X:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<1x2x3xi8> into tensor<2x3xi8>
// CHECK: %[[Y:.*]] = tern.matmul %[[X]] weights(dense<1> : tensor<1x3xi8>) : tensor<2x3xi8> -> tensor<2x1xi32>
// CHECK: tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [1, 2, 1] : tensor<2x1xi32> into tensor<1x2x1xi32>
func.func @batch(%x: tensor<1x2x3xi8>) -> tensor<1x2x1xi32> {
  %w = arith.constant dense<1> : tensor<1x3x1xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x2x1xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x2x1xi32>) -> tensor<1x2x1xi32>
  %y = linalg.batch_matmul ins(%x, %w : tensor<1x2x3xi8>, tensor<1x3x1xi8>) outs(%init : tensor<1x2x1xi32>) -> tensor<1x2x1xi32>
  return %y : tensor<1x2x1xi32>
}

// -----

// Not ternary (a 2; a 0.3 beside 0.25): left alone, unless quantised.
// CHECK-LABEL: func @not_ternary
// CHECK: linalg.matmul
// CHECK: linalg.matmul
// CHECK-NOT: tern.matmul
// QUANT-LABEL: func @not_ternary
// QUANT: linalg.matmul ins(%{{.*}} : tensor<1x2xi8>
// QUANT: tern.matmul %{{.*}} weights(dense<1> : tensor<1x2xi8>) scale([2.750000e-01]) {sieve.quantization_error = {{.*}}} : tensor<1x2xf32> -> tensor<1x1xf32>
func.func @not_ternary(%x: tensor<1x2xi8>, %f: tensor<1x2xf32>) -> (tensor<1x1xi32>, tensor<1x1xf32>) {
  %w = arith.constant dense<[[2], [1]]> : tensor<2x1xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x1xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x1xi32>) -> tensor<1x1xi32>
  %y = linalg.matmul ins(%x, %w : tensor<1x2xi8>, tensor<2x1xi8>) outs(%init : tensor<1x1xi32>) -> tensor<1x1xi32>
  %wf = arith.constant dense<[[0.25], [0.3]]> : tensor<2x1xf32>
  %f0 = arith.constant 0.0 : f32
  %ef = tensor.empty() : tensor<1x1xf32>
  %initf = linalg.fill ins(%f0 : f32) outs(%ef : tensor<1x1xf32>) -> tensor<1x1xf32>
  // expected-warning @+1 {{weights quantised to ternary (BitNet, scale 2.750000e-01): relative error}}
  %z = linalg.matmul ins(%f, %wf : tensor<1x2xf32>, tensor<2x1xf32>) outs(%initf : tensor<1x1xf32>) -> tensor<1x1xf32>
  return %y, %z : tensor<1x1xi32>, tensor<1x1xf32>
}

// -----

// All-zero weights, a non-zero accumulator, weights that are not constant:
// nothing to raise.
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-3: linalg.matmul
// CHECK-NOT: tern.matmul
func.func @left_alone(%x: tensor<1x2xi8>, %acc: tensor<1x1xi32>, %v: tensor<2x1xi8>) -> (tensor<1x1xi32>, tensor<1x1xi32>, tensor<1x1xi32>) {
  %zero = arith.constant dense<0> : tensor<2x1xi8>
  %w = arith.constant dense<1> : tensor<2x1xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x1xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x1xi32>) -> tensor<1x1xi32>
  %a = linalg.matmul ins(%x, %zero : tensor<1x2xi8>, tensor<2x1xi8>) outs(%init : tensor<1x1xi32>) -> tensor<1x1xi32>
  %b = linalg.matmul ins(%x, %w : tensor<1x2xi8>, tensor<2x1xi8>) outs(%acc : tensor<1x1xi32>) -> tensor<1x1xi32>
  %c = linalg.matmul ins(%x, %v : tensor<1x2xi8>, tensor<2x1xi8>) outs(%init : tensor<1x1xi32>) -> tensor<1x1xi32>
  return %a, %b, %c : tensor<1x1xi32>, tensor<1x1xi32>, tensor<1x1xi32>
}

// -----

// batch_matmul whose weights differ per batch: a real batched product, left
// alone.
// CHECK-LABEL: func @batch_differs
// CHECK-NOT: tern.matmul
// CHECK: linalg.batch_matmul
func.func @batch_differs(%x: tensor<2x2x3xf32>) -> tensor<2x2x1xf32> {
  %w = arith.constant dense<[[[1.0], [0.0], [-1.0]], [[1.0], [0.0], [1.0]]]> : tensor<2x3x1xf32>
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2x1xf32>
  %init = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  %y = linalg.batch_matmul ins(%x, %w : tensor<2x2x3xf32>, tensor<2x3x1xf32>) outs(%init : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  return %y : tensor<2x2x1xf32>
}

// -----

// Unsigned casts read the weight -1 as 255: not a ternary layer.
// CHECK-LABEL: func @unsigned
// CHECK-NOT: tern.matmul
// CHECK: linalg.matmul
func.func @unsigned(%x: tensor<4x3xi8>) -> tensor<4x2xi32> {
  %w = arith.constant dense<[[1, -1], [0, 1], [-1, 0]]> : tensor<3x2xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<4x2xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<4x2xi32>) -> tensor<4x2xi32>
  %y = linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins(%x, %w : tensor<4x3xi8>, tensor<3x2xi8>) outs(%init : tensor<4x2xi32>) -> tensor<4x2xi32>
  return %y : tensor<4x2xi32>
}

// -----

// A contraction that reads the activations [T, B, K] into a [B, T, N] result:
// collapsing them would mix the tokens, so it is left alone.
// CHECK-LABEL: func @tokens_permuted
// CHECK-NOT: tern.matmul
// CHECK: linalg.generic
func.func @tokens_permuted(%x: tensor<3x2x4xf32>) -> tensor<2x3x1xf32> {
  %w = arith.constant dense<[[1.0], [0.0], [-1.0], [1.0]]> : tensor<4x1xf32>
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x1xf32>
  %init = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x3x1xf32>) -> tensor<2x3x1xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, d0, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : tensor<3x2x4xf32>, tensor<4x1xf32>) outs(%init : tensor<2x3x1xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x3x1xf32>
  return %y : tensor<2x3x1xf32>
}

// -----

// A contraction that subtracts instead of adding is not a matmul.
// CHECK-LABEL: func @not_mac
// CHECK-NOT: tern.matmul
// CHECK: linalg.generic
func.func @not_mac(%x: tensor<2x4xf32>) -> tensor<2x1xf32> {
  %w = arith.constant dense<[[1.0], [0.0], [-1.0], [1.0]]> : tensor<4x1xf32>
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x1xf32>
  %init = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x1xf32>) -> tensor<2x1xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<2x4xf32>, tensor<4x1xf32>) outs(%init : tensor<2x1xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.subf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

// torch-mlir's linear layer: the [N, K] weight transposed at run time by a
// generic, then a matmul; the weights are read through the transpose.
// CHECK-LABEL: func @torch_linear
// CHECK: tern.matmul %{{.*}} weights(dense<{{\[}}[1, 0, -1], [-1, 1, 0]]> : tensor<2x3xi8>) scale([2.500000e-01]) : tensor<1x3xf32> -> tensor<1x2xf32>
// CHECK-NOT: linalg.matmul
func.func @torch_linear(%x: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[0.25, 0.0, -0.25], [-0.25, 0.25, 0.0]]> : tensor<2x3xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %wt = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<3x2xf32>
  %c0 = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<1x2xf32>
  %init = linalg.fill ins(%c0 : f32) outs(%e2 : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.matmul ins(%x, %wt : tensor<1x3xf32>, tensor<3x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
