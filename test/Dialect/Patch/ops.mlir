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
