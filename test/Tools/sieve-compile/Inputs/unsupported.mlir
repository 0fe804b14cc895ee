func.func @custom(%a: tensor<4xf32>) -> tensor<4xf32> {
  // A vendor op TOSA passes through.
  %0 = tosa.custom %a {domain_name = "acme", operator_name = "magic", implementation_attrs = ""} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
