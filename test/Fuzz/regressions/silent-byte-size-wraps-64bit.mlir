// on a 64-bit target, 2^62 f32 elements (2^64 bytes) compile with exit 0 and are reported as 0 B (sizes wrap modulo 2^64; 2^63-1 elements show 18446744073709551612 B); should be a diagnostic like bug (2) on 32-bit targets
func.func @f(%a: tensor<4611686018427387904xf32>, %b: tensor<4611686018427387904xf32>) -> tensor<4611686018427387904xf32> {
  %0 = tosa.add %a, %b : (tensor<4611686018427387904xf32>, tensor<4611686018427387904xf32>) -> tensor<4611686018427387904xf32>
  return %0 : tensor<4611686018427387904xf32>
}
