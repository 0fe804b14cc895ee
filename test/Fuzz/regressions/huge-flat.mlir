// 2^32 bytes: one more than a 32-bit index can count.
func.func @h(%a: tensor<4294967296xi8>) -> tensor<4294967296xi8> {
  return %a : tensor<4294967296xi8>
}
