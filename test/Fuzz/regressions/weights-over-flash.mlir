// 2 MiB of weights (2s: ternary ones would be packed) overflow 1 MiB of flash.
func.func @fc(%x: tensor<1x2048xi8>) -> tensor<1x1024xi32> {
  %w = arith.constant dense<2> : tensor<2048x1024xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x1024xi32>
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x1024xi32>) -> tensor<1x1024xi32>
  %r = linalg.matmul ins(%x, %w : tensor<1x2048xi8>, tensor<2048x1024xi8>) outs(%z : tensor<1x1024xi32>) -> tensor<1x1024xi32>
  return %r : tensor<1x1024xi32>
}
