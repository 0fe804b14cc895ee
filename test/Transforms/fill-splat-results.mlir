// RUN: sieve-opt %s -split-input-file -sieve-fill-splat-results | FileCheck %s

// A returned splat is filled, not stored: 16 GiB of ones cost nothing in
// flash, and LLVM never sees them.
// CHECK-LABEL: func @ones
// CHECK: %[[ONE:.*]] = arith.constant 1 : i8
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<1x65536x65536x4xi8>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ONE]] : i8) outs(%[[EMPTY]] : tensor<1x65536x65536x4xi8>)
// CHECK: return %[[FILL]]
func.func @ones() -> tensor<1x65536x65536x4xi8> {
  %0 = arith.constant dense<1> : tensor<1x65536x65536x4xi8>
  return %0 : tensor<1x65536x65536x4xi8>
}

// -----

// Through a reshape, and once per result, so that each output is written.
// CHECK-LABEL: func @reshaped
// CHECK-DAG: %[[A:.*]] = linalg.fill {{.*}} -> tensor<2x4xf32>
// CHECK-DAG: %[[B:.*]] = linalg.fill {{.*}} -> tensor<8xf32>
// CHECK: return %[[A]], %[[B]]
func.func @reshaped() -> (tensor<2x4xf32>, tensor<8xf32>) {
  %0 = arith.constant dense<2.5> : tensor<8xf32>
  %1 = tensor.expand_shape %0 [[0, 1]] output_shape [2, 4] : tensor<8xf32> into tensor<2x4xf32>
  return %1, %0 : tensor<2x4xf32>, tensor<8xf32>
}

// -----

// Dense constants and computed results are left alone.
// CHECK-LABEL: func @dense
// CHECK-NOT: linalg.fill
// CHECK: return
func.func @dense(%a: tensor<2xi32>) -> (tensor<2xi32>, tensor<2xi32>) {
  %0 = arith.constant dense<[1, 2]> : tensor<2xi32>
  return %0, %a : tensor<2xi32>, tensor<2xi32>
}
