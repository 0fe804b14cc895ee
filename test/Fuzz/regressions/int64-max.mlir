// 2^63-1 bytes: beyond every target's address space.
func.func @h(%a: tensor<9223372036854775807xi8>) -> tensor<9223372036854775807xi8> {
  return %a : tensor<9223372036854775807xi8>
}
