// An output that is the input.
func.func @p(%a: tensor<8xf32>) -> tensor<8xf32> {
  return %a : tensor<8xf32>
}
