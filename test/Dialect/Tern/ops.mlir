// RUN: sieve-opt %s | sieve-opt | FileCheck %s

// CHECK-LABEL: func @gemv
// CHECK: tern.matmul %{{.*}} weights(dense<{{\[}}[1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8>) : tensor<3x4xi8> -> tensor<3x2xi32>
func.func @gemv(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  %y = tern.matmul %x weights(dense<[[1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8>) : tensor<3x4xi8> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// CHECK-LABEL: func @splat
// CHECK: tern.matmul %{{.*}} weights(dense<-1> : tensor<8x16xi8>)
func.func @splat(%x: tensor<1x16xi8>) -> tensor<1x8xi32> {
  %y = tern.matmul %x weights(dense<-1> : tensor<8x16xi8>) : tensor<1x16xi8> -> tensor<1x8xi32>
  return %y : tensor<1x8xi32>
}
