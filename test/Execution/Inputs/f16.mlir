// f16, passed as raw bits.
func.func @h(%a: tensor<8xf16>) -> tensor<8xf16> {
  %0 = tosa.exp %a : (tensor<8xf16>) -> tensor<8xf16>
  return %0 : tensor<8xf16>
}
