func.func @layer(%x: tensor<1x4xi8>) -> tensor<1x1xi32> {
  %y = tern.matmul %x weights(#tern.packed<i2, [1, 4], dense<"0x5657545655555555555555555555555555555555555555555555555555555555"> : tensor<1x32xi8>>) : tensor<1x4xi8> -> tensor<1x1xi32>
  return %y : tensor<1x1xi32>
}
