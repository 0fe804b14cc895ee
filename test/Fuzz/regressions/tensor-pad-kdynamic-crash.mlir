// tensor.pad with a static pad of INT64_MIN (ShapedType::kDynamic) passes the verifier; canonicalize then dereferences a missing dynamic pad value: SIGSEGV in getAsOpFoldResult
func.func @f(%arg0: tensor<1x4xi8>) -> tensor<1x7xi8> {
  %c = arith.constant -128 : i8
  %padded = tensor.pad %arg0 low[0, -9223372036854775808] high[0, 2] {
  ^bb0(%i: index, %j: index):
    tensor.yield %c : i8
  } : tensor<1x4xi8> to tensor<1x7xi8>
  return %padded : tensor<1x7xi8>
}
