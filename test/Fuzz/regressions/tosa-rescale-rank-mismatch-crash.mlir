// tosa.rescale whose result has another rank than its input (tensor<2x8xi8> -> tensor<2x1x8xi32>) passes the verifier and sieve-verify-input; the lower-tosa stage then crashes (SIGSEGV in Type::getIntOrFloatBitWidth under linalg::GenericOp::build); upstream mlir-opt with the same TOSA pipeline crashes too
func.func @f(%a: tensor<2x8xi8>) -> tensor<2x8xi8> {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp8 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp32 = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %0 = tosa.rescale %a, %m, %s, %zp8, %zp32 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<2x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<2x1x8xi32>
  %1 = tosa.rescale %0, %m, %s, %zp32, %zp8 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<2x1x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<2x8xi8>
  return %1 : tensor<2x8xi8>
}
