func.func @layer(%x: tensor<1x6xi8>) -> tensor<1x2xi32> {
  %y = tern.matmul %x weights(dense<1> : tensor<2x5xi8>) : tensor<1x6xi8> -> tensor<1x2xi32>
  return %y : tensor<1x2xi32>
}
