// The same tensor returned twice: each output is its own caller buffer.
func.func @t(%a: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %0 = tosa.exp %a : (tensor<8xf32>) -> tensor<8xf32>
  return %0, %0 : tensor<8xf32>, tensor<8xf32>
}
