// Two 256 KiB activations alive at once: more than a Cortex-M4 board has.
func.func @big(%a: tensor<256x256xf32>) -> tensor<256x256xf32> {
  %t = tosa.transpose %a {perms = array<i32: 1, 0>} : (tensor<256x256xf32>) -> tensor<256x256xf32>
  %s = tosa.reduce_sum %t {axis = 1 : i32} : (tensor<256x256xf32>) -> tensor<256x1xf32>
  %0 = tosa.sub %t, %s : (tensor<256x256xf32>, tensor<256x1xf32>) -> tensor<256x256xf32>
  %1 = tosa.transpose %0 {perms = array<i32: 1, 0>} : (tensor<256x256xf32>) -> tensor<256x256xf32>
  return %1 : tensor<256x256xf32>
}
