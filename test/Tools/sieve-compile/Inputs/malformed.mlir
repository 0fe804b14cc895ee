func.func @broken(%a: tensor<4xf32>) -> tensor<4xf32> {
  // An op with a missing operand list.
  %0 = tosa.add : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
