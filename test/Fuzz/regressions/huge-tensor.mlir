// Compiled silently for 32-bit targets: 16 GiB cannot be addressed there.
func.func @h(%a: tensor<1x65536x65536x4xi8>) -> tensor<1x65536x65536x4xi8> {
  %0 = tosa.abs %a : (tensor<1x65536x65536x4xi8>) -> tensor<1x65536x65536x4xi8>
  return %0 : tensor<1x65536x65536x4xi8>
}
